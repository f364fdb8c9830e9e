#include "CsvReader.h"

#include "TextDecoder.h"

#include <QFile>
#include <QRegularExpression>

namespace bfs {

namespace {
constexpr qint64 kChunkBytes = 256 * 1024;
}

CsvReader::CsvReader(const CsvFormat &format)
    : m_format(format)
{
}

CsvReader::~CsvReader() = default;

bool CsvReader::open(const QString &path)
{
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::ReadOnly)) {
        m_error = QStringLiteral("%1: %2").arg(path, file->errorString());
        return false;
    }
    m_ownedDevice = std::move(file);
    return open(m_ownedDevice.get());
}

bool CsvReader::open(QIODevice *device)
{
    m_device = device;
    m_totalBytes = device->isSequential() ? -1 : device->size();
    return start();
}

bool CsvReader::start()
{
    m_decoder = std::make_unique<TextDecoder>(m_format.encoding);
    // Skip a byte order mark matching the encoding (the sniffer reports it).
    const QByteArray head = m_device->peek(3);
    qint64 bom = 0;
    if (m_format.encoding == CsvFormat::Encoding::Utf8 && head.startsWith("\xEF\xBB\xBF"))
        bom = 3;
    else if (m_format.encoding == CsvFormat::Encoding::Utf16LE && head.startsWith("\xFF\xFE"))
        bom = 2;
    else if (m_format.encoding == CsvFormat::Encoding::Utf16BE && head.startsWith("\xFE\xFF"))
        bom = 2;
    if (bom > 0) {
        m_device->read(bom);
        m_bytesRead += bom;
    }
    skipSeparatorLine();
    // Lines to skip are counted in the file: a separator line is the first of them (users who
    // skipped it by hand with --skip-lines 1 keep their header).
    const int skip = m_declaredDelimiter.isNull() ? m_format.skipLines : qMax(0, m_format.skipLines - 1);
    for (int i = 0; i < skip; ++i) {
        char16_t ch = 0;
        bool any = false;
        while (getChar(&ch)) {
            any = true;
            if (ch == u'\n')
                break;
        }
        if (!any)
            break;
    }
    if (m_format.header) {
        CsvRecord rec;
        while (readRecord(&rec)) {
            if (rec.isBlank())
                continue;
            if (!rec.error.isEmpty()) {
                m_error = QStringLiteral("line %1: the header row is malformed: %2").arg(rec.line).arg(rec.error);
                return false;
            }
            m_headerLine = rec.line;
            for (QString &name : rec.fields)
                m_header << name.trimmed();
            return true;
        }
        m_error = QStringLiteral("the file has no header row (it is empty)");
        return false;
    }
    return true;
}

