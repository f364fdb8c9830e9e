#include "DateTimeParser.h"

#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace bfs {

namespace {

inline int digit(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'0' && u <= u'9') ? int(u - u'0') : -1;
}

// Reads exactly n digits at pos.
bool readDigits(QStringView s, qsizetype &pos, int n, int *value)
{
    if (pos + n > s.size())
        return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
        const int d = digit(s[pos + i]);
        if (d < 0)
            return false;
        v = v * 10 + d;
    }
    pos += n;
    *value = v;
    return true;
}

// The shape a Qt date-time pattern writes (its digits where its fields are, its other characters
// as they are), whatever the values; an invalid expression for a pattern it cannot tell.
QRegularExpression shapeOf(const QString &format)
{
    QString rx = QStringLiteral("^");
    for (qsizetype i = 0; i < format.size();) {
        const QChar c = format.at(i);
        qsizetype n = 1;
        while (i + n < format.size() && format.at(i + n) == c)
            ++n;
        if (c == QLatin1Char('\'')) { // quoted text
            const qsizetype end = format.indexOf(QLatin1Char('\''), i + 1);
            if (end < 0)
                return QRegularExpression(QStringLiteral("("));
            rx += QRegularExpression::escape(format.mid(i + 1, end - i - 1));
            i = end + 1;
            continue;
        }
        switch (c.unicode()) {
        case 'd': case 'M':
            rx += n <= 2 ? (n == 1 ? QStringLiteral("\\d{1,2}") : QStringLiteral("\\d{2}")) : QStringLiteral("\\p{L}+");
            break;
        case 'y': rx += n == 4 ? QStringLiteral("\\d{4}") : QStringLiteral("\\d{2}"); break;
        case 'h': case 'H': case 'm': case 's': rx += n == 1 ? QStringLiteral("\\d{1,2}") : QStringLiteral("\\d{2}"); break;
        case 'z': rx += QStringLiteral("\\d{1,3}"); break;
        case 'a': case 'A': case 'p': case 'P': // (AP, ap, A or a: AM or PM)
            rx += QStringLiteral("[AaPp][Mm]");
            if ((c == QLatin1Char('A') || c == QLatin1Char('a')) && i + 1 < format.size() && format.at(i + 1).toLower() == QLatin1Char('p'))
                n = 2;
            break;
        case 't': rx += QStringLiteral(".+"); break;
        default:
            if (c.isLetter())
                return QRegularExpression(QStringLiteral("("));
            rx += QRegularExpression::escape(format.mid(i, n));
        }
        i += n;
    }
    return QRegularExpression(rx + QLatin1Char('$'));
}

// One or two digits (2024-1-5 9:30, which PostgreSQL reads too): two when the second is a digit.
bool readOneOrTwoDigits(QStringView s, qsizetype &pos, int *value)
{
    return readDigits(s, pos, pos + 1 < s.size() && digit(s[pos + 1]) >= 0 ? 2 : 1, value);
}

// A Qt pattern without its quoted literal text ('T', 'at'): the letters that are fields.
QString fieldLetters(const QString &pattern)
{
    QString out;
    bool quoted = false;
    for (QChar c : pattern) {
        if (c == QLatin1Char('\''))
            quoted = !quoted;
        else if (!quoted)
            out += c;
    }
    return out;
}

} // namespace

DateTimeParser::DateTimeParser(const QString &format)
    : m_format(format.trimmed())
{
    const QString f = m_format.toLower();
    if (f.isEmpty() || f == QLatin1String("iso") || f == QLatin1String("auto"))
        m_kind = Kind::Iso;
    else if (f == QLatin1String("epoch") || f == QLatin1String("epoch_s"))
        m_kind = Kind::Epoch;
    else if (f == QLatin1String("epoch_ms"))
        m_kind = Kind::EpochMs;
    else {
        m_kind = Kind::Pattern;
        const QString fields = fieldLetters(m_format);
        m_patternHasTime = fields.contains(QLatin1Char('h'), Qt::CaseInsensitive) || fields.contains(QLatin1Char('m'))
            || fields.contains(QLatin1Char('s'));
        m_patternHasZone = fields.contains(QLatin1Char('t'));
        m_twoDigitYear = fields.contains(QLatin1String("yy")) && !fields.contains(QLatin1String("yyyy"));
        m_shape = shapeOf(m_format);
    }
}

