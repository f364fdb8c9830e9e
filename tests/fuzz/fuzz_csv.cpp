// libFuzzer target for the CSV reader, the sniffer and the value converters.
// Build and run with scripts/fuzz (clang). The first input byte picks the reader's options.
#include "CsvReader.h"
#include "CsvSniffer.h"
#include "DateTimeParser.h"
#include "ValueConverter.h"

#include <QBuffer>
#include <QTimeZone>

using namespace bfs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t selector = data[0];
    const QByteArray bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    static const QChar delimiters[] = {QLatin1Char(','), QLatin1Char(';'), QLatin1Char('\t'), QLatin1Char('|')};
    static const CsvFormat::Encoding encodings[] = {CsvFormat::Encoding::Utf8, CsvFormat::Encoding::Utf16LE, CsvFormat::Encoding::Utf16BE,
                                                    CsvFormat::Encoding::Windows1252, CsvFormat::Encoding::Latin1};
    CsvFormat f;
    f.delimiter = delimiters[selector & 3];
    f.encoding = encodings[(selector >> 2) % 5];
    f.quote = (selector & 0x20) ? QChar() : QLatin1Char('"');
    f.header = selector & 0x40;
    f.skipLines = (selector & 0x80) ? 1 : 0;
    f.maxFieldChars = 4096;

    QByteArray copy = bytes;
    QBuffer buffer(&copy);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(f);
    if (reader.open(&buffer)) {
        ValueConverter::Options zoned;
        zoned.sourceZone = QTimeZone(QByteArrayLiteral("Europe/Berlin"));
        ValueConverter::Options european;
        european.decimalComma = true;
        european.dateTimeFormat = QStringLiteral("dd.MM.yyyy HH:mm");
        ValueConverter::Options epoch;
        epoch.dateTimeFormat = QStringLiteral("epoch_ms");
        const ValueConverter converters[] = {
            ValueConverter(ValueConverter::Type::TimestampTz, zoned),
            ValueConverter(ValueConverter::Type::TimestampTz, european),
            ValueConverter(ValueConverter::Type::Timestamp, epoch),
            ValueConverter(ValueConverter::Type::Double, european),
            ValueConverter(ValueConverter::Type::Integer, ValueConverter::Options()),
            ValueConverter(ValueConverter::Type::Numeric, ValueConverter::Options()),
            ValueConverter(ValueConverter::Type::Boolean, ValueConverter::Options()),
            ValueConverter(ValueConverter::Type::Date, european),
        };
        CsvRecord rec;
        int records = 0;
        while (reader.next(&rec) && ++records < 2000) {
            for (int i = 0; i < rec.fields.size() && i < 16; ++i) {
                const ValueConverter::Value v = converters[i % 8].convert(rec.fields.at(i));
                if (v.ok && !v.isNull && v.textView().isNull() && v.text.isNull())
                    __builtin_trap(); // a converted value always has text
            }
        }
    }
    if (bytes.size() < 64 * 1024)
        CsvSniffer::sniff(bytes, true);
    return 0;
}
