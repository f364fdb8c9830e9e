#include "CsvReader.h"

#include "TextDecoder.h"

#include <QFile>

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

    for (int i = 0; i < m_format.skipLines; ++i) {
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

bool CsvReader::fill()
{
    if (m_eof)
        return false;
    m_buffer.remove(0, m_pos);
    m_pos = 0;
    while (m_buffer.isEmpty()) {
        QByteArray chunk = m_device->read(kChunkBytes);
        if (chunk.isEmpty()) {
            m_decoder->finish(&m_buffer);
            m_eof = true;
            return !m_buffer.isEmpty();
        }
        m_bytesRead += chunk.size();
        m_decoder->decode(chunk.constData(), chunk.size(), &m_buffer);
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
    rec->fields.clear();
    rec->raw.clear();
    rec->rawTruncated = false;
    rec->error.clear();
    rec->errorColumn = 0;
    rec->line = m_line;

    const char16_t delim = m_format.delimiter.unicode();
    const bool quoting = !m_format.quote.isNull();
    const char16_t quote = m_format.quote.unicode();
    const qint64 maxField = m_format.maxFieldChars;

    State state = State::FieldStart;
    QString field;
    bool any = false;
    qint64 quoteLine = 0;
    auto fail = [rec](const QString &message) {
        if (rec->error.isEmpty()) {
            rec->error = message;
            rec->errorColumn = int(rec->fields.size()) + 1;
        }
    };
    auto appendRaw = [rec](const QString &s) {
        if (rec->raw.size() + s.size() <= CsvRecord::RawLimit)
            rec->raw += s;
        else
            rec->rawTruncated = true;
    };
    auto appendField = [&](char16_t c) {
        if (field.size() < maxField)
            field += QChar(c);
        else
            fail(QStringLiteral("field %1 is longer than %2 characters").arg(rec->fields.size() + 1).arg(maxField));
    };

    char16_t c = 0;
    while (true) {
        const qint64 lineBefore = m_line;
        if (!getChar(&c)) {
            if (!any)
                return false;
            if (state == State::Quoted)
                fail(QStringLiteral("unterminated quoted field: the quote opened on line %1 is never closed").arg(quoteLine));
            rec->fields << field;
            rec->endLine = m_line;
            return true;
        }
        any = true;
        const bool newline = c == u'\n' && m_line != lineBefore;
        if (newline && state != State::Quoted) {
            rec->fields << field;
            rec->endLine = lineBefore;
            return true;
        }
        appendRaw(newline ? m_lastNewline : QString(QChar(c)));
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
            if (quoting && c == quote) {
                state = State::Quoted;
                quoteLine = m_line;
            } else if (c == delim) {
                rec->fields << QString();
            } else {
                appendField(c);
                state = State::Unquoted;
            }
            break;
        case State::Unquoted:
            if (c == delim) {
                rec->fields << field;
                field.clear();
                state = State::FieldStart;
            } else {
                appendField(c); // a quote inside an unquoted field is kept as text
            }
            break;
        case State::Quoted:
            if (c == quote) {
                state = State::AfterQuote;
            } else if (newline) {
                for (QChar nc : m_lastNewline)
                    appendField(nc.unicode());
            } else {
                appendField(c);
            }
            break;
        case State::AfterQuote:
            if (c == quote) {
                appendField(c);
                state = State::Quoted;
            } else if (c == delim) {
                rec->fields << field;
                field.clear();
                state = State::FieldStart;
            } else {
                fail(QStringLiteral("text after the closing quote in field %1").arg(rec->fields.size() + 1));
                appendField(c);
                state = State::Unquoted;
            }
            break;
        }
    }
}

} // namespace bfs
