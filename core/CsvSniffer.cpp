#include "CsvSniffer.h"

#include "CsvReader.h"
#include "DateTimeParser.h"
#include "ValueConverter.h"

#include <QBuffer>
#include <QFile>
#include <QRegularExpression>

#include <algorithm>
#include <climits>
#include <map>

namespace bfs {

namespace {

// Counts the well-formed multi-byte UTF-8 sequences of a sample and the bytes that fit none
// (a sequence cut at the sample's end counts as neither).
void countUtf8(const QByteArray &s, int *sequences, int *invalid)
{
    *sequences = *invalid = 0;
    const auto *p = reinterpret_cast<const uchar *>(s.constData());
    const auto *end = p + s.size();
    while (p < end) {
        const uchar b = *p;
        const int len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 1) {
            ++p;
            continue;
        }
        bool ok = len > 0 && !(len == 2 && b < 0xC2);
        if (ok && end - p < len)
            return; // cut by the sample's end
        for (int i = 1; ok && i < len; ++i)
            ok = (p[i] & 0xC0) == 0x80;
        if (ok) {
            ++*sequences;
            p += len;
        } else {
            ++*invalid;
            ++p;
        }
    }
}

QList<QStringList> parseSample(const QString &text, const CsvFormat &format, int maxRecords, bool dropLast)
{
    QByteArray utf8 = text.toUtf8();
    QBuffer buffer(&utf8);
    buffer.open(QIODevice::ReadOnly);
    CsvFormat f = format;
    f.encoding = CsvFormat::Encoding::Utf8;
    f.header = false;
    f.maxFieldChars = 1 << 16;
    CsvReader reader(f);
    QList<QStringList> rows;
    if (!reader.open(&buffer))
        return rows;
    CsvRecord rec;
    while (rows.size() < maxRecords && reader.next(&rec))
        rows << rec.fields;
    if (dropLast && !rows.isEmpty() && reader.bytesRead() >= utf8.size() && rows.size() < maxRecords)
        rows.removeLast(); // probably cut by the sample boundary
    return rows;
}

bool looksNumeric(const QString &v, bool decimalComma)
{
    QString n;
    return ValueConverter::parseNumber(QStringView(v).trimmed(), decimalComma, &n);
}

bool looksDate(const QString &v)
{
    static const QRegularExpression re(QStringLiteral(R"(^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[A-Za-z]{3}-\d{1,2}-\d{4}|\d{1,2}-[A-Za-z]{3}-\d{4}))"));
    return re.match(v).hasMatch();
}

} // namespace

QStringList CsvSniffer::defaultNullTokens()
{
    return ValueConverter::Options().nullTokens;
}

CsvFormat::Encoding CsvSniffer::detectEncoding(const QByteArray &s, bool *bom)
{
    *bom = true;
    if (s.startsWith("\xEF\xBB\xBF"))
        return CsvFormat::Encoding::Utf8;
    if (s.startsWith("\xFF\xFE"))
        return CsvFormat::Encoding::Utf16LE;
    if (s.startsWith("\xFE\xFF"))
        return CsvFormat::Encoding::Utf16BE;
    *bom = false;
    // UTF-16 without BOM: ASCII text has a zero in every other byte.
    if (s.size() >= 4) {
        int evenZero = 0, oddZero = 0;
        const int n = int(qMin<qsizetype>(s.size(), 4096)) & ~1;
        for (int i = 0; i < n; i += 2) {
            evenZero += s[i] == 0;
            oddZero += s[i + 1] == 0;
        }
        if (oddZero > n / 2 * 0.7 && evenZero < n / 2 * 0.1)
            return CsvFormat::Encoding::Utf16LE;
        if (evenZero > n / 2 * 0.7 && oddZero < n / 2 * 0.1)
            return CsvFormat::Encoding::Utf16BE;
    }
    // Windows-1252 text (é alone as 0xE9) is almost never valid UTF-8. A UTF-8 file with a stray
    // byte or two (pasted from elsewhere) stays UTF-8: read as Windows-1252, every one of its
    // accented letters would turn into two wrong ones (é → Ã©) without a word; as UTF-8, the rows
    // with a stray byte are rejected with their lines.
    int sequences = 0, invalid = 0;
    countUtf8(s, &sequences, &invalid);
    return invalid == 0 || sequences >= invalid ? CsvFormat::Encoding::Utf8 : CsvFormat::Encoding::Windows1252;
}