QString DateTimeParser::swapDayAndMonth(const QString &pattern)
{
    QString out = pattern;
    const qsizetype end = out.indexOf(QLatin1Char(' ')) < 0 ? out.size() : out.indexOf(QLatin1Char(' '));
    for (qsizetype i = 0; i < end; ++i) {
        if (out.at(i) == QLatin1Char('d'))
            out[i] = QLatin1Char('M');
        else if (out.at(i) == QLatin1Char('M'))
            out[i] = QLatin1Char('d');
    }
    return out;
}

bool DateTimeParser::isValidFormat(QString *error) const
{
    if (m_kind != Kind::Pattern)
        return true;
    static const QString letters = QStringLiteral("dMyhHmszaAPpt");
    bool hasField = false;
    for (QChar c : m_format)
        hasField = hasField || letters.contains(c);
    if (!hasField || !m_format.contains(QLatin1Char('y')) || !m_format.contains(QLatin1Char('d'))) {
        if (error)
            *error = QStringLiteral("\"%1\" is not a date-time pattern (use Qt's syntax, e.g. dd.MM.yyyy HH:mm), "
                                    "iso, epoch or epoch_ms").arg(m_format);
        return false;
    }
    return true;
}

bool DateTimeParser::parseIso(QStringView s, Result *r)
{
    s = s.trimmed();
    qsizetype pos = 0;
    int y, mo, d;
    if (!readDigits(s, pos, 4, &y))
        return false;
    const bool dashed = pos < s.size() && s[pos] == QLatin1Char('-');
    if (dashed)
        ++pos;
    // (with dashes the month and the day may have one digit; without, 20240105, two each)
    if (!(dashed ? readOneOrTwoDigits(s, pos, &mo) : readDigits(s, pos, 2, &mo)))
        return false;
    if (dashed) {
        if (pos >= s.size() || s[pos] != QLatin1Char('-'))
            return false;
        ++pos;
    }
    if (!(dashed ? readOneOrTwoDigits(s, pos, &d) : readDigits(s, pos, 2, &d)))
        return false;
    r->date = QDate(y, mo, d);
    if (!r->date.isValid()) {
        r->error = QStringLiteral("%1 is not a calendar date").arg(s.left(pos));
        return false;
    }
    if (pos == s.size())
        return true; // date only
    if (s[pos] != QLatin1Char('T') && s[pos] != QLatin1Char('t') && s[pos] != QLatin1Char(' '))
        return false;
    ++pos;
    const qsizetype timeAt = pos;
    int h, mi, sec = 0;
    // (an hour of one digit before a colon: 9:30)
    const bool shortHour = pos + 1 < s.size() && digit(s[pos]) >= 0 && s[pos + 1] == QLatin1Char(':');
    if (!readDigits(s, pos, shortHour ? 1 : 2, &h))
        return false;
    if (pos < s.size() && s[pos] == QLatin1Char(':'))
        ++pos;
    if (!readDigits(s, pos, 2, &mi))
        return false;
    int ms = 0;
    qint64 micro = 0;
    bool carry = false; // a fraction that rounds up to the next whole second
    if (pos < s.size() && s[pos] == QLatin1Char(':')) {
        ++pos;
        if (!readDigits(s, pos, 2, &sec))
            return false;
        if (pos < s.size() && (s[pos] == QLatin1Char('.') || s[pos] == QLatin1Char(','))) {
            ++pos;
            char fraction[34] = {'0', '.'};
            int n = 0;
            qint64 f = 0; // the first six digits, in microseconds
            while (pos < s.size() && digit(s[pos]) >= 0) {
                if (n < 6)
                    f = f * 10 + digit(s[pos]);
                if (n < 32)
                    fraction[2 + n] = char('0' + digit(s[pos]));
                ++n;
                ++pos;
            }
            if (n == 0)
                return false;
            for (int k = n; k < 6; ++k)
                f *= 10;
            // Finer than a microsecond: rounded as PostgreSQL rounds it (rint of the fraction × 10⁶;
            // up to six digits that is the digits themselves).
            // (from_chars: strtod would read the process's locale, where the point may be a comma)
            if (double value = 0; n > 6 && std::from_chars(fraction, fraction + 2 + qMin(n, 32), value).ec == std::errc())
                f = qint64(std::rint(value * 1e6));
            carry = f >= 1000000;
            ms = carry ? 0 : int(f / 1000);
            micro = carry ? 0 : f % 1000;
        }
    }
    r->writtenDate = r->date;
    // PostgreSQL refuses a time of day past 24:00:00 (23:59:60.5, 24:00:00.5) and takes one up to it.
    if (((qint64(h) * 60 + mi) * 60 + sec) * 1000000 + (carry ? 1000000 : ms * 1000 + micro) > qint64(86400) * 1000000) {
        r->error = QStringLiteral("%1 is not a time of day").arg(s.mid(timeAt, pos - timeAt));
        return false;
    }
    if (h == 24 && mi == 0 && sec == 0 && ms == 0 && micro == 0 && !carry) {
        r->date = r->date.addDays(1);
        h = 0;
    }
    // A leap second, as PostgreSQL reads it: the first second of the next minute.
    const bool leap = sec == 60;
    r->time = QTime(h, mi, leap ? 59 : sec, ms);
    r->microsecond = micro;
    if (!r->time.isValid()) {
        r->error = QStringLiteral("%1:%2:%3 is not a time of day").arg(h, 2, 10, QLatin1Char('0')).arg(mi, 2, 10, QLatin1Char('0')).arg(sec, 2, 10, QLatin1Char('0'));
        return false;
    }
    if (const int extra = (leap ? 1 : 0) + (carry ? 1 : 0); extra > 0) {
        const QTime next = r->time.addSecs(extra);
        if (next < r->time)
            r->date = r->date.addDays(1);
        r->time = next;
    }
    while (pos < s.size() && s[pos] == QLatin1Char(' '))
        ++pos;
    if (pos == s.size())
        return true;
    const QChar z = s[pos];
    if ((z == QLatin1Char('Z') || z == QLatin1Char('z')) && pos + 1 == s.size()) {
        r->hasOffset = true;
        r->offsetSeconds = 0;
        return true;
    }
    if (z != QLatin1Char('+') && z != QLatin1Char('-'))
        return false;
    ++pos;
    int oh = 0, om = 0;
    if (!readDigits(s, pos, 2, &oh))
        return false;
    if (pos < s.size() && s[pos] == QLatin1Char(':'))
        ++pos;
    if (pos < s.size() && !readDigits(s, pos, 2, &om))
        return false;
    if (pos != s.size() || oh > 15 || om > 59)
        return false;
    r->hasOffset = true;
    r->offsetSeconds = (oh * 3600 + om * 60) * (z == QLatin1Char('-') ? -1 : 1);
    return true;
}

