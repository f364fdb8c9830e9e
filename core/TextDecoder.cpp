#include "TextDecoder.h"

namespace bfs {

namespace {

// Windows-1252 0x80–0x9F; undefined positions map to the C1 control of the same value.
const char16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

QStringDecoder::Encoding qtEncoding(CsvFormat::Encoding e)
{
    switch (e) {
    case CsvFormat::Encoding::Utf16LE: return QStringDecoder::Utf16LE;
    case CsvFormat::Encoding::Utf16BE: return QStringDecoder::Utf16BE;
    default: return QStringDecoder::Latin1;
    }
}

} // namespace

TextDecoder::TextDecoder(CsvFormat::Encoding encoding)
    : m_encoding(encoding)
    , m_qt(qtEncoding(encoding), QStringDecoder::Flag::Stateless)
{
    if (encoding == CsvFormat::Encoding::Utf16LE || encoding == CsvFormat::Encoding::Utf16BE)
        m_qt = QStringDecoder(qtEncoding(encoding), QStringDecoder::Flag::Default);
}

void TextDecoder::decode(const char *data, qsizetype size, QString *out)
{
    switch (m_encoding) {
    case CsvFormat::Encoding::Utf8:
        decodeUtf8(data, size, out);
        return;
    case CsvFormat::Encoding::Windows1252: {
        const qsizetype base = out->size();
        out->resize(base + size);
        QChar *dst = out->data() + base;
        for (qsizetype i = 0; i < size; ++i) {
            const uchar b = uchar(data[i]);
            dst[i] = (b >= 0x80 && b < 0xA0) ? QChar(kCp1252High[b - 0x80]) : QChar(b);
        }
        return;
    }
    case CsvFormat::Encoding::Latin1:
        out->append(QString::fromLatin1(data, size));
        return;
    case CsvFormat::Encoding::Utf16LE:
    case CsvFormat::Encoding::Utf16BE:
        decodeUtf16(data, size, out);
        return;
    }
}

void TextDecoder::finish(QString *out)
{
    if (!m_pending.isEmpty()) {
        out->append(QChar(InvalidMarker));
        m_pending.clear();
    }
    if (m_heldHigh) {
        out->append(QChar(InvalidMarker));
        m_heldHigh = 0;
    }
    if (m_utf16Bytes % 2) {
        out->append(QChar(InvalidMarker));
        m_utf16Bytes = 0;
    }
}

void TextDecoder::decodeUtf16(const char *data, qsizetype size, QString *out)
{
    // Qt passes lone surrogates through; PostgreSQL (or the conversion to UTF-8 on the way
    // there) would not keep them.
    m_utf16Bytes += size;
    QString text = m_qt.decode(QByteArrayView(data, size));
    if (m_heldHigh) {
        text.prepend(QChar(m_heldHigh));
        m_heldHigh = 0;
    }
    if (!text.isEmpty() && text.back().isHighSurrogate()) {
        m_heldHigh = text.back().unicode();
        text.chop(1);
    }
    char16_t *u = reinterpret_cast<char16_t *>(text.data());
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (QChar::isHighSurrogate(u[i]) && i + 1 < text.size() && QChar::isLowSurrogate(u[i + 1]))
            ++i;
        else if (QChar::isSurrogate(u[i]))
            u[i] = InvalidMarker;
    }
    out->append(text);
}

void TextDecoder::decodeUtf8(const char *input, qsizetype size, QString *out)
{
    QByteArray joined;
    const uchar *p = reinterpret_cast<const uchar *>(input);
    const uchar *end = p + size;
    if (!m_pending.isEmpty()) {
        joined = m_pending + QByteArray(input, size);
        m_pending.clear();
        p = reinterpret_cast<const uchar *>(joined.constData());
        end = p + joined.size();
    }
    const qsizetype base = out->size();
    out->resize(base + (end - p));
    char16_t *dst = reinterpret_cast<char16_t *>(out->data()) + base;
    char16_t *const start = dst;
    // Reserve: each byte yields at most one UTF-16 unit except 4-byte sequences (2 units, 4 bytes).
    while (p < end) {
        const uchar b = *p;
        if (b < 0x80) {
            *dst++ = b;
            ++p;
            continue;
        }
        int len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
            min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
            min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
            min = 0x10000;
        } else {
            *dst++ = InvalidMarker;
            ++p;
            continue;
        }
        if (end - p < len) {
            // Possibly a sequence cut by the chunk boundary: keep it for the next call,
            // unless what we have is already invalid.
            bool valid = true;
            for (const uchar *q = p + 1; q < end; ++q)
                valid = valid && (*q & 0xC0) == 0x80;
            if (valid) {
                m_pending = QByteArray(reinterpret_cast<const char *>(p), end - p);
                break;
            }
        }
        bool ok = end - p >= len;
        for (int i = 1; ok && i < len; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                ok = false;
            else
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            *dst++ = InvalidMarker;
            ++p; // resynchronise on the next byte
            continue;
        }
        p += len;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            *dst++ = char16_t(0xD800 + (cp >> 10));
            *dst++ = char16_t(0xDC00 + (cp & 0x3FF));
        } else {
            *dst++ = char16_t(cp);
        }
    }
    out->resize(base + (dst - start));
}

} // namespace bfs