QString CsvSniffer::detectDateFormat(const QStringList &values, bool preferDayFirst, bool *ambiguous, const QStringList &nullTokens)
{
    if (ambiguous)
        *ambiguous = false;
    const QStringList nulls = nullTokens.isEmpty() ? defaultNullTokens() : nullTokens;
    QStringList nonEmpty;
    for (const QString &v : values) {
        const QString t = v.trimmed();
        if (t.isEmpty() || std::any_of(nulls.cbegin(), nulls.cend(), [&t](const QString &n) { return t == n; }))
            continue;
        nonEmpty << t;
    }
    if (nonEmpty.isEmpty())
        return QString();
    // Candidates are judged on the first 100 values; one that fits most of them wins, so a
    // stray value is rejected later with its line instead of turning the whole column to ISO.
    const QStringList head = nonEmpty.mid(0, 100);
    auto fits = [](const QString &format, const QStringList &vals) {
        const DateTimeParser p(format);
        return int(std::count_if(vals.cbegin(), vals.cend(), [&p](const QString &v) { return p.parse(v).ok; }));
    };
    const int isoFits = fits(QStringLiteral("iso"), head);
    if (isoFits == head.size())
        return QStringLiteral("iso");
    static const QStringList dayFirst = {
        QStringLiteral("dd.MM.yyyy HH:mm:ss"), QStringLiteral("dd.MM.yyyy HH:mm"), QStringLiteral("dd.MM.yyyy"),
        QStringLiteral("d.M.yyyy H:mm"), QStringLiteral("d.M.yyyy"),
        QStringLiteral("dd/MM/yyyy HH:mm:ss"), QStringLiteral("dd/MM/yyyy HH:mm"), QStringLiteral("dd/MM/yyyy"),
        QStringLiteral("d/M/yyyy H:mm"), QStringLiteral("d/M/yyyy"),
        // 12-hour clocks of day-first locales (en-AU, en-IN, en-IE)
        QStringLiteral("dd/MM/yyyy h:mm:ss AP"), QStringLiteral("dd/MM/yyyy h:mm AP"), QStringLiteral("d/M/yyyy h:mm AP"),
        QStringLiteral("d/M/yyyy h:mm:ss AP"),
    };
    static const QStringList monthFirst = {
        QStringLiteral("MM/dd/yyyy h:mm:ss AP"), QStringLiteral("MM/dd/yyyy h:mm AP"), QStringLiteral("M/d/yyyy h:mm AP"),
        QStringLiteral("M/d/yyyy h:mm:ss AP"), QStringLiteral("MM/dd/yyyy HH:mm:ss"), QStringLiteral("MM/dd/yyyy HH:mm"),
        QStringLiteral("MM/dd/yyyy"), QStringLiteral("M/d/yyyy H:mm"), QStringLiteral("M/d/yyyy"),
    };
    static const QStringList others = {
        QStringLiteral("yyyyMMdd"), QStringLiteral("yyyyMMddHHmmss"), QStringLiteral("yyyy/MM/dd HH:mm:ss"),
        QStringLiteral("yyyy/MM/dd HH:mm"), QStringLiteral("yyyy/MM/dd"), QStringLiteral("MMM-d-yyyy"),
        QStringLiteral("d-MMM-yyyy"), QStringLiteral("dd-MMM-yyyy HH:mm"), QStringLiteral("MMM d yyyy"),
    };
    auto best = [&](const QStringList &formats, int *count) {
        QString f;
        *count = 0;
        for (const QString &candidate : formats) {
            const int n = fits(candidate, head);
            if (n > *count) {
                *count = n;
                f = candidate;
            }
            if (n == head.size())
                break;
        }
        return f;
    };
    int dayCount = 0, monthCount = 0, otherCount = 0;
    QString day = best(dayFirst, &dayCount);
    QString month = best(monthFirst, &monthCount);
    const QString other = best(others, &otherCount);
    const int top = std::max({isoFits, dayCount, monthCount, otherCount});
    if (top * 2 > head.size()) {
        if (isoFits == top)
            return QStringLiteral("iso");
        if (dayCount == top && monthCount == top) {
            // As many fit each order. When every one fits both (01/02/2024), the rest of the
            // sample may tell (a 25/01 or a 01/25); if it does not, the order is a guess, and
            // said so. Values that contradict each other are no guess: the other order's rows
            // are rejected with their lines.
            const DateTimeParser dayParser(day), monthParser(month);
            bool everyOneFitsBoth = true;
            int dayRest = 0, monthRest = 0;
            for (qsizetype i = 0; i < nonEmpty.size(); ++i) {
                const bool d = dayParser.parse(nonEmpty.at(i)).ok, m = monthParser.parse(nonEmpty.at(i)).ok;
                everyOneFitsBoth = everyOneFitsBoth && d == m;
                if (i >= head.size()) {
                    dayRest += d;
                    monthRest += m;
                }
            }
            if (dayRest != monthRest)
                return dayRest > monthRest ? day : month;
            if (ambiguous)
                *ambiguous = everyOneFitsBoth;
            return preferDayFirst ? day : month;
        }
        if (dayCount == top)
            return day;
        if (monthCount == top)
            return month;
        return other;
    }
    // Whole numbers in the range of recent instants: epoch seconds or milliseconds.
    bool allInt = true;
    qint64 lo = std::numeric_limits<qint64>::max(), hi = std::numeric_limits<qint64>::min();
    for (const QString &v : head) {
        bool ok = false;
        const qint64 n = v.toLongLong(&ok);
        allInt = allInt && ok;
        lo = qMin(lo, n);
        hi = qMax(hi, n);
    }
    if (allInt && lo >= 315532800LL && hi <= 4102444800LL) // 1980 … 2100
        return QStringLiteral("epoch");
    if (allInt && lo >= 315532800000LL && hi <= 4102444800000LL)
        return QStringLiteral("epoch_ms");
    return QString();
}

