// Cell text → the value PostgreSQL gets, for every type and format a spreadsheet produces.
#include "ValueConverter.h"

#include <QtTest>

#include <time.h>

using namespace bfs;
using Type = ValueConverter::Type;

class TestValueConverter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void converts_data();
    void converts();
    void mapsCatalogTypes();
    void quotedTextIsDataUnlessEmpty();
    void userDefinedNullTokens();
    void typeModifiersAreChecked_data();
    void typeModifiersAreChecked();
};

Q_DECLARE_METATYPE(ValueConverter::Type)
Q_DECLARE_METATYPE(DateTimeParser::Overlap)

void TestValueConverter::initTestCase()
{
    // The computer's own zone must not matter: this one has a DST gap (2024-03-31 02:00–03:00)
    // that files in other zones do not.
    qputenv("TZ", "Europe/Berlin");
#ifdef Q_OS_WIN
    _tzset();
#else
    tzset();
#endif
}

void TestValueConverter::converts_data()
{
    QTest::addColumn<ValueConverter::Type>("type");
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<bool>("decimalComma");
    QTest::addColumn<DateTimeParser::Overlap>("overlap");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected"); // "NULL", the converted text, or "!error substring"

    const auto R = DateTimeParser::Overlap::Reject;
    const QString iso = QStringLiteral("iso");
    const QString utc = QStringLiteral("UTC");
    auto row = [&](const char *name, Type t, const QString &fmt, const QString &zone, bool dc, const QString &in, const QString &out,
                   DateTimeParser::Overlap ov = DateTimeParser::Overlap::Reject) {
        QTest::newRow(name) << t << fmt << zone << dc << ov << in << out;
    };
    Q_UNUSED(R)
    // Timestamps with zone
    row("iso with space", Type::TimestampTz, iso, utc, false, "2024-03-31 14:30:00", "2024-03-31 14:30:00+00");
    row("iso with T and Z", Type::TimestampTz, iso, utc, false, "2024-03-31T14:30:00Z", "2024-03-31 14:30:00+00");
    row("iso with offset", Type::TimestampTz, iso, utc, false, "2024-03-31T14:30:00+02:00", "2024-03-31 12:30:00+00");
    row("iso with compact offset", Type::TimestampTz, iso, utc, false, "2024-03-31 14:30:00-0530", "2024-03-31 20:00:00+00");
    row("iso with fraction", Type::TimestampTz, iso, utc, false, "2024-03-31 14:30:00.123456", "2024-03-31 14:30:00.123456+00");
    row("iso fraction of 3 digits", Type::TimestampTz, iso, utc, false, "2024-03-31T14:30:00.5Z", "2024-03-31 14:30:00.500000+00");
    row("iso without seconds", Type::TimestampTz, iso, utc, false, "2024-03-31 14:30", "2024-03-31 14:30:00+00");
    row("iso date only", Type::TimestampTz, iso, utc, false, "2024-03-31", "2024-03-31 00:00:00+00");
    row("iso compact date", Type::TimestampTz, iso, utc, false, "20240331", "2024-03-31 00:00:00+00");
    row("iso impossible date", Type::TimestampTz, iso, utc, false, "2024-02-30 10:00", "!2024-02-30 is not a calendar date");
    row("iso garbage", Type::TimestampTz, iso, utc, false, "yesterday", "!is not an ISO 8601 date/time");
    // One-digit month, day and hour, as PostgreSQL reads them (every such row was rejected).
    row("iso one-digit fields", Type::TimestampTz, iso, utc, false, "2024-1-5 9:30", "2024-01-05 09:30:00+00");
    row("iso one-digit day, two-digit month", Type::TimestampTz, iso, utc, false, "2024-12-5 19:30:05", "2024-12-05 19:30:05+00");
    row("iso one-digit month date", Type::Date, iso, utc, false, "2024-1-15", "2024-01-15");
    row("iso three-digit day", Type::TimestampTz, iso, utc, false, "2024-01-155", "!is not an ISO 8601 date/time");
    row("iso compact date needs two digits", Type::TimestampTz, iso, utc, false, "2024015", "!is not an ISO 8601 date/time");
    row("naive time read in zone", Type::TimestampTz, iso, "Europe/Berlin", false, "2024-07-01 12:00:00", "2024-07-01 10:00:00+00");
    row("naive winter time in zone", Type::TimestampTz, iso, "Europe/Berlin", false, "2024-01-15 12:00:00", "2024-01-15 11:00:00+00");
    row("explicit offset beats zone", Type::TimestampTz, iso, "Europe/Berlin", false, "2024-07-01 12:00:00+00", "2024-07-01 12:00:00+00");
    // Before 1970 a fraction stays where it was (it once moved the time by one or two seconds).
    row("fraction before 1970 in zone", Type::TimestampTz, iso, "Europe/Berlin", false, "1969-07-20 20:17:40.5", "1969-07-20 19:17:40.500000+00");
    row("fraction just before 1970 in zone", Type::TimestampTz, iso, "Europe/Berlin", false, "1970-01-01 00:59:59.5",
        "1969-12-31 23:59:59.500000+00");
    row("fraction in 1850 in zone", Type::TimestampTz, iso, "Europe/Berlin", false, "1850-03-01 12:00:00.123456",
        "1850-03-01 11:06:32.123456+00");
    row("DST gap rejected", Type::TimestampTz, iso, "Europe/Berlin", false, "2026-03-29 02:30:00", "!does not exist in Europe/Berlin");
    row("DST overlap rejected", Type::TimestampTz, iso, "Europe/Berlin", false, "2026-10-25 02:30:00", "!happens twice in Europe/Berlin");
    row("DST overlap earlier", Type::TimestampTz, iso, "Europe/Berlin", false, "2026-10-25 02:30:00", "2026-10-25 00:30:00+00",
        DateTimeParser::Overlap::Earlier);
    row("DST overlap later", Type::TimestampTz, iso, "Europe/Berlin", false, "2026-10-25 02:30:00", "2026-10-25 01:30:00+00",
        DateTimeParser::Overlap::Later);
    row("US DST gap", Type::TimestampTz, QStringLiteral("MM/dd/yyyy h:mm AP"), "America/New_York", false, "03/08/2026 2:15 AM",
        "!does not exist in America/New_York");
    row("US 12-hour clock", Type::TimestampTz, QStringLiteral("MM/dd/yyyy h:mm AP"), "America/New_York", false, "07/04/2026 1:05 PM",
        "2026-07-04 17:05:00+00");
    row("European day first", Type::TimestampTz, QStringLiteral("dd.MM.yyyy HH:mm"), utc, false, "31.12.2025 23:59", "2025-12-31 23:59:00+00");
    row("pattern in the computer's DST gap", Type::TimestampTz, QStringLiteral("dd.MM.yyyy HH:mm"), utc, false, "31.03.2024 02:30",
        "2024-03-31 02:30:00+00");
    row("timestamp pattern in the computer's DST gap", Type::Timestamp, QStringLiteral("dd.MM.yyyy HH:mm"), utc, false,
        "31.03.2024 02:30", "2024-03-31 02:30:00");
    row("pattern with its own zone", Type::TimestampTz, QStringLiteral("dd.MM.yyyy HH:mm t"), "America/New_York", false,
        "01.07.2024 12:00 UTC", "2024-07-01 12:00:00+00");
    row("two-digit year 24", Type::TimestampTz, QStringLiteral("M/d/yy HH:mm"), utc, false, "3/10/24 14:30", "2024-03-10 14:30:00+00");
    row("two-digit year 76", Type::TimestampTz, QStringLiteral("M/d/yy HH:mm"), utc, false, "7/4/76 09:00", "1976-07-04 09:00:00+00");
    row("two-digit year, date only", Type::Date, QStringLiteral("dd.MM.yy"), utc, false, "05.06.24", "2024-06-05");
    row("quoted letters are no fields", Type::TimestampTz, QStringLiteral("yyyy-MM-dd'T'HH:mm 'at' 'UTC'"), utc, false,
        "2024-06-05T10:00 at UTC", "2024-06-05 10:00:00+00");
    row("compact yyyyMMdd", Type::TimestampTz, QStringLiteral("yyyyMMdd"), utc, false, "19950101", "1995-01-01 00:00:00+00");
    row("month names", Type::TimestampTz, QStringLiteral("MMM-d-yyyy"), utc, false, "Jan-1-1995", "1995-01-01 00:00:00+00");
    row("pattern mismatch", Type::TimestampTz, QStringLiteral("dd.MM.yyyy HH:mm"), utc, false, "2025-12-31", "!does not match the format dd.MM.yyyy HH:mm");
    // Written as the format says, but no such day or time: said so (it said "does not match").
    row("pattern, no such day", Type::TimestampTz, QStringLiteral("dd.MM.yyyy HH:mm"), utc, false, "31.09.2026 12:30",
        "!\"31.09.2026 12:30\" is not a calendar date or time of day (read as dd.MM.yyyy HH:mm)");
    row("pattern, no such hour", Type::TimestampTz, QStringLiteral("dd/MM/yyyy h:mm AP"), utc, false, "01/02/2026 13:30 PM",
        "!is not a calendar date or time of day");
    row("pattern, no such day, date only", Type::Date, QStringLiteral("d.M.yy"), utc, false, "30.2.26", "!is not a calendar date or time of day");
    row("pattern, text in place of digits", Type::Date, QStringLiteral("dd.MM.yyyy"), utc, false, "3I.O9.2026", "!does not match the format");
    row("epoch seconds", Type::TimestampTz, QStringLiteral("epoch"), utc, false, "1700000000", "2023-11-14 22:13:20+00");
    row("epoch with fraction", Type::TimestampTz, QStringLiteral("epoch"), utc, false, "1700000000.25", "2023-11-14 22:13:20.250000+00");
    row("epoch milliseconds", Type::TimestampTz, QStringLiteral("epoch_ms"), utc, false, "1700000000123", "2023-11-14 22:13:20.123000+00");
    row("epoch not a number", Type::TimestampTz, QStringLiteral("epoch"), utc, false, "soon", "!not a number of seconds");
    row("24:00 is next midnight", Type::TimestampTz, iso, utc, false, "2024-12-31 24:00:00", "2025-01-01 00:00:00+00");
    // As PostgreSQL reads them: a leap second is the next minute's first; a date column keeps
    // the day written before 24:00 or a leap second.
    row("leap second", Type::TimestampTz, iso, utc, false, "2016-12-31 23:59:60Z", "2017-01-01 00:00:00+00");
    row("second 60 with a fraction", Type::Timestamp, iso, utc, false, "2024-01-01 12:34:60.5", "2024-01-01 12:35:00.500000");
    row("24:00 in a date column", Type::Date, iso, utc, false, "2024-12-31 24:00", "2024-12-31");
    row("leap second in a date column", Type::Date, iso, utc, false, "2016-12-31 23:59:60", "2016-12-31");
    row("second 61", Type::TimestampTz, iso, utc, false, "2016-12-31 23:59:61Z", "!is not a time of day");
    // Fractions finer than a microsecond are rounded as PostgreSQL rounds them (each checked with psql).
    row("seventh digit rounds up", Type::TimestampTz, iso, utc, false, "2024-01-01 12:00:00.1234567", "2024-01-01 12:00:00.123457+00");
    row("half a microsecond", Type::TimestampTz, iso, utc, false, "2024-01-01 12:00:00.0000005", "2024-01-01 12:00:00+00");
    row("one and a half microseconds", Type::TimestampTz, iso, utc, false, "2024-01-01 12:00:00.0000015", "2024-01-01 12:00:00.000002+00");
    row("rounds into the next year", Type::TimestampTz, iso, utc, false, "2016-12-31 23:59:59.9999996", "2017-01-01 00:00:00+00");
    row("rounded up in a date column", Type::Date, iso, utc, false, "2016-12-31 23:59:59.9999996", "2016-12-31");
    row("24:00 and less than half a microsecond", Type::TimestampTz, iso, utc, false, "2024-12-31 24:00:00.0000001", "2025-01-01 00:00:00+00");
    row("24:00 and a second's fraction", Type::TimestampTz, iso, utc, false, "2024-12-31 24:00:00.9999999", "!is not a time of day");
    row("past 24:00 by a leap second's fraction", Type::TimestampTz, iso, utc, false, "2016-12-31 23:59:60.5Z", "!23:59:60.5 is not a time of day");
    row("a fraction of second 60 before 23:59", Type::TimestampTz, iso, utc, false, "2016-06-30 23:58:60.5Z", "2016-06-30 23:59:00.500000+00");
    // Years that ISO text cannot write reject the row (they once failed the whole load).
    row("date after 9999", Type::Date, QStringLiteral("epoch"), utc, false, "300000000000", "!outside the years 0–9999");
    row("timestamp after 9999", Type::Timestamp, QStringLiteral("epoch"), utc, false, "300000000000", "!outside the years 0–9999");
    row("timestamptz after 9999", Type::TimestampTz, QStringLiteral("epoch"), utc, false, "300000000000", "!outside the years 0–9999");
    // timestamp without time zone keeps the wall clock
    row("naive timestamp kept", Type::Timestamp, iso, "Europe/Berlin", false, "2024-07-01 12:00:00", "2024-07-01 12:00:00");
    row("offset to wall clock of zone", Type::Timestamp, iso, "Europe/Berlin", false, "2024-07-01 10:00:00Z", "2024-07-01 12:00:00");
    row("date", Type::Date, QStringLiteral("dd.MM.yyyy"), utc, false, "05.06.2024", "2024-06-05");
    // Numbers
    row("integer", Type::Integer, iso, utc, false, "42", "42");
    row("negative integer", Type::Integer, iso, utc, false, "-7", "-7");
    row("integer with thousands", Type::BigInt, iso, utc, false, "1,234,567", "1234567");
    row("integer written 12.0", Type::Integer, iso, utc, false, "12.0", "12");
    row("integer with fraction rejected", Type::Integer, iso, utc, false, "12.5", "!is not an integer");
    row("integer out of range", Type::Integer, iso, utc, false, "3000000000", "!out of range for integer");
    row("smallint out of range", Type::SmallInt, iso, utc, false, "40000", "!out of range for smallint");
    row("bigint max", Type::BigInt, iso, utc, false, "9223372036854775807", "9223372036854775807");
    row("bigint written .0 beyond 2^53", Type::BigInt, iso, utc, false, "123456789012345678.0", "123456789012345678");
    row("bigint 2^53 + 1 written .0", Type::BigInt, iso, utc, false, "9007199254740993.0", "9007199254740993");
    row("bigint with exponent", Type::BigInt, iso, utc, false, "1.2345678901234567e16", "12345678901234567");
    // A spreadsheet's display of a long number (an ID, a meter reading): digits were lost.
    row("bigint as Excel shows it", Type::BigInt, iso, utc, false, "1.23457E+15", "!gives only the first 6 of the 16 digits");
    row("short integer with exponent", Type::Integer, iso, utc, false, "1.2e3", "1200");
    row("bigint max written .0", Type::BigInt, iso, utc, false, "9223372036854775807.0", "9223372036854775807");
    row("bigint min written .0", Type::BigInt, iso, utc, false, "-9223372036854775808.00", "-9223372036854775808");
    row("bigint of 20 digits", Type::BigInt, iso, utc, false, "12345678901234567890", "!out of range for bigint");
    row("integer exponent leaves a fraction", Type::Integer, iso, utc, false, "1.25e1", "!is not an integer");
    row("integer with exponent", Type::Integer, iso, utc, false, "1.25e2", "125");
    row("double", Type::Double, iso, utc, false, "21.5", "21.5");
    row("real too large in digits", Type::Real, iso, utc, false, "1000000000000000000000000000000000000000000", "!out of range for real");
    row("real too small", Type::Real, iso, utc, false, "1e-50", "!out of range for real");
    row("real near its maximum", Type::Real, iso, utc, false, "3.4028e38", "3.4028e38");
    row("real near its maximum in digits", Type::Real, iso, utc, false, "340280000000000000000000000000000000000",
        "340280000000000000000000000000000000000");
    row("double too small", Type::Double, iso, utc, false, "1e-400", "!out of range for double precision");
    row("real's largest, as PostgreSQL prints it", Type::Real, iso, utc, false, "3.4028235e38", "3.4028235e38");
    row("rounds to real's largest", Type::Real, iso, utc, false, "3.40282356e38", "3.40282356e38");
    row("beyond real's largest", Type::Real, iso, utc, false, "3.4028236e38", "!out of range for real");
    row("real's smallest", Type::Real, iso, utc, false, "1e-45", "1e-45");
    row("inf for real", Type::Real, iso, utc, false, "inf", "infinity");
    row("-inf for double", Type::Double, iso, utc, false, "-Inf", "-infinity");
    row("+Infinity for double", Type::Double, iso, utc, false, "+Infinity", "infinity");
    row("Infinity for numeric", Type::Numeric, iso, utc, false, "Infinity", "infinity");
    row("-NaN is no number", Type::Double, iso, utc, false, "-NaN", "!is not a number");
    row("double exponent", Type::Double, iso, utc, false, "1.5e-3", "1.5e-3");
    row("double with thousands", Type::Double, iso, utc, false, "1,234.5", "1234.5");
    row("decimal comma", Type::Double, iso, utc, true, "21,5", "21.5");
    row("decimal comma with thousands", Type::Numeric, iso, utc, true, "1.234.567,89", "1234567.89");
    row("decimal comma, space thousands", Type::Numeric, iso, utc, true, "1 234,5", "1234.5");
    row("misplaced thousands separator", Type::Double, iso, utc, false, "12,34.5", "!is not a number");
    row("decimal point under decimal comma", Type::Double, iso, utc, true, "21.5", "!decimal comma expected");
    row("not a number", Type::Double, iso, utc, false, "warm", "!\"warm\" is not a number");
    row("NaN for float", Type::Real, iso, utc, false, "NaN", "nan");
    // Booleans
    row("bool true", Type::Boolean, iso, utc, false, "true", "t");
    row("bool t", Type::Boolean, iso, utc, false, "T", "t");
    row("bool yes", Type::Boolean, iso, utc, false, "Yes", "t");
    row("bool 0", Type::Boolean, iso, utc, false, "0", "f");
    row("bool no", Type::Boolean, iso, utc, false, "no", "f");
    row("bool garbage", Type::Boolean, iso, utc, false, "maybe", "!is not a boolean");
    // NULL tokens and text
    row("empty is NULL", Type::Integer, iso, utc, false, "", "NULL");
    row("NULL token", Type::Double, iso, utc, false, "NULL", "NULL");
    row("NA token", Type::TimestampTz, iso, utc, false, "NA", "NULL");
    row("N/A token", Type::Text, iso, utc, false, "n/a", "NULL");
    row("null token", Type::Integer, iso, utc, false, "null", "NULL");
    row("tokens match their case", Type::Text, iso, utc, false, "Na", "Na"); // sodium
    row("nULL is no token", Type::Text, iso, utc, false, "nULL", "nULL");
    row("text kept", Type::Text, iso, utc, false, "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0");
    row("text trimmed", Type::Text, iso, utc, false, "  ok  ", "ok");
}

