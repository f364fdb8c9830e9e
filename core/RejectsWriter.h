#pragma once

#include "backfill_core_export.h"

#include <QFile>
#include <QString>

namespace bfs {

// The rejects CSV: one row per rejected input row, with where and why, and the
// original text as it was in the file (line breaks inside it kept).
// Columns: line,column,reason,record, separated by the input file's delimiter (a spreadsheet
// that opened the file opens its rejects as columns too). UTF-8, with a byte-order mark when
// the input had one or was in another encoding (which is how Excel knows it is UTF-8).
class BACKFILL_CORE_EXPORT RejectsWriter
{
public:
    RejectsWriter() = default;
    bool open(const QString &path, QString *error, QChar delimiter = QLatin1Char(','), bool byteOrderMark = false);
    bool isOpen() const { return m_file.isOpen(); }
    // False when the file could not take the row (a full disk): *error says so.
    bool write(qint64 line, const QString &column, const QString &reason, const QString &record, bool truncated, QString *error);
    bool close(QString *error);
    QString path() const { return m_file.fileName(); }
    qint64 count() const { return m_count; }

    static QString quote(const QString &field, QChar delimiter = QLatin1Char(','));

private:
    QFile m_file;
    QChar m_delimiter = QLatin1Char(',');
    qint64 m_count = 0;
    bool m_failed = false;
};

} // namespace bfs
