#pragma once

#include "CsvFormat.h"

#include <QByteArray>
#include <QString>
#include <QStringDecoder>

namespace bfs {

// Incremental bytes → text for the encodings a spreadsheet writes. Chunks may split a
// multi-byte sequence anywhere. Invalid UTF-8 (and in UTF-16 a lone surrogate or an odd last
// byte) becomes U+FFFF (InvalidMarker) so that the CSV parser can report it at its line and
// column; a NUL byte stays U+0000.
class TextDecoder
{
public:
    static constexpr char16_t InvalidMarker = 0xFFFF;

    explicit TextDecoder(CsvFormat::Encoding encoding);
    void decode(const char *data, qsizetype size, QString *out);
    void finish(QString *out); // flushes an incomplete trailing sequence as invalid

private:
    void decodeUtf8(const char *data, qsizetype size, QString *out);
    void decodeUtf16(const char *data, qsizetype size, QString *out);

    CsvFormat::Encoding m_encoding;
    QStringDecoder m_qt;
    QByteArray m_pending; // UTF-8 bytes of an incomplete sequence
    char16_t m_heldHigh = 0;  // UTF-16: a high surrogate whose partner may start the next chunk
    qint64 m_utf16Bytes = 0;  // an odd count at the end: a byte without its partner
};

} // namespace bfs