void TestValueConverter::converts()
{
    QFETCH(ValueConverter::Type, type);
    QFETCH(QString, format);
    QFETCH(QString, zone);
    QFETCH(bool, decimalComma);
    QFETCH(DateTimeParser::Overlap, overlap);
    QFETCH(QString, input);
    QFETCH(QString, expected);
    ValueConverter::Options o;
    o.dateTimeFormat = format;
    o.sourceZone = QTimeZone(zone.toUtf8());
    QVERIFY2(o.sourceZone.isValid(), qPrintable(zone));
    o.decimalComma = decimalComma;
    o.overlap = overlap;
    const ValueConverter c(type, o);
    const ValueConverter::Value v = c.convert(input);
    if (expected.startsWith(QLatin1Char('!'))) {
        QVERIFY2(!v.ok, qPrintable(v.toString()));
        QVERIFY2(v.error.contains(expected.mid(1)), qPrintable(v.error));
    } else if (expected == QLatin1String("NULL")) {
        QVERIFY2(v.ok && v.isNull, qPrintable(v.error));
    } else {
        QVERIFY2(v.ok, qPrintable(v.error));
        QVERIFY(!v.isNull);
        QCOMPARE(v.toString(), expected);
    }
}

void TestValueConverter::mapsCatalogTypes()
{
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("timestamp with time zone")), Type::TimestampTz);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("timestamp(3) without time zone")), Type::Timestamp);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("timestamp(3) with time zone")), Type::TimestampTz);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("time with time zone")), Type::Other);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("numeric(10,2)")), Type::Numeric);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("character varying(20)")), Type::Text);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("double precision")), Type::Double);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("bigint")), Type::BigInt);
    QCOMPARE(ValueConverter::typeFromCatalog(QStringLiteral("jsonb")), Type::Other);
}