CsvSniffer::Result CsvSniffer::sniffFile(const QString &path, const Hints &hints)
{
    Result r;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        r.error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return r;
    }
    const QByteArray sample = f.read(SampleBytes);
    const bool complete = f.atEnd();
    r = sniff(sample, complete, hints);
    if (!r.ok)
        r.error = QStringLiteral("%1: %2").arg(path, r.error);
    return r;
}

CsvSniffer::Result CsvSniffer::sniff(const QByteArray &sample, bool completeFile, const Hints &hints)
{
    Result r;
    if (sample.isEmpty()) {
        r.error = QStringLiteral("the file is empty");
        return r;
    }
    r.format.encoding = detectEncoding(sample, &r.format.hasBom);
    if (hints.encoding)
        r.format.encoding = *hints.encoding;
    QString text;
    QChar declared; // a "sep=;" first line
    {
        QByteArray bytes = sample;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::ReadOnly);
        CsvFormat raw = r.format;
        raw.delimiter = QChar(0x1F); // unit separator: never splits, so one "field" per line
        raw.quote = QChar();
        raw.header = false;
        raw.skipLines = hints.skipLines; // lines before the header (--skip-lines) say nothing of the format
        CsvReader lines(raw);
        lines.open(&buffer);
        CsvRecord rec;
        while (lines.next(&rec))
            text += rec.fields.join(QString()) + QLatin1Char('\n');
        declared = lines.declaredDelimiter();
    }
    // A delimiter the file declares wins over the detection (a tab or a punctuation mark).
    if (!hints.delimiter && (declared == QLatin1Char('\t') || declared.isPunct() || declared.isSymbol())) {
        r.format.delimiter = declared;
        r.delimiterDeclared = true;
    }

    // Delimiter: the candidate that splits the most records into the same, largest count. On a
    // tie, the one whose fields hold the fewest other candidates outside numbers: "sensor A;12,5"
    // splits into two fields at the comma and at the semicolon, but only the semicolon leaves
    // clean fields ("12,5" is a number with a decimal comma; "sensor A;12" is no value).
    const QList<QChar> candidates = {QLatin1Char(','), QLatin1Char(';'), QLatin1Char('\t'), QLatin1Char('|')};
    static const QRegularExpression numberLike(QStringLiteral(R"(^\s*[-+]?\d+([.,]\d+)*\s*$)"));
    auto strayDelimiters = [&candidates](const QList<QStringList> &rows, QChar used) {
        int n = 0;
        for (const QStringList &row : rows)
            for (const QString &field : row)
                if (std::any_of(candidates.cbegin(), candidates.cend(), [&](QChar c) { return c != used && field.contains(c); })
                    && !numberLike.match(field).hasMatch())
                    ++n;
        return n;
    };
    double bestScore = 0;
    int bestStray = 0;
    for (QChar d : hints.delimiter || r.delimiterDeclared ? QList<QChar>{} : candidates) {
        CsvFormat f = r.format;
        f.delimiter = d;
        const QList<QStringList> rows = parseSample(text, f, 200, !completeFile);
        if (rows.isEmpty())
            continue;
        std::map<qsizetype, int> counts;
        for (const QStringList &row : rows)
            ++counts[row.size()];
        qsizetype mode = 0;
        int modeCount = 0;
        for (auto [n, c] : counts)
            if (c > modeCount || (c == modeCount && n > mode)) {
                mode = n;
                modeCount = c;
            }
        if (mode < 2)
            continue;
        const double score = double(modeCount) / rows.size() * 100 + qMin<qsizetype>(mode, 50) * 0.01;
        const int stray = strayDelimiters(rows, d);
        if (score > bestScore + 1e-9 || (score > bestScore - 1e-9 && stray < bestStray)) {
            bestScore = score;
            bestStray = stray;
            r.format.delimiter = d;
        }
    }

    if (hints.delimiter)
        r.format.delimiter = *hints.delimiter;

    // Every row of the sample (date formats look at all of them), the first 200 for the rest.
    const QList<QStringList> allRows = parseSample(text, r.format, INT_MAX, !completeFile);
    const QList<QStringList> rows = allRows.mid(0, 200);
    if (rows.isEmpty()) {
        r.error = QStringLiteral("no rows could be read");
        return r;
    }
    const qsizetype columnCount = rows.first().size();

    // Decimal comma: with a non-comma delimiter, numbers like 1.234,5 or 12,5. A value decides
    // when only one reading fits it (12,5 or 1.234,5 or 1.000.000: comma; 999.5 or 2,000,000:
    // point); 1,234 and 1.234 fit both (a decimal separator, or a thousands separator before
    // three digits). Only when no value decides do those count, and the result says so.
    // With a comma delimiter, a number with a comma is quoted ("1,5" from a spreadsheet in a
    // decimal-comma locale): the same evidence counts, but when none decides the point wins (the
    // comma separates fields). Every row of the sample counts, not only the first 200.
    {
        const bool commaDelimited = r.format.delimiter == QLatin1Char(',');
        static const QRegularExpression number(QStringLiteral(R"(^\s*[-+]?(\d+)(?:([.,])(\d+))?(?:([.,])(\d+))*\s*$)"));
        // Groups of three set apart by a space, a no-break space or a narrow no-break space
        // (fr-FR, pl, sv, cs …), then the decimal separator.
        static const QRegularExpression spacedComma(QStringLiteral("^\\s*[-+]?\\d{1,3}([ \\x{00A0}\\x{202F}]\\d{3})+,\\d+\\s*$"));
        static const QRegularExpression spacedPoint(QStringLiteral("^\\s*[-+]?\\d{1,3}([ \\x{00A0}\\x{202F}]\\d{3})+\\.\\d+\\s*$"));
        static const QRegularExpression commaLast(QStringLiteral(R"(^\s*[-+]?\d{1,3}(\.\d{3})+,\d+\s*$)"));
        static const QRegularExpression pointLast(QStringLiteral(R"(^\s*[-+]?\d{1,3}(,\d{3})+\.\d+\s*$)"));
        static const QRegularExpression commaGroups(QStringLiteral(R"(^\s*[-+]?\d{1,3}(,\d{3}){2,}\s*$)"));
        static const QRegularExpression pointGroups(QStringLiteral(R"(^\s*[-+]?\d{1,3}(\.\d{3}){2,}\s*$)"));
        static const QRegularExpression single(QStringLiteral(R"(^\s*[-+]?(\d+)([.,])(\d+)\s*$)"));
        // The columns that count: those of a numeric table column when the first row names any.
        QList<bool> counts;
        if (!hints.numericTableColumns.isEmpty() && !allRows.isEmpty())
            for (const QString &name : allRows.first())
                counts << std::any_of(hints.numericTableColumns.cbegin(), hints.numericTableColumns.cend(),
                                      [&name](const QString &c) { return c.compare(name.trimmed(), Qt::CaseInsensitive) == 0; });
        if (!counts.contains(true))
            counts.clear(); // (no header naming them: every column counts)
        int comma = 0, point = 0, maybeComma = 0, maybePoint = 0;
        // (The first row too: a header's names are no numbers, and a file without one starts with data.)
        for (int i = 0; i < allRows.size(); ++i)
            for (qsizetype col = 0; col < allRows.at(i).size(); ++col) {
                if (!counts.isEmpty() && !counts.value(col))
                    continue;
                const QString &v = allRows.at(i).at(col);
                if (spacedComma.match(v).hasMatch()) {
                    ++comma;
                    continue;
                }
                if (spacedPoint.match(v).hasMatch()) {
                    ++point;
                    continue;
                }
                if (looksDate(v) || !number.match(v).hasMatch())
                    continue;
                if (commaLast.match(v).hasMatch() || pointGroups.match(v).hasMatch()) {
                    ++comma;
                } else if (pointLast.match(v).hasMatch() || commaGroups.match(v).hasMatch()) {
                    ++point;
                } else if (const QRegularExpressionMatch m = single.match(v); m.hasMatch()) {
                    const bool isComma = m.captured(2) == QLatin1String(",");
                    // Both readings fit 1-3 digits (not a lone 0) before exactly three.
                    const bool both = m.captured(3).size() == 3 && m.captured(1).size() <= 3 && m.captured(1) != QLatin1String("0");
                    (both ? (isComma ? maybeComma : maybePoint) : (isComma ? comma : point)) += 1;
                }
            }
        if (comma + point > 0) {
            r.format.decimalComma = comma > point;
        } else {
            r.format.decimalComma = !commaDelimited && maybeComma > maybePoint;
            r.ambiguousDecimal = maybeComma + maybePoint > 0;
        }
    }

    // Header: the first row has no number or date where later rows have them,
    // or every field of the first row is distinct non-numeric text.
    // A header may have blank names; it has no numbers or dates, and mostly names.
    // Blank names at the end (a spreadsheet's empty columns: "id,name,,,,") do not count.
    const QStringList &first = rows.first();
    bool firstAllText = true;
    int named = 0;
    qsizetype width = 0; // up to the last name
    for (qsizetype i = 0; i < first.size(); ++i) {
        const QString &v = first.at(i);
        if (v.trimmed().isEmpty())
            continue;
        ++named;
        width = i + 1;
        firstAllText = firstAllText && !looksNumeric(v, r.format.decimalComma) && !looksDate(v);
    }
    r.format.header = firstAllText && named > 0 && named * 2 >= width;
    for (qsizetype i = 0; i < first.size() && !r.format.header && !hints.tableColumns.isEmpty(); ++i) {
        const QString v = first.at(i).trimmed();
        const bool names = !v.isEmpty() && std::any_of(hints.tableColumns.cbegin(), hints.tableColumns.cend(), [&](const QString &c) {
            return c.compare(v, Qt::CaseInsensitive) == 0;
        });
        r.format.header = names && std::none_of(rows.cbegin() + 1, rows.cend(), [&](const QStringList &row) { return row.value(i).trimmed() == v; });
    }
    if (hints.header)
        r.format.header = *hints.header;

    const int dataStart = r.format.header ? 1 : 0;
    if (r.format.header) {
        for (const QString &v : first)
            r.columns << v.trimmed();
    } else {
        for (int i = 0; i < columnCount; ++i)
            r.columns << QStringLiteral("column%1").arg(i + 1);
    }
    for (int i = dataStart; i < rows.size() && r.sampleRows.size() < 100; ++i)
        r.sampleRows << rows.at(i);

    // Date formats from every row of the sample: a 25/01 far down settles 01/02.
    const bool preferDayFirst = r.format.delimiter == QLatin1Char(';') || r.format.decimalComma;
    for (int c = 0; c < r.columns.size(); ++c) {
        QStringList values;
        bool numeric = true;
        for (const QStringList &row : std::as_const(r.sampleRows)) {
            const QString v = c < row.size() ? row.at(c) : QString();
            if (!v.trimmed().isEmpty())
                numeric = numeric && looksNumeric(v, r.format.decimalComma);
        }
        for (qsizetype i = dataStart; i < allRows.size(); ++i)
            values << allRows.at(i).value(c);
        bool ambiguous = false;
        QString fmt = detectDateFormat(values, preferDayFirst, &ambiguous, hints.nullTokens);
        if ((fmt == QLatin1String("epoch") || fmt == QLatin1String("epoch_ms"))) {
            // Plain integers are dates only when the column is named like one.
            const QString name = r.columns.at(c).toLower();
            if (!(name.contains(QLatin1String("time")) || name.contains(QLatin1String("date")) || name == QLatin1String("ts")
                  || name.contains(QLatin1String("epoch"))))
                fmt.clear();
        }
        r.dateFormats << fmt;
        r.ambiguousDate << ambiguous;
        r.numericColumn << (numeric && fmt.isEmpty());
    }
    r.ok = true;
    return r;
}

} // namespace bfs