void CsvReader::skipSeparatorLine()
{
    // Excel writes (and reads) "sep=;" as the first line to say which delimiter follows; other
    // tools quote it or pad it with the delimiter ("sep=;;;"). It is never a record.
    if (m_pos >= m_buffer.size() && !fill())
        return;
    static const QRegularExpression sepLine(QStringLiteral(R"re(^"?sep=([^\r\n"])"?\1*[ \t]*(?:\r|\n|$))re"),
                                            QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = sepLine.match(QStringView(m_buffer).mid(m_pos));
    if (!m.hasMatch())
        return;
    m_declaredDelimiter = m.captured(1).at(0);
    char16_t ch = 0;
    while (getChar(&ch) && ch != u'\n') {
    }
}

void CsvReader::flushRaw()
{
    if (!m_current || m_rawStart < 0)
        return;
    const qsizetype n = m_pos - m_rawStart;
    if (n > 0 && !m_current->rawTruncated) {
        // The record's first RawLimit characters, then nothing (not a later piece of it).
        const qsizetype room = CsvRecord::RawLimit - m_current->raw.size();
        if (n <= room) {
            m_current->raw.append(m_buffer.constData() + m_rawStart, n);
        } else {
            qsizetype take = qMax<qsizetype>(0, room);
            if (take > 0 && m_buffer.at(m_rawStart + take - 1).isHighSurrogate())
                --take; // (not half a character)
            m_current->raw.append(m_buffer.constData() + m_rawStart, take);
            m_current->rawTruncated = true;
        }
    }
    m_rawStart = m_pos;
}

bool CsvReader::fill()
{
    if (m_eof)
        return false;
    flushRaw();
    m_buffer.remove(0, m_pos);
    m_pos = 0;
    if (m_rawStart >= 0)
        m_rawStart = 0;
    while (m_buffer.isEmpty()) {
        QByteArray chunk = m_device->read(kChunkBytes);
        if (chunk.isEmpty()) {
            m_decoder->finish(&m_buffer);
            m_eof = true;
            return !m_buffer.isEmpty();
        }
        m_bytesRead += chunk.size();
        m_decoder->decode(chunk.constData(), chunk.size(), &m_buffer);
        // DOS end-of-file marks (Ctrl-Z) at the very end: not text.
        if (m_device->atEnd())
            while (!m_buffer.isEmpty() && m_buffer.back() == QChar(0x1A))
                m_buffer.chop(1);
    }
    return true;
}

bool CsvReader::getChar(char16_t *ch)
{
    if (m_pos >= m_buffer.size() && !fill())
        return false;
    char16_t c = m_buffer.at(m_pos++).unicode();
    if (c == u'\r') {
        if (m_pos >= m_buffer.size())
            fill();
        if (m_pos < m_buffer.size() && m_buffer.at(m_pos) == QLatin1Char('\n')) {
            ++m_pos;
            m_lastNewline = QStringLiteral("\r\n");
        } else {
            m_lastNewline = QStringLiteral("\r");
        }
        c = u'\n';
        ++m_line;
    } else if (c == u'\n') {
        m_lastNewline = QStringLiteral("\n");
        ++m_line;
    }
    *ch = c;
    return true;
}

bool CsvReader::next(CsvRecord *record)
{
    while (readRecord(record)) {
        if (record->isBlank()) {
            ++m_blankLines;
            continue;
        }
        return true;
    }
    return false;
}

bool CsvReader::readRecord(CsvRecord *rec)
{
    enum class State { FieldStart, Unquoted, Quoted, AfterQuote };
    rec->fields.clear(); // keeps the list's capacity
    rec->raw.truncate(0); // keeps the string's capacity
    rec->rawTruncated = false;
    rec->error.clear();
    rec->errorColumn = 0;
    rec->quotedFields.clear();
    rec->line = m_line;
    m_current = rec;
    m_rawStart = m_pos;

    const char16_t delim = m_format.delimiter.unicode();
    const bool quoting = !m_format.quote.isNull();
    const char16_t quote = quoting ? m_format.quote.unicode() : char16_t(0xFFFE);
    const qint64 maxField = m_format.maxFieldChars;

    State state = State::FieldStart;
    QString field;
    bool fieldQuoted = false;
    bool any = false;
    qint64 quoteLine = 0;
    auto fail = [rec](const QString &message) {
        if (rec->error.isEmpty()) {
            rec->error = message;
            rec->errorColumn = int(rec->fields.size()) + 1;
        }
    };
    auto tooLong = [&] {
        fail(QStringLiteral("field %1 is longer than %2 characters").arg(rec->fields.size() + 1).arg(maxField));
    };
    auto appendSpan = [&](const QChar *from, qsizetype n) {
        if (field.size() + n <= maxField) {
            field.append(from, n);
        } else {
            field.append(from, qMax<qsizetype>(0, maxField - field.size()));
            tooLong();
        }
    };
    auto finish = [&](qint64 endLine) {
        flushRaw();
        m_current = nullptr;
        m_rawStart = -1;
        if (fieldQuoted)
            rec->quotedFields << int(rec->fields.size());
        rec->fields << field;
        rec->endLine = endLine;
        return true;
    };

    while (true) {
        // Fast path: copy runs of ordinary characters in one go.
        if (state == State::Unquoted || state == State::Quoted) {
            const QChar *d = m_buffer.constData();
            const qsizetype n = m_buffer.size();
            const qsizetype from = m_pos;
            const char16_t stop = state == State::Unquoted ? delim : quote;
            while (m_pos < n) {
                const char16_t c = d[m_pos].unicode();
                if (c == stop || c == u'\n' || c == u'\r' || c == 0 || c == TextDecoder::InvalidMarker)
                    break;
                ++m_pos;
            }
            if (m_pos > from) {
                any = true;
                appendSpan(d + from, m_pos - from);
            }
        }
        if (m_pos >= m_buffer.size() && !fill()) {
            if (!any) {
                m_current = nullptr;
                m_rawStart = -1;
                return false;
            }
            if (state == State::Quoted)
                fail(QStringLiteral("unterminated quoted field: the quote opened on line %1 is never closed").arg(quoteLine));
            return finish(m_line);
        }
        const char16_t next = m_buffer.at(m_pos).unicode();
        if ((next == u'\n' || next == u'\r') && state != State::Quoted) {
            // End of the record: its raw text stops before the line break.
            const qint64 endLine = m_line;
            finish(endLine);
            char16_t lineBreak = 0;
            getChar(&lineBreak); // consumes CR, LF or CRLF
            return true;
        }
        const qint64 lineBefore = m_line;
        char16_t c = 0;
        getChar(&c);
        any = true;
        const bool newline = c == u'\n' && m_line != lineBefore;
        if (c == 0) {
            fail(QStringLiteral("NUL byte in field %1").arg(rec->fields.size() + 1));
            continue;
        }
        if (c == TextDecoder::InvalidMarker) {
            fail(QStringLiteral("bytes that are not valid %1 in field %2")
                     .arg(CsvFormat::encodingName(m_format.encoding))
                     .arg(rec->fields.size() + 1));
            continue;
        }
        switch (state) {
        case State::FieldStart:
            if (c == quote) {
                state = State::Quoted;
                quoteLine = m_line;
                fieldQuoted = true;
            } else if (c == delim) {
                rec->fields << QString();
            } else {
                appendSpan(reinterpret_cast<const QChar *>(&c), 1);
                state = State::Unquoted;
            }
            break;
        case State::Unquoted:
            if (c == delim) {
                if (fieldQuoted) // "a"b: text after the closing quote
                    rec->quotedFields << int(rec->fields.size());
                rec->fields << field;
                field.clear();
                fieldQuoted = false;
                state = State::FieldStart;
            } else {
                appendSpan(reinterpret_cast<const QChar *>(&c), 1); // e.g. the first character after a refill
            }
            break;
        case State::Quoted:
            if (c == quote)
                state = State::AfterQuote;
            else if (newline)
                appendSpan(m_lastNewline.constData(), m_lastNewline.size());
            else
                appendSpan(reinterpret_cast<const QChar *>(&c), 1);
            break;
        case State::AfterQuote:
            if (c == quote) {
                appendSpan(reinterpret_cast<const QChar *>(&c), 1);
                state = State::Quoted;
            } else if (c == delim) {
                rec->quotedFields << int(rec->fields.size());
                rec->fields << field;
                field.clear();
                fieldQuoted = false;
                state = State::FieldStart;
            } else {
                fail(QStringLiteral("text after the closing quote in field %1").arg(rec->fields.size() + 1));
                appendSpan(reinterpret_cast<const QChar *>(&c), 1);
                state = State::Unquoted;
            }
            break;
        }
    }
}

} // namespace bfs
