#pragma once

#include "backfill_core_export.h"

#include <QChar>
#include <QMetaType>
#include <QString>

namespace bfs {

// How a CSV file is written. Detected by CsvSniffer, overridable field by field;
// the same settings drive the preview and the real load.
struct BACKFILL_CORE_EXPORT CsvFormat
{
    enum class Encoding { Utf8, Utf16LE, Utf16BE, Windows1252, Latin1 };

    Encoding encoding = Encoding::Utf8;
    bool hasBom = false;
    QChar delimiter = QLatin1Char(',');
    QChar quote = QLatin1Char('"'); // QChar() = no quoting
    bool header = true;
    int skipLines = 0;              // physical lines skipped before the header / first row
    bool decimalComma = false;      // 1.234,5 instead of 1,234.5
    qint64 maxFieldChars = 1 << 20; // a longer field is a row error, never an unbounded buffer

    static QString encodingName(Encoding e);
    // Accepts "utf-8", "UTF8", "utf-16le", "windows-1252", "cp1252", "latin1", "iso-8859-1" …
    static bool encodingFromName(const QString &name, Encoding *out);
    static QString delimiterName(QChar c);
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::CsvFormat)