void TestValueConverter::quotedTextIsDataUnlessEmpty()
{
    // write.csv in R quotes strings and leaves NA bare: "NA" in quotes is Namibia.
    const ValueConverter text(Type::Text, ValueConverter::Options());
    QCOMPARE(text.convert(QStringLiteral("NA"), true).toString(), QStringLiteral("NA"));
    QCOMPARE(text.convert(QStringLiteral("NULL"), true).toString(), QStringLiteral("NULL"));
    QVERIFY(text.convert(QStringLiteral("NA"), false).isNull);
    QVERIFY(text.convert(QString(), true).isNull); // exports that quote every cell
    // A number or a time cannot be "NA": quoted, it is still the token.
    const ValueConverter number(Type::Double, ValueConverter::Options());
    QVERIFY(number.convert(QStringLiteral("NA"), true).isNull);
}

void TestValueConverter::userDefinedNullTokens()
{
    ValueConverter::Options o;
    o.nullTokens = {QStringLiteral("-"), QStringLiteral("#N/A")};
    const ValueConverter c(Type::Double, o);
    QVERIFY(c.convert(QStringLiteral("-")).isNull);
    QVERIFY(c.convert(QStringLiteral("#N/A")).isNull);
    QVERIFY(!c.convert(QStringLiteral("NULL")).ok); // not a token any more, and not a number
    QCOMPARE(c.convert(QStringLiteral("-1")).toString(), QStringLiteral("-1"));
    // An empty cell stays NULL outside text (it could be nothing else); a text column, whose
    // list leaves it out, keeps an empty string.
    QVERIFY(c.convert(QString()).isNull);
    QVERIFY(c.convert(QStringLiteral("  ")).isNull);
    QVERIFY(c.convert(QString(), true).isNull);
    const ValueConverter text(Type::Text, o);
    const ValueConverter::Value empty = text.convert(QString());
    QVERIFY(empty.ok && !empty.isNull);
    ValueConverter::Options bytes = o; // (bytea, tsvector … take an empty value too)
    bytes.sqlType = QStringLiteral("bytea");
    const ValueConverter::Value emptyBytes = ValueConverter(Type::Other, bytes).convert(QString());
    QVERIFY(emptyBytes.ok && !emptyBytes.isNull);
}