DateTimeParser::Result DateTimeParser::parse(QStringView text) const
{
    Result r;
    const QStringView t = text.trimmed();
    switch (m_kind) {
    case Kind::Iso:
        r.ok = parseIso(t, &r);
        if (!r.ok && r.error.isEmpty())
            r.error = QStringLiteral("\"%1\" is not an ISO 8601 date/time (e.g. 2024-03-31 14:30:00+02)").arg(t.toString());
        return r;
    case Kind::Epoch:
    case Kind::EpochMs: {
        bool ok = false;
        const double v = t.toDouble(&ok);
        if (!ok || t.isEmpty() || !(v > -1e13 && v < 1e13 * (m_kind == Kind::EpochMs ? 1000 : 1))) {
            r.error = QStringLiteral("\"%1\" is not a number of %2 since 1970")
                          .arg(t.toString(), m_kind == Kind::Epoch ? QStringLiteral("seconds") : QStringLiteral("milliseconds"));
            return r;
        }
        const qint64 totalMicro = qint64(v * (m_kind == Kind::Epoch ? 1e6 : 1e3) + (v >= 0 ? 0.5 : -0.5));
        qint64 msec = totalMicro / 1000;
        qint64 micro = totalMicro % 1000;
        if (micro < 0) {
            micro += 1000;
            msec -= 1;
        }
        const QDateTime dt = QDateTime::fromMSecsSinceEpoch(msec, Qt::UTC);
        r.date = dt.date();
        r.time = dt.time();
        r.microsecond = micro;
        r.hasOffset = true;
        r.ok = true;
        return r;
    }
    case Kind::Pattern: {
        const QString s = t.toString();
        const QLocale c = QLocale::c();
        // Two-digit years as PostgreSQL reads YY: 00–69 are 2000–2069, 70–99 are 1970–1999
        // (Qt alone gives 1900–1999).
        auto century = [this](const QDate &d) { return m_twoDigitYear && d.year() < 1970 ? d.addYears(100) : d; };
        if (m_patternHasTime) {
            // Qt reads a pattern without a zone as the computer's local time, which has gaps
            // (its DST) that the file's zone may not have: read the wall clock as UTC instead,
            // and leave the file's zone to toUtc.
            const QDateTime dt = m_patternHasZone ? c.toDateTime(s, m_format)
                                                  : c.toDateTime(s + QLatin1String(" UTC"), m_format + QLatin1String(" t"));
            if (dt.isValid()) {
                r.date = century(dt.date());
                r.time = dt.time();
                if (m_patternHasZone) { // the text names its zone: an instant
                    r.hasOffset = true;
                    r.offsetSeconds = dt.offsetFromUtc();
                }
                r.ok = true;
                return r;
            }
        } else {
            const QDate d = c.toDate(s, m_format);
            if (d.isValid()) {
                r.date = century(d);
                r.ok = true;
                return r;
            }
        }
        // Written as the format says, but no such day or time (31.09., 25:00): said so, not
        // that it does not match.
        r.error = m_shape.isValid() && m_shape.match(s).hasMatch() ? QStringLiteral("\"%1\" is not a calendar date or time of day (read as %2)").arg(s, m_format)
                                          : QStringLiteral("\"%1\" does not match the format %2").arg(s, m_format);
        return r;
    }
    }
    return r;
}

