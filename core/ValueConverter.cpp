#include "ValueConverter.h"

#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>

namespace bfs {

namespace {

bool inIntegerRange(ValueConverter::Type type, qint64 value)
{
    switch (type) {
    case ValueConverter::Type::SmallInt: return value >= -32768 && value <= 32767;
    case ValueConverter::Type::Integer: return value >= std::numeric_limits<qint32>::min() && value <= std::numeric_limits<qint32>::max();
    default: return true;
    }
}

} // namespace

ValueConverter::ValueConverter(Type type, const Options &options)
    : m_type(type)
    , m_options(options)
    , m_parser(options.dateTimeFormat)
    , m_utcZone(!options.sourceZone.isValid() || options.sourceZone.id() == "UTC")
{
}

void ValueConverter::setTypeModifiers(const QString &sqlType, Options *o)
{
    static const QRegularExpression chars(QStringLiteral(R"(^(character varying|varchar|character|char|bpchar)\((\d+)\)$)"));
    static const QRegularExpression numeric(QStringLiteral(R"(^(numeric|decimal)\((\d+)(?:,\s*(-?\d+))?\)$)"));
    const QString t = sqlType.trimmed().toLower();
    o->sqlType = sqlType;
    if (const QRegularExpressionMatch m = chars.match(t); m.hasMatch())
        o->maxChars = m.captured(2).toInt();
    if (const QRegularExpressionMatch m = numeric.match(t); m.hasMatch()) {
        o->precision = m.captured(2).toInt();
        o->scale = m.captured(3).isEmpty() ? 0 : m.captured(3).toInt();
    }
}

QString ValueConverter::checkModifiers(QStringView text) const
{
    if (m_options.maxChars >= 0) {
        // PostgreSQL counts characters, and cuts trailing spaces beyond the limit instead of failing.
        qsizetype chars = 0;
        qsizetype i = 0;
        for (; i < text.size() && chars < m_options.maxChars; ++i, ++chars)
            if (text[i].isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate())
                ++i;
        for (qsizetype j = i; j < text.size(); ++j)
            if (text[j] != QLatin1Char(' '))
                return QStringLiteral("\"%1\" is longer than %2 characters (%3)")
                    .arg(text.size() > 60 ? text.left(57).toString() + QStringLiteral("…") : text.toString())
                    .arg(m_options.maxChars)
                    .arg(m_options.sqlType);
    }
    if (m_options.precision > 0 && text.compare(QLatin1String("nan"), Qt::CaseInsensitive) != 0) {
        // numeric(p, s): rounded to s decimals, the value must stay below 10^(p - s). Worked out on
        // digit positions, never on a string as long as the exponent says.
        QString digits;
        qint64 point = -1;
        qsizetype i = (text.startsWith(QLatin1Char('-')) || text.startsWith(QLatin1Char('+'))) ? 1 : 0;
        for (; i < text.size(); ++i) {
            const char16_t c = text[i].unicode();
            if (c >= u'0' && c <= u'9')
                digits += QChar(c);
            else if (c == u'.')
                point = digits.size();
            else
                break;
        }
        if (point < 0)
            point = digits.size();
        bool exponentOk = true;
        if (i < text.size()) // e±N
            point += text.mid(i + 1).toLongLong(&exponentOk);
        const int s = m_options.scale;
        qsizetype first = 0; // the first digit that is not 0
        while (first < digits.size() && digits.at(first) == QLatin1Char('0'))
            ++first;
        if (first == digits.size())
            first = -1;
        const qint64 cut = point + s; // index of the first digit rounded away
        bool fits = exponentOk && std::abs(point) < (qint64(1) << 40);
        if (fits && first >= 0 && first <= cut) {
            const bool roundsUp = cut < digits.size() && digits.at(cut) >= QLatin1Char('5');
            bool carries = roundsUp;
            for (qint64 k = first; carries && k < cut; ++k)
                carries = digits.at(k) == QLatin1Char('9');
            const qint64 leading = point - 1 - first + (carries ? 1 : 0); // power of ten of the first digit, rounded
            fits = leading < qint64(m_options.precision) - s;
        }
        if (!fits)
            return QStringLiteral("%1 does not fit %2: it must round to less than 10^%3")
                .arg(text.toString(), m_options.sqlType)
                .arg(m_options.precision - s);
    }
    return QString();
}

ValueConverter::Type ValueConverter::typeFromCatalog(const QString &typeName)
{
    const QString t = typeName.trimmed().toLower();
    if (t.endsWith(QLatin1String("[]")))
        return Type::Other; // arrays go as PostgreSQL reads them: {1,2,3}
    // (with a precision, format_type writes "timestamp(3) with time zone")
    if ((t.startsWith(QLatin1String("timestamp")) && t.endsWith(QLatin1String(" with time zone"))) || t.startsWith(QLatin1String("timestamptz")))
        return Type::TimestampTz;
    if (t.startsWith(QLatin1String("timestamp")))
        return Type::Timestamp;
    if (t == QLatin1String("date"))
        return Type::Date;
    if (t == QLatin1String("smallint") || t == QLatin1String("int2"))
        return Type::SmallInt;
    if (t == QLatin1String("integer") || t == QLatin1String("int4") || t == QLatin1String("int"))
        return Type::Integer;
    if (t == QLatin1String("bigint") || t == QLatin1String("int8"))
        return Type::BigInt;
    if (t.startsWith(QLatin1String("numeric")) || t.startsWith(QLatin1String("decimal")))
        return Type::Numeric;
    if (t == QLatin1String("real") || t == QLatin1String("float4"))
        return Type::Real;
    if (t == QLatin1String("double precision") || t == QLatin1String("float8"))
        return Type::Double;
    if (t == QLatin1String("boolean") || t == QLatin1String("bool"))
        return Type::Boolean;
    if (t == QLatin1String("text") || t.startsWith(QLatin1String("character")) || t.startsWith(QLatin1String("varchar"))
        || t == QLatin1String("name") || t == QLatin1String("citext"))
        return Type::Text;
    return Type::Other;
}

QString ValueConverter::typeName(Type t)
{
    switch (t) {
    case Type::Text: return QStringLiteral("text");
    case Type::SmallInt: return QStringLiteral("smallint");
    case Type::Integer: return QStringLiteral("integer");
    case Type::BigInt: return QStringLiteral("bigint");
    case Type::Numeric: return QStringLiteral("numeric");
    case Type::Real: return QStringLiteral("real");
    case Type::Double: return QStringLiteral("double precision");
    case Type::Boolean: return QStringLiteral("boolean");
    case Type::TimestampTz: return QStringLiteral("timestamp with time zone");
    case Type::Timestamp: return QStringLiteral("timestamp without time zone");
    case Type::Date: return QStringLiteral("date");
    case Type::Other: return QStringLiteral("other");
    }
    return QString();
}

// The integer a decimal text stands for, exactly (no detour through double): 12.0 and 1.2e3
// are integers, 12.5 is not; 20 digits are out of range, not "not an integer".
ValueConverter::IntegerText ValueConverter::exactInteger(QStringView n, qint64 *out)
{
    qsizetype i = 0;
    const bool negative = i < n.size() && n[i] == QLatin1Char('-');
    if (i < n.size() && (n[i] == QLatin1Char('-') || n[i] == QLatin1Char('+')))
        ++i;
    QString digits;
    qsizetype point = -1; // digits before the decimal point
    for (; i < n.size(); ++i) {
        const char16_t c = n[i].unicode();
        if (c >= u'0' && c <= u'9')
            digits += QChar(c);
        else if (c == u'.' && point < 0)
            point = digits.size();
        else if (c == u'e' || c == u'E')
            break;
        else
            return IntegerText::NotInteger;
    }
    if (digits.isEmpty())
        return IntegerText::NotInteger;
    if (point < 0)
        point = digits.size();
    qint64 exponent = 0;
    if (i < n.size()) {
        bool ok = false;
        exponent = n.mid(i + 1).toLongLong(&ok);
        if (!ok || qAbs(exponent) > 100000)
            return IntegerText::NotInteger;
    }
    const qint64 integerDigits = qint64(point) + exponent; // digits left of the point once shifted
    for (qint64 k = qMax<qint64>(0, integerDigits); k < digits.size(); ++k)
        if (digits.at(k) != QLatin1Char('0'))
            return IntegerText::NotInteger;
    const quint64 limit = negative ? quint64(1) << 63 : (quint64(1) << 63) - 1;
    quint64 value = 0;
    for (qint64 k = 0; k < integerDigits; ++k) {
        const int d = k < digits.size() ? digits.at(k).unicode() - u'0' : 0;
        if (value > (limit - quint64(d)) / 10)
            return IntegerText::OutOfRange;
        value = value * 10 + quint64(d);
    }
    *out = negative ? qint64(~value + 1) : qint64(value);
    return IntegerText::Ok;
}

// Scientific notation for a long integer (1.23457E+15, as spreadsheets display 12 digits and
// more) writes fewer digits than the integer has: how many are missing (0 when every one is
// written, or the number is short enough to be written so on purpose).
int ValueConverter::digitsNotWritten(QStringView normalized, qint64 value)
{
    const qsizetype e = normalized.indexOf(QLatin1Char('e'), 0, Qt::CaseInsensitive);
    if (e < 0)
        return 0;
    int significant = 0;
    bool leading = true;
    for (QChar c : normalized.left(e)) {
        if (!c.isDigit() || (leading && c == QLatin1Char('0')))
            continue;
        leading = false;
        ++significant;
    }
    const int width = int(QString::number(value).remove(QLatin1Char('-')).size());
    return width >= 12 && significant < width ? width - significant : 0;
}

bool ValueConverter::isPlainNumber(QStringView s, bool decimalComma)
{
    // -12.5, 3, 0.25: digits with at most one decimal point, nothing to rewrite.
    qsizetype i = (s.size() > 0 && s[0] == QLatin1Char('-')) ? 1 : 0;
    if (i >= s.size())
        return false;
    int digits = 0;
    bool dot = false;
    for (; i < s.size(); ++i) {
        const char16_t c = s[i].unicode();
        if (c >= u'0' && c <= u'9')
            ++digits;
        else if (c == u'.' && !decimalComma && !dot)
            dot = true;
        else
            return false;
    }
    return digits > 0 && s.back() != QLatin1Char('.');
}

bool ValueConverter::parseNumber(QStringView s, bool decimalComma, QString *out)
{
    // Accepts 1234.5, -1,234.5, 1 234,5 (decimal comma), 1.234,5, 1e-3, +7.
    const QChar dec = decimalComma ? QLatin1Char(',') : QLatin1Char('.');
    const QChar group = decimalComma ? QLatin1Char('.') : QLatin1Char(',');
    // Common case first: [-]digits[.digits] needs no rewriting.
    {
        qsizetype i = (s.size() > 0 && (s[0] == QLatin1Char('-') || s[0] == QLatin1Char('+'))) ? 1 : 0;
        const qsizetype signEnd = i;
        int digits = 0;
        bool dot = false;
        bool simple = i < s.size();
        for (; i < s.size() && simple; ++i) {
            const char16_t c = s[i].unicode();
            if (c >= u'0' && c <= u'9')
                ++digits;
            else if (c == u'.' && !decimalComma && !dot)
                dot = true;
            else
                simple = false;
        }
        if (simple && digits > 0) {
            *out = (signEnd == 1 && s[0] == QLatin1Char('+')) ? s.mid(1).toString() : s.toString();
            return true;
        }
    }
    out->clear();
    out->reserve(s.size());
    qsizetype i = 0;
    if (i < s.size() && (s[i] == QLatin1Char('-') || s[i] == QLatin1Char('+'))) {
        if (s[i] == QLatin1Char('-'))
            out->append(QLatin1Char('-'));
        ++i;
    }
    int intDigits = 0;
    int digitsSinceGroup = -1; // -1: no group separator seen yet
    bool seenDot = false;
    int fracDigits = 0;
    bool exponent = false;
    for (; i < s.size(); ++i) {
        const QChar c = s[i];
        if (c.isDigit() && c.unicode() < 128) {
            out->append(c);
            if (seenDot)
                ++fracDigits;
            else {
                ++intDigits;
                if (digitsSinceGroup >= 0)
                    ++digitsSinceGroup;
            }
        } else if (!seenDot && !exponent && (c == group || c == QChar(0x00A0) || c == QChar(0x202F) || c == QLatin1Char(' ') || c == QLatin1Char('\''))) {
            // Thousands separator: must follow 1–3 digits, or exactly 3 since the last one.
            if (intDigits == 0 || (digitsSinceGroup >= 0 && digitsSinceGroup != 3) || (digitsSinceGroup < 0 && intDigits > 3))
                return false;
            digitsSinceGroup = 0;
        } else if (c == dec && !seenDot && !exponent) {
            if (digitsSinceGroup >= 0 && digitsSinceGroup != 3)
                return false;
            seenDot = true;
            out->append(QLatin1Char('.'));
        } else if ((c == QLatin1Char('e') || c == QLatin1Char('E')) && !exponent && (intDigits + fracDigits) > 0) {
            if (digitsSinceGroup >= 0 && digitsSinceGroup != 3 && !seenDot)
                return false;
            exponent = true;
            out->append(QLatin1Char('e'));
            if (i + 1 < s.size() && (s[i + 1] == QLatin1Char('-') || s[i + 1] == QLatin1Char('+'))) {
                out->append(s[i + 1]);
                ++i;
            }
            if (i + 1 >= s.size())
                return false;
        } else {
            return false;
        }
    }
    if (intDigits + fracDigits == 0)
        return false;
    if (digitsSinceGroup >= 0 && !seenDot && !exponent && digitsSinceGroup != 3)
        return false;
    return true;
}

bool ValueConverter::parseBool(QStringView s, bool *value)
{
    static const char *const yes[] = {"true", "t", "1", "yes", "y", "on"};
    static const char *const no[] = {"false", "f", "0", "no", "n", "off"};
    for (const char *w : yes)
        if (s.compare(QLatin1String(w), Qt::CaseInsensitive) == 0) {
            *value = true;
            return true;
        }
    for (const char *w : no)
        if (s.compare(QLatin1String(w), Qt::CaseInsensitive) == 0) {
            *value = false;
            return true;
        }
    return false;
}

namespace {

// "YYYY-MM-DD HH:MM:SS[.ffffff]" for an instant given as seconds since 1970 plus microseconds.
QString formatUtc(qint64 secs, qint64 micro, bool withZone)
{
    qint64 days = secs / 86400;
    qint64 rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    const QDate d = QDate::fromJulianDay(days + 2440588);
    int y = d.year();
    char16_t buf[40];
    int n = 0;
    auto put2 = [&](int v) {
        buf[n++] = char16_t(u'0' + v / 10);
        buf[n++] = char16_t(u'0' + v % 10);
    };
    if (y < 0 || y > 9999)
        return QString(); // outside what we format; callers reject it
    buf[n++] = char16_t(u'0' + y / 1000);
    buf[n++] = char16_t(u'0' + (y / 100) % 10);
    put2(y % 100);
    buf[n++] = u'-';
    put2(d.month());
    buf[n++] = u'-';
    put2(d.day());
    buf[n++] = u' ';
    put2(int(rem / 3600));
    buf[n++] = u':';
    put2(int(rem / 60 % 60));
    buf[n++] = u':';
    put2(int(rem % 60));
    if (micro > 0) {
        buf[n++] = u'.';
        qint64 div = 100000;
        for (int i = 0; i < 6; ++i, div /= 10)
            buf[n++] = char16_t(u'0' + (micro / div) % 10);
    }
    if (withZone) {
        buf[n++] = u'+';
        buf[n++] = u'0';
        buf[n++] = u'0';
    }
    return QString(reinterpret_cast<const QChar *>(buf), n);
}

} // namespace

ValueConverter::Value ValueConverter::convertTime(QStringView cell) const
{
    Value v;
    const DateTimeParser::Result r = m_parser.parse(cell);
    if (!r.ok) {
        v.ok = false;
        v.error = r.error;
        return v;
    }
    // (What ISO text cannot write, years before 0 or after 9999, rejects the row as for timestamptz.)
    const auto outOfRange = [&] {
        v.ok = false;
        v.text.clear();
        v.error = QStringLiteral("\"%1\" is outside the years 0–9999").arg(cell.toString());
        return v;
    };
    if (m_type == Type::Date) {
        const QDate d = r.writtenDate.isValid() ? r.writtenDate : r.date;
        v.text = d.toString(Qt::ISODate);
        if (v.text.isEmpty() || d.year() < 0 || d.year() > 9999)
            return outOfRange();
        return v;
    }
    auto fraction = [](int ms, qint64 micro) {
        return (ms == 0 && micro == 0) ? QString() : QStringLiteral(".%1").arg(qint64(ms) * 1000 + micro, 6, 10, QLatin1Char('0'));
    };
    if (m_type == Type::Timestamp) {
        // Wall-clock time as written; an explicit offset in the text is kept out of it
        // by converting to the source zone's wall clock.
        QDateTime wall(r.date, r.time.isValid() ? r.time : QTime(0, 0), Qt::UTC);
        if (r.hasOffset)
            wall = wall.addSecs(-r.offsetSeconds).toTimeZone(m_options.sourceZone);
        if (!wall.isValid() || wall.date().year() < 0 || wall.date().year() > 9999)
            return outOfRange();
        v.text = wall.date().toString(Qt::ISODate) + QLatin1Char(' ') + wall.time().toString(QStringLiteral("HH:mm:ss"))
            + fraction(wall.time().msec(), r.microsecond);
        return v;
    }
    const QTime time = r.time.isValid() ? r.time : QTime(0, 0);
    const qint64 wallSecs = (r.date.toJulianDay() - 2440588) * 86400 + time.msecsSinceStartOfDay() / 1000;
    const qint64 micro = qint64(time.msec()) * 1000 + r.microsecond;
    if (r.hasOffset || m_utcZone) {
        // Fast path: plain arithmetic, no time zone database.
        v.text = formatUtc(wallSecs - (r.hasOffset ? r.offsetSeconds : 0), micro, true);
    } else {
        QDateTime utc;
        qint64 sub = 0;
        QString error;
        if (!DateTimeParser::toUtc(r, m_options.sourceZone, m_options.overlap, &utc, &sub, &error)) {
            v.ok = false;
            v.error = error;
            return v;
        }
        v.text = formatUtc(utc.toSecsSinceEpoch(), micro, true);
    }
    if (v.text.isEmpty()) {
        v.ok = false;
        v.error = QStringLiteral("\"%1\" is outside the years 0–9999").arg(cell.toString());
    }
    return v;
}

ValueConverter::Value ValueConverter::convert(const QString &rawCell, bool quoted) const
{
    Value v;
    const bool keepSpaces = !m_options.trim || (quoted && m_type == Type::Text); // uuid, enum, … are trimmed as before
    const QStringView cell = keepSpaces ? QStringView(rawCell) : QStringView(rawCell).trimmed();
    // (not a uuid, inet, interval … column: "NULL" in quotes cannot be one, it is the token there)
    const bool textual = m_type == Type::Text
        || (m_type == Type::Other && m_options.sqlType.startsWith(QLatin1String("json"), Qt::CaseInsensitive));
    const bool quotedData = quoted && !cell.isEmpty() && textual;
    // An empty cell can be nothing but NULL in a number, date, time or boolean column, whatever
    // --null lists (a list that leaves out the empty cell means text columns keep empty strings).
    if (cell.isEmpty() && m_type != Type::Text && m_type != Type::Other) { // (bytea, tsvector … take '')
        v.isNull = true;
        return v;
    }
    for (const QString &token : m_options.nullTokens) {
        if (!quotedData && cell == token) {
            v.isNull = true;
            return v;
        }
    }
    switch (m_type) {
    case Type::Text:
    case Type::Other:
        v.view = cell;
        if (v.view.isNull())
            v.view = QStringView(u"", 0);
        if (m_options.maxChars >= 0) {
            v.error = checkModifiers(v.view);
            v.ok = v.error.isEmpty();
        }
        return v;
    case Type::SmallInt:
    case Type::Integer:
    case Type::BigInt: {
        // Fast path: plain digits.
        if (cell.size() > 0 && cell.size() <= 18) {
            qsizetype i = (cell[0] == QLatin1Char('-') || cell[0] == QLatin1Char('+')) ? 1 : 0;
            qint64 value = 0;
            bool digits = i < cell.size();
            for (; i < cell.size() && digits; ++i) {
                const char16_t c = cell[i].unicode();
                digits = c >= u'0' && c <= u'9';
                value = value * 10 + (c - u'0');
            }
            if (digits) {
                if (cell[0] == QLatin1Char('-'))
                    value = -value;
                if (!inIntegerRange(m_type, value)) {
                    v.ok = false;
                    v.error = QStringLiteral("%1 is out of range for %2").arg(cell.toString(), typeName(m_type));
                } else if (cell[0] == QLatin1Char('+')) {
                    v.text = QString::number(value);
                } else {
                    v.view = cell; // already what PostgreSQL reads
                }
                return v;
            }
        }
        QString n;
        qint64 value = 0;
        const IntegerText kind = parseNumber(cell, m_options.decimalComma, &n) ? exactInteger(n, &value) : IntegerText::NotInteger;
        if (kind == IntegerText::NotInteger) {
            v.ok = false;
            v.error = QStringLiteral("\"%1\" is not an integer").arg(cell.toString());
        } else if (kind == IntegerText::OutOfRange || !inIntegerRange(m_type, value)) {
            v.ok = false;
            v.error = QStringLiteral("%1 is out of range for %2").arg(cell.toString(), typeName(m_type));
        } else if (const int lost = digitsNotWritten(n, value); lost > 0) {
            const qsizetype width = QString::number(value).remove(QLatin1Char('-')).size();
            v.ok = false;
            v.error = QStringLiteral("%1 gives only the first %2 of the %3 digits of an integer (a spreadsheet shows long numbers "
                                     "so): format the column as a number without decimals before exporting")
                          .arg(cell.toString())
                          .arg(width - lost)
                          .arg(width);
        } else {
            v.text = QString::number(value);
        }
        return v;
    }
    case Type::Numeric:
    case Type::Real:
    case Type::Double: {
        // NaN and infinity as PostgreSQL spells them (inf, +Infinity …); numeric takes infinity
        // only without a type modifier (PostgreSQL 14+).
        QString lower = cell.toString().toLower();
        const bool negative = lower.startsWith(QLatin1Char('-'));
        if (negative || lower.startsWith(QLatin1Char('+')))
            lower.remove(0, 1);
        if (lower == QLatin1String("nan") && !negative) {
            v.text = lower;
            return v;
        }
        if ((lower == QLatin1String("inf") || lower == QLatin1String("infinity"))
            && (m_type != Type::Numeric || m_options.precision < 0)) {
            v.text = negative ? QStringLiteral("-infinity") : QStringLiteral("infinity");
            return v;
        }
        // Fast path: plain digits that need no rewriting (and, up to 15 characters, cannot leave
        // a float's range).
        if (isPlainNumber(cell, m_options.decimalComma) && cell.size() < (m_type == Type::Numeric ? 300 : 16)) {
            v.view = cell;
            if (m_options.precision > 0) {
                v.error = checkModifiers(cell);
                v.ok = v.error.isEmpty();
            }
            return v;
        }
        if (!parseNumber(cell, m_options.decimalComma, &v.text)) {
            v.ok = false;
            v.error = QStringLiteral("\"%1\" is not a number%2").arg(cell.toString(),
                m_options.decimalComma ? QStringLiteral(" (decimal comma expected)") : QString());
        } else if (m_type == Type::Numeric) {
            // PostgreSQL's numeric holds up to 131072 digits before the point and 16383 after it
            // (numeric(p, s) rounds to s first: checkModifiers).
            const qsizetype e = v.text.indexOf(QLatin1Char('e'), 0, Qt::CaseInsensitive);
            bool ok = true;
            if (e >= 0) {
                const qint64 exponent = QStringView(v.text).mid(e + 1).toLongLong(&ok);
                const qsizetype dot = v.text.indexOf(QLatin1Char('.'));
                const qint64 before = (dot < 0 || dot > e ? e : dot) - (v.text.startsWith(QLatin1Char('-')) ? 1 : 0);
                const qint64 after = dot < 0 || dot > e ? 0 : e - dot - 1;
                ok = ok && std::abs(exponent) < (qint64(1) << 30)
                    && (m_options.precision > 0 || (before + exponent <= 131072 && after - exponent <= 16383));
            }
            if (!ok) {
                v.ok = false;
                v.error = QStringLiteral("%1 is out of range for numeric (at most 131072 digits before the decimal point and 16383 "
                                         "after it)").arg(cell.toString());
            } else if (m_options.precision > 0) {
                v.error = checkModifiers(v.text);
                v.ok = v.error.isEmpty();
            }
        } else {
            // 1e400 is a valid numeric but not a float: say so here instead of failing the whole load.
            // Like PostgreSQL's float4in/float8in, a value that rounds to infinity, or to zero
            // from non-zero digits, is out of range (Qt's toFloat/toDouble clear ok for both).
            // (real: what rounds to FLT_MAX, as strtof does, still fits: up to FLT_MAX + half an ulp.)
            bool ok = false;
            const double d = std::abs(v.text.toDouble(&ok));
            if (ok && m_type == Type::Real)
                ok = d < 3.4028235677973366e38 && (d == 0 || d > 7.006492321624085e-46);
            if (!ok) {
                v.ok = false;
                v.error = QStringLiteral("%1 is out of range for %2").arg(cell.toString(), typeName(m_type));
            }
        }
        return v;
    }
    case Type::Boolean: {
        bool b = false;
        if (!parseBool(cell, &b)) {
            v.ok = false;
            v.error = QStringLiteral("\"%1\" is not a boolean (true/false, t/f, 1/0, yes/no)").arg(cell.toString());
        } else {
            v.text = b ? QStringLiteral("t") : QStringLiteral("f");
        }
        return v;
    }
    case Type::TimestampTz:
    case Type::Timestamp:
    case Type::Date:
        return convertTime(cell);
    }
    return v;
}

} // namespace bfs
