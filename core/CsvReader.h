#pragma once

#include "CsvFormat.h"
#include "backfill_core_export.h"

#include <QStringList>

#include <algorithm>

#include <memory>

class QIODevice;

namespace bfs {

class TextDecoder;

// One record of a CSV file as read, before any type conversion.
struct BACKFILL_CORE_EXPORT CsvRecord
{
    QStringList fields;
    qint64 line = 0;    // physical line (1-based) where the record starts
    qint64 endLine = 0; // physical line where it ends (records can span lines)
    QString raw;        // the original text, line break excluded; capped at RawLimit characters
    bool rawTruncated = false;
    QString error;      // non-empty: the record is malformed and must be rejected
    int errorColumn = 0; // 1-based field number the error is in
    QList<int> quotedFields; // 0-based numbers of the fields that were quoted (their spaces are data)

    bool isQuoted(int field) const { return std::binary_search(quotedFields.cbegin(), quotedFields.cend(), field); } // kept in order

    static constexpr int RawLimit = 64 * 1024;
    // An empty line, one of spaces, or a spreadsheet's empty row (",,,"): no field holds anything
    // and none was quoted.
    bool isBlank() const
    {
        return error.isEmpty() && quotedFields.isEmpty()
            && std::all_of(fields.cbegin(), fields.cend(), [](const QString &f) { return f.trimmed().isEmpty(); });
    }
};

// Streams records out of a file or device with constant memory: RFC 4180 plus what real
// exports do (any delimiter, quotes with doubled quotes and embedded line breaks, CRLF,
// LF or lone CR line ends, UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252).
// Malformed records come back with an error, never stop the reader; an unterminated
// quote at the end of the file is the last record's error.
class BACKFILL_CORE_EXPORT CsvReader
{
public:
    explicit CsvReader(const CsvFormat &format);
    ~CsvReader();
    CsvReader(const CsvReader &) = delete;
    CsvReader &operator=(const CsvReader &) = delete;

    // Opens a file (the reader owns it) or reads from a device the caller keeps open.
    bool open(const QString &path);
    bool open(QIODevice *device);
    QString errorString() const { return m_error; }

    // The header row when the format has one (read by open()).
    const QStringList &header() const { return m_header; }
    qint64 headerLine() const { return m_headerLine; }

    // Next non-blank record; false at the end of input.
    bool next(CsvRecord *record);

    qint64 bytesRead() const { return m_bytesRead; }
    qint64 totalBytes() const { return m_totalBytes; }
    qint64 blankLines() const { return m_blankLines; }
    // The delimiter named by a spreadsheet's "sep=;" first line (null without one). The line
    // itself is not data: open() skips it, as the first of the lines --skip-lines counts.
    QChar declaredDelimiter() const { return m_declaredDelimiter; }
    const CsvFormat &format() const { return m_format; }

private:
    bool start();
    void skipSeparatorLine();
    bool fill();
    bool readRecord(CsvRecord *record);
    // Next character with line ends folded to '\n'; false at the end of input.
    bool getChar(char16_t *ch);
    // Moves the text of the current record consumed so far into its raw copy.
    void flushRaw();

    CsvFormat m_format;
    std::unique_ptr<QIODevice> m_ownedDevice;
    QIODevice *m_device = nullptr;
    std::unique_ptr<TextDecoder> m_decoder;
    QString m_buffer;
    qsizetype m_pos = 0;
    bool m_eof = false;
    QString m_lastNewline; // the original form of the line break getChar() just folded
    CsvRecord *m_current = nullptr; // record being read, for flushRaw()
    qsizetype m_rawStart = -1;      // where its unflushed text starts in m_buffer
    qint64 m_line = 1;
    qint64 m_bytesRead = 0;
    qint64 m_totalBytes = -1;
    qint64 m_blankLines = 0;
    qint64 m_headerLine = 0;
    QStringList m_header;
    QChar m_declaredDelimiter;
    QString m_error;
};

} // namespace bfs