bool DateTimeParser::toUtc(const Result &r, const QTimeZone &zone, Overlap overlap, QDateTime *utc, qint64 *micro,
                           QString *error)
{
    const QTime time = r.time.isValid() ? r.time : QTime(0, 0);
    *micro = r.microsecond;
    // Treat the wall-clock reading as if it were UTC, then find the offsets that map to it.
    // (Whole seconds: before 1970 toSecsSinceEpoch() would round a fraction toward zero.)
    const QDateTime wall(r.date, QTime(time.hour(), time.minute(), time.second()), Qt::UTC);
    if (r.hasOffset) {
        *utc = wall.addSecs(-r.offsetSeconds);
        return true;
    }
    if (!zone.isValid() || zone.id() == "UTC") {
        *utc = wall;
        return true;
    }
    const qint64 wallSecs = wall.toSecsSinceEpoch();
    int candidates[4];
    int n = 0;
    for (qint64 probe : {wallSecs - 86400 * 2, wallSecs - 3 * 3600, wallSecs, wallSecs + 3 * 3600, wallSecs + 86400 * 2}) {
        const int off = zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(probe, Qt::UTC));
        bool seen = false;
        for (int i = 0; i < n; ++i)
            seen = seen || candidates[i] == off;
        if (!seen && n < 4)
            candidates[n++] = off;
    }
    qint64 valid[4];
    int nValid = 0;
    for (int i = 0; i < n; ++i) {
        const qint64 u = wallSecs - candidates[i];
        if (zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(u, Qt::UTC)) == candidates[i])
            valid[nValid++] = u;
    }
    const QString local = QStringLiteral("%1 %2").arg(r.date.toString(Qt::ISODate), time.toString(QStringLiteral("HH:mm:ss")));
    if (nValid == 0) {
        *error = QStringLiteral("%1 does not exist in %2 (the clocks were put forward: DST gap)")
                     .arg(local, QString::fromUtf8(zone.id()));
        return false;
    }
    if (nValid > 1) {
        const qint64 earliest = *std::min_element(valid, valid + nValid);
        const qint64 latest = *std::max_element(valid, valid + nValid);
        if (overlap == Overlap::Reject) {
            *error = QStringLiteral("%1 happens twice in %2 (the clocks were put back: DST overlap); "
                                    "choose the earlier or later reading explicitly")
                         .arg(local, QString::fromUtf8(zone.id()));
            return false;
        }
        *utc = QDateTime::fromSecsSinceEpoch(overlap == Overlap::Earlier ? earliest : latest, Qt::UTC);
        return true;
    }
    *utc = QDateTime::fromSecsSinceEpoch(valid[0], Qt::UTC);
    return true;
}

} // namespace bfs