void TestValueConverter::typeModifiersAreChecked_data()
{
    QTest::addColumn<QString>("sqlType");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected"); // the converted text, or "!error substring"
    // numeric(p, s): the value rounded to s decimals may have p - s digits before the point.
    QTest::newRow("fits numeric(5,2)") << "numeric(5,2)" << "123.45" << "123.45";
    QTest::newRow("rounds within numeric(5,2)") << "numeric(5,2)" << "999.994" << "999.994";
    QTest::newRow("rounds out of numeric(5,2)") << "numeric(5,2)" << "999.995" << "!does not fit numeric(5,2)";
    QTest::newRow("too large for numeric(5,2)") << "numeric(5,2)" << "1234.5" << "!it must round to less than 10^3";
    QTest::newRow("leading zeros do not count") << "numeric(5,2)" << "000123.4" << "000123.4";
    QTest::newRow("negative") << "numeric(5,2)" << "-999.99" << "-999.99";
    QTest::newRow("exponent") << "numeric(5,2)" << "1.5e3" << "!does not fit";
    QTest::newRow("small exponent") << "numeric(5,2)" << "1.5e2" << "1.5e2";
    QTest::newRow("thousands separator rewritten") << "numeric(7,2)" << "12,345.67" << "12345.67";
    QTest::newRow("numeric(2,2) below one") << "numeric(2,2)" << "0.99" << "0.99";
    QTest::newRow("numeric(2,2) rounds to one") << "numeric(2,2)" << "0.999" << "!does not fit";
    QTest::newRow("NaN in numeric") << "numeric(5,2)" << "NaN" << "nan";
    QTest::newRow("huge exponent") << "numeric(5,2)" << "1e999999999" << "!does not fit";
    QTest::newRow("tiny exponent rounds to zero") << "numeric(5,2)" << "1e-999999999" << "1e-999999999";
    QTest::newRow("exponent beyond qint32") << "numeric" << "1e3000000000" << "!out of range for numeric";
    QTest::newRow("numeric's scale limit") << "numeric" << "1e-16383" << "1e-16383";
    QTest::newRow("beyond numeric's scale") << "numeric" << "1.5e-16383" << "!out of range for numeric";
    QTest::newRow("numeric's digits before the point") << "numeric" << "1e131071" << "1e131071";
    QTest::newRow("beyond numeric's digits") << "numeric" << "1e131072" << "!out of range for numeric";
    QTest::newRow("small exponent within numeric") << "numeric" << "1e-1500" << "1e-1500";
    QTest::newRow("negative scale") << "numeric(3,-2)" << "99940" << "99940";
    QTest::newRow("negative scale rounds out") << "numeric(3,-2)" << "99950" << "!does not fit numeric(3,-2)";
    QTest::newRow("infinity in numeric(5,2)") << "numeric(5,2)" << "Infinity" << "!is not a number";
    QTest::newRow("scale above precision") << "numeric(3,5)" << "0.0012" << "0.0012";
    QTest::newRow("scale above precision, too large") << "numeric(3,5)" << "0.012" << "!does not fit numeric(3,5)";
    QTest::newRow("rounds up to the next power") << "numeric(3,1)" << "99.96" << "!does not fit";
    QTest::newRow("rounds up below the point") << "numeric(3,2)" << "0.0999" << "0.0999";
    QTest::newRow("unconstrained numeric") << "numeric" << "123456789012345678901234567890.5" << "123456789012345678901234567890.5";
    // varchar(n) and char(n) count characters; trailing spaces beyond n are cut, not an error.
    QTest::newRow("fits varchar(5)") << "character varying(5)" << "Grüße" << "Grüße";
    QTest::newRow("too long for varchar(5)") << "character varying(5)" << "Grüße!" << "!is longer than 5 characters (character varying(5))";
    QTest::newRow("emoji count once") << "character varying(2)" << "😀😀" << "😀😀";
    QTest::newRow("char(3)") << "character(3)" << "abcd" << "!is longer than 3 characters";
    QTest::newRow("unconstrained varchar") << "character varying" << "a long enough text" << "a long enough text";
}

void TestValueConverter::typeModifiersAreChecked()
{
    QFETCH(QString, sqlType);
    QFETCH(QString, input);
    QFETCH(QString, expected);
    ValueConverter::Options o;
    ValueConverter::setTypeModifiers(sqlType, &o);
    const ValueConverter c(ValueConverter::typeFromCatalog(sqlType), o);
    const ValueConverter::Value v = c.convert(input);
    if (expected.startsWith(QLatin1Char('!'))) {
        QVERIFY2(!v.ok, qPrintable(v.toString()));
        QVERIFY2(v.error.contains(expected.mid(1)), qPrintable(v.error));
    } else {
        QVERIFY2(v.ok, qPrintable(v.error));
        QCOMPARE(v.toString(), expected);
    }
}

QTEST_GUILESS_MAIN(TestValueConverter)
#include "tst_valueconverter.moc"
