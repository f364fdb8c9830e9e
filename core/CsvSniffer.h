#pragma once

#include "CsvFormat.h"
#include "backfill_core_export.h"

#include <optional>

#include <QByteArray>
#include <QList>
#include <QStringList>

namespace bfs {

// What the user already said about a file before it is sniffed.
struct CsvSniffHints
{
    int skipLines = 0;      // lines before the header, left out of the detection
    QStringList nullTokens; // cells that mean NULL, no evidence of a format (empty: the default tokens)
    // What the user said (the rest is detected with it: columns, header, date formats).
    std::optional<QChar> delimiter;
    std::optional<CsvFormat::Encoding> encoding;
    std::optional<bool> header;
    // The target table's column names: a first row that names one of them (a value found
    // nowhere else in its column) is a header, even when its other names look like numbers.
    QStringList tableColumns;
    // Of them, the numeric ones: where a header names columns, only theirs decide the decimal
    // separator (a text column's "1.2" firmware or "12,5" label is no number).
    QStringList numericTableColumns;
};

// Detects how a CSV file is written from a sample of its first bytes: encoding (BOM,
// valid UTF-8, UTF-16 without BOM, else Windows-1252), delimiter, quote, header,
// decimal separator, and a date/time format per column.
class BACKFILL_CORE_EXPORT CsvSniffer
{
public:
    struct Result
    {
        bool ok = false;
        QString error;
        CsvFormat format;
        QStringList columns;          // header names, or column1, column2 …
        QList<QStringList> sampleRows; // parsed with the detected format (data rows only)
        QStringList dateFormats;      // per column: "" (not a date), "iso", "epoch", "epoch_ms" or a pattern
        QList<bool> ambiguousDate;    // per column: both day-first and month-first fit
        QList<bool> numericColumn;    // per column: every sample value is a number
        // The decimal separator was chosen from numbers that fit both readings (1,234 and 1.234:
        // a decimal separator, or a thousands separator), none deciding.
        bool ambiguousDecimal = false;
        bool delimiterDeclared = false; // taken from a spreadsheet's "sep=;" first line
    };

    using Hints = CsvSniffHints;

    static constexpr qint64 SampleBytes = 256 * 1024;

    static QStringList defaultNullTokens();
    static Result sniffFile(const QString &path, const Hints &hints = Hints());
    static Result sniff(const QByteArray &sample, bool completeFile, const Hints &hints = Hints());
    static CsvFormat::Encoding detectEncoding(const QByteArray &sample, bool *bom);
    // Sample values → format: "" when no candidate fits most non-empty values (NULL tokens left
    // out; none given: the default tokens).
    static QString detectDateFormat(const QStringList &values, bool preferDayFirst, bool *ambiguous = nullptr,
                                    const QStringList &nullTokens = QStringList());
};

} // namespace bfs
