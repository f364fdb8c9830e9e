// Detection of encoding, delimiter, header, decimal separator and date formats from a sample.
#include "CsvSniffer.h"

#include <QtTest>

using namespace bfs;

class TestCsvSniffer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void detectsDelimiter_data();
    void detectsDelimiter();
    void europeanExcelExport();
    void excelSeparatorLineDecides();
    void utf16UnicodeTextExport();
    void windows1252WhenNotUtf8();
    void utf8WithAStrayByteStaysUtf8();
    void utf8WithBom();
    void headerlessFile();
    void dateFormats_data();
    void dateFormats();
    void ambiguousDayMonthIsFlagged();
    void epochOnlyForTimeNamedColumns();
    void emptySampleIsAnError();
    void headerWithTrailingBlankNames();
    void linesBeforeTheHeaderAreSkipped();
    void laterRowsSettleDayOrMonthFirst();
    void givenDelimiterShapesTheRest();
    void headerThatNamesTableColumns();
    void decimalSeparator_data();
    void decimalSeparator();
    void decimalSeparatorOfCommaFiles();
    void onlyNumericColumnsDecideTheDecimalSeparator();
    void decimalSeparatorFromTheWholeSample();
    void headerlessSemicolonFileWithDecimalCommas();
};

void TestCsvSniffer::detectsDelimiter_data()
{
    QTest::addColumn<QByteArray>("sample");
    QTest::addColumn<QChar>("delimiter");
    QTest::newRow("comma") << QByteArray("time,device,value\n2024-01-01 00:00,1,2.5\n2024-01-01 01:00,2,3.5\n") << QChar(QLatin1Char(','));
    QTest::newRow("semicolon with commas in text") << QByteArray("name;note\nA;x, y\nB;z, w\n") << QChar(QLatin1Char(';'));
    QTest::newRow("tab") << QByteArray("a\tb\tc\n1\t2\t3\n") << QChar(QLatin1Char('\t'));
    QTest::newRow("pipe") << QByteArray("a|b\n1|2\n3|4\n") << QChar(QLatin1Char('|'));
    QTest::newRow("quoted commas do not count") << QByteArray("a;b\n\"1,2,3\";4\n\"5,6,7\";8\n") << QChar(QLatin1Char(';'));
}

void TestCsvSniffer::detectsDelimiter()
{
    QFETCH(QByteArray, sample);
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QTEST(r.format.delimiter, "delimiter");
}

void TestCsvSniffer::europeanExcelExport()
{
    const QByteArray sample("Zeit;Gerät;Temperatur;Feuchte\r\n"
                            "31.01.2026 14:30;1;21,5;1.013,25\r\n"
                            "31.01.2026 15:00;2;-3,75;998,5\r\n");
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.delimiter, QLatin1Char(';'));
    QVERIFY(r.format.decimalComma);
    QVERIFY(r.format.header);
    QCOMPARE(r.format.encoding, CsvFormat::Encoding::Utf8);
    QCOMPARE(r.columns, (QStringList{QStringLiteral("Zeit"), QStringLiteral("Gerät"), QStringLiteral("Temperatur"), QStringLiteral("Feuchte")}));
    QCOMPARE(r.dateFormats.at(0), QStringLiteral("dd.MM.yyyy HH:mm"));
    QVERIFY(r.numericColumn.at(2));
    QCOMPARE(r.sampleRows.size(), 2);
}

void TestCsvSniffer::excelSeparatorLineDecides()
{
    // Excel's "sep=;" first line: the delimiter it names is used even where commas would win the
    // detection, and the line is neither the header nor a row.
    const QByteArray sample("sep=;\r\nZeit;Notiz\r\n31.01.2026 14:30;a,b,c\r\n31.01.2026 15:00;d,e,f\r\n");
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.delimiter, QLatin1Char(';'));
    QVERIFY(r.delimiterDeclared);
    QVERIFY(r.format.header);
    QCOMPARE(r.columns, (QStringList{QStringLiteral("Zeit"), QStringLiteral("Notiz")}));
    QCOMPARE(r.dateFormats.value(0), QStringLiteral("dd.MM.yyyy HH:mm"));
    QCOMPARE(r.sampleRows.size(), 2);
    // A delimiter the user gives still wins; the line is still not data.
    CsvSniffer::Hints hints;
    hints.delimiter = QLatin1Char(',');
    const CsvSniffer::Result given = CsvSniffer::sniff(sample, true, hints);
    QCOMPARE(given.format.delimiter, QLatin1Char(','));
    QVERIFY(!given.delimiterDeclared);
    QCOMPARE(given.columns.value(0), QStringLiteral("Zeit;Notiz"));
}

void TestCsvSniffer::utf16UnicodeTextExport()
{
    // Excel's "Unicode text": UTF-16LE with BOM, tab separated.
    const QString text = QStringLiteral("time\tvalue\r\n2024-01-01\t1\r\n2024-01-02\t2\r\n");
    QByteArray sample("\xFF\xFE", 2);
    for (QChar c : text) {
        sample.append(char(c.unicode() & 0xFF));
        sample.append(char(c.unicode() >> 8));
    }
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.encoding, CsvFormat::Encoding::Utf16LE);
    QVERIFY(r.format.hasBom);
    QCOMPARE(r.format.delimiter, QLatin1Char('\t'));
    QCOMPARE(r.dateFormats.at(0), QStringLiteral("iso"));
}

void TestCsvSniffer::windows1252WhenNotUtf8()
{
    const CsvSniffer::Result r = CsvSniffer::sniff(QByteArray("Stadt;Preis\nM\xFCnchen;5\x80\n"), true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.encoding, CsvFormat::Encoding::Windows1252);
    QCOMPARE(r.sampleRows.first().first(), QStringLiteral("München"));
}

void TestCsvSniffer::utf8WithAStrayByteStaysUtf8()
{
    // Many accented letters in UTF-8 and one stray Windows-1252 byte: UTF-8 (the row with the
    // stray byte is rejected later), not Windows-1252 for the whole file (é → Ã© everywhere).
    QByteArray sample("Stadt;Preis\n");
    for (int i = 0; i < 20; ++i)
        sample += "M\xC3\xBCnchen;" + QByteArray::number(i) + "\n";
    sample += "K\xF6ln;5\n";
    QCOMPARE(CsvSniffer::sniff(sample, true).format.encoding, CsvFormat::Encoding::Utf8);
    // A short file: three good sequences and one stray byte.
    QCOMPARE(CsvSniffer::sniff(QByteArray("name,val\nd\xc3\xa9j\xc3\xa0 vu,1\ncaf\xe9,2\nna\xc3\xafve,3\n"), true).format.encoding,
             CsvFormat::Encoding::Utf8);
    // Mostly Windows-1252 with one pair that happens to be valid UTF-8: Windows-1252.
    QCOMPARE(CsvSniffer::sniff(QByteArray("a;b\nM\xFCnchen;1\nK\xF6ln;2\n\xC3\xA9;3\n"), true).format.encoding,
             CsvFormat::Encoding::Windows1252);
}

void TestCsvSniffer::utf8WithBom()
{
    const CsvSniffer::Result r = CsvSniffer::sniff(QByteArray("\xEF\xBB\xBFid,name\n1,x\n"), true);
    QCOMPARE(r.format.encoding, CsvFormat::Encoding::Utf8);
    QVERIFY(r.format.hasBom);
    QCOMPARE(r.columns.first(), QStringLiteral("id"));
}

void TestCsvSniffer::headerlessFile()
{
    const CsvSniffer::Result r = CsvSniffer::sniff(QByteArray("2024-01-01 00:00,1,2.5\n2024-01-01 01:00,2,3.5\n"), true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(!r.format.header);
    QCOMPARE(r.columns, (QStringList{QStringLiteral("column1"), QStringLiteral("column2"), QStringLiteral("column3")}));
    QCOMPARE(r.sampleRows.size(), 2);
}

void TestCsvSniffer::dateFormats_data()
{
    QTest::addColumn<QStringList>("values");
    QTest::addColumn<QString>("format");
    QTest::newRow("iso") << QStringList{"2024-03-31 14:30:00+02", "2024-04-01T00:00:00Z"} << "iso";
    QTest::newRow("european") << QStringList{"31.03.2024 14:30", "01.04.2024 00:00"} << "dd.MM.yyyy HH:mm";
    QTest::newRow("US 12-hour") << QStringList{"03/31/2024 2:30 PM", "04/01/2024 9:05 AM"} << "MM/dd/yyyy h:mm AP";
    QTest::newRow("compact") << QStringList{"19950101", "19951231"} << "iso";
    QTest::newRow("month names") << QStringList{"Jan-1-1995", "Dec-31-1995"} << "MMM-d-yyyy";
    QTest::newRow("empty cells ignored") << QStringList{"", "31.03.2024", ""} << "dd.MM.yyyy";
    QTest::newRow("not dates") << QStringList{"abc", "def"} << "";
    QTest::newRow("day-first 12-hour clock") << QStringList{"25/03/2024 2:30 PM", "01/04/2024 9:05 AM"} << "dd/MM/yyyy h:mm AP";
    QTest::newRow("NULL tokens ignored") << QStringList{"01.03.2024 10:00", "NA", "null", "N/A", "01.03.2024 12:00"} << "dd.MM.yyyy HH:mm";
    // One stray value among US dates: the format that fits most wins (the stray row is rejected
    // later with its line), not ISO for the whole column.
    QTest::newRow("a stray value") << QStringList{"3/10/2024 2:30 PM", "12/31/2023 11:59 PM", "13/1/2024 1:00 AM"} << "M/d/yyyy h:mm AP";
}

void TestCsvSniffer::dateFormats()
{
    QFETCH(QStringList, values);
    QTEST(CsvSniffer::detectDateFormat(values, false), "format");
}

void TestCsvSniffer::ambiguousDayMonthIsFlagged()
{
    bool ambiguous = false;
    const QStringList values{QStringLiteral("01/02/2024"), QStringLiteral("03/04/2024")};
    QCOMPARE(CsvSniffer::detectDateFormat(values, true, &ambiguous), QStringLiteral("dd/MM/yyyy"));
    QVERIFY(ambiguous);
    QCOMPARE(CsvSniffer::detectDateFormat(values, false, &ambiguous), QStringLiteral("MM/dd/yyyy"));
    QVERIFY(ambiguous);
    QCOMPARE(CsvSniffer::detectDateFormat({QStringLiteral("13/02/2024")}, false, &ambiguous), QStringLiteral("dd/MM/yyyy"));
    QVERIFY(!ambiguous);
    // With a 12-hour clock too: a guess, said so (day first where the file prefers it).
    const QStringList clock{QStringLiteral("01/02/2024 2:30 PM"), QStringLiteral("03/04/2024 9:15 AM")};
    QCOMPARE(CsvSniffer::detectDateFormat(clock, true, &ambiguous), QStringLiteral("dd/MM/yyyy h:mm AP"));
    QVERIFY(ambiguous);
    // Values that contradict each other (12/31 is month first, 13/01 day first) are no guess.
    CsvSniffer::detectDateFormat({QStringLiteral("03/10/2024"), QStringLiteral("12/31/2024"), QStringLiteral("13/01/2024")}, false, &ambiguous);
    QVERIFY(!ambiguous);
}

void TestCsvSniffer::epochOnlyForTimeNamedColumns()
{
    const CsvSniffer::Result r = CsvSniffer::sniff(QByteArray("ts,count\n1700000000,1700000001\n1700000060,1700000002\n"), true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.dateFormats.at(0), QStringLiteral("epoch"));
    QCOMPARE(r.dateFormats.at(1), QString());
}

void TestCsvSniffer::emptySampleIsAnError()
{
    const CsvSniffer::Result r = CsvSniffer::sniff(QByteArray(), true);
    QVERIFY(!r.ok);
    QVERIFY(r.error.contains(QLatin1String("empty")));
}

void TestCsvSniffer::headerWithTrailingBlankNames()
{
    // A spreadsheet's empty columns after the named ones: still a header, so columns map by
    // name (max_temp before min_temp), not by position.
    const CsvSniffer::Result r = CsvSniffer::sniff(QByteArray("id,max_temp,min_temp,,,,\n1,30,10,,,,\n2,31,11,,,,\n"), true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.format.header);
    QCOMPARE(r.columns.mid(0, 3), (QStringList{QStringLiteral("id"), QStringLiteral("max_temp"), QStringLiteral("min_temp")}));
}

void TestCsvSniffer::linesBeforeTheHeaderAreSkipped()
{
    // A logger's preamble (with a date in it) before the header: with skipLines it says nothing
    // about the header, the delimiter or the date format.
    const QByteArray sample("05.03.2024 export from logger 7\n\ntime;device;temp\n01.03.2024 10:00;1;21,5\n01.03.2024 11:00;2;22,5\n");
    CsvSniffer::Hints hints;
    hints.skipLines = 2;
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true, hints);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.delimiter, QChar(QLatin1Char(';')));
    QVERIFY(r.format.header);
    QCOMPARE(r.columns, (QStringList{QStringLiteral("time"), QStringLiteral("device"), QStringLiteral("temp")}));
    QCOMPARE(r.dateFormats.at(0), QStringLiteral("dd.MM.yyyy HH:mm"));
    QVERIFY(r.format.decimalComma);
}

void TestCsvSniffer::givenDelimiterShapesTheRest()
{
    // Commas in the text would win the detection; the user's | decides, and the date format is
    // found in the columns | makes.
    const QByteArray sample("id|ts|note,x,x,x,x,x\n1|31.01.2026 10:00|a,b,c,d,e,f\n2|28.02.2026 11:00|g,h,i,j,k,l\n");
    CsvSniffer::Hints hints;
    hints.delimiter = QLatin1Char('|');
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true, hints);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.delimiter, QLatin1Char('|'));
    QCOMPARE(r.columns, (QStringList{QStringLiteral("id"), QStringLiteral("ts"), QStringLiteral("note,x,x,x,x,x")}));
    QCOMPARE(r.dateFormats.value(1), QStringLiteral("dd.MM.yyyy HH:mm"));
    QCOMPARE(CsvSniffer::sniff(sample, true).format.delimiter, QLatin1Char(','));
}

void TestCsvSniffer::headerThatNamesTableColumns()
{
    // Years as column names look like data; "region" names a column of the table and appears
    // nowhere else in its column: a header.
    const QByteArray sample("region,2024,2025\nNorth,10,20\nSouth,30,40\n");
    QVERIFY(!CsvSniffer::sniff(sample, true).format.header);
    CsvSniffer::Hints hints;
    hints.tableColumns = {QStringLiteral("Region"), QStringLiteral("y2024"), QStringLiteral("y2025")};
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true, hints);
    QVERIFY(r.format.header);
    QCOMPARE(r.columns.value(0), QStringLiteral("region"));
    // A value of the column that is also its name is data.
    QVERIFY(!CsvSniffer::sniff("region,1\nregion,2\nNorth,3\n", true, hints).format.header);
    hints.header = false;
    QVERIFY(!CsvSniffer::sniff(sample, true, hints).format.header);
}

void TestCsvSniffer::decimalSeparator_data()
{
    QTest::addColumn<QByteArray>("values"); // the amount column of a semicolon file, one per line
    QTest::addColumn<bool>("decimalComma");
    QTest::addColumn<bool>("ambiguous");
    // A value that fits one reading only decides, whatever the others fit.
    QTest::newRow("1,234 and 12,500 with 2,000,000 and 999.5: point") << QByteArray("1,234\n12,500\n2,000,000\n999.5") << false << false;
    QTest::newRow("1.234,5: comma") << QByteArray("1.234,5\n12,500") << true << false;
    QTest::newRow("12,5: comma") << QByteArray("12,5\n1,234") << true << false;
    QTest::newRow("0,125: comma") << QByteArray("0,125\n1,234") << true << false;
    QTest::newRow("1.000.000: comma") << QByteArray("1.000.000\n1.234") << true << false;
    QTest::newRow("1,234.5: point") << QByteArray("1,234.5\n1.234") << false << false;
    // Nothing decides: the likelier reading, flagged.
    QTest::newRow("only 1,234 and 12,500") << QByteArray("1,234\n12,500") << true << true;
    QTest::newRow("only 1.234") << QByteArray("1.234\n7") << false << true;
    QTest::newRow("whole numbers") << QByteArray("1234\n7") << false << false;
    // Groups set apart by spaces (fr-FR writes a no-break space, or a narrow one).
    QTest::newRow("1 234,56 with no-break spaces: comma") << QByteArray("1\xc2\xa0" "234,56\n12\xe2\x80\xaf" "345,10\n1.234") << true << false;
    QTest::newRow("1 234.5 with a space: point") << QByteArray("1 234.5\n1,234") << false << false;
}

void TestCsvSniffer::decimalSeparatorOfCommaFiles()
{
    // A comma file from a decimal-comma locale quotes its numbers: "1,5" decides, and "1,250"
    // beside it is 1.25 (not 1250). Quoted thousands alone ("1,250") are no evidence of a
    // decimal comma in a comma file: the point stays, flagged.
    const CsvSniffer::Result de = CsvSniffer::sniff("id,n,f\n1,\"1,250\",\"3\"\n2,\"1,5\",\"3\"\n", true);
    QVERIFY2(de.ok, qPrintable(de.error));
    QCOMPARE(de.format.delimiter, QLatin1Char(','));
    QVERIFY(de.format.decimalComma);
    const CsvSniffer::Result us = CsvSniffer::sniff("id,n\n1,\"1,250\"\n2,\"12,500\"\n", true);
    QVERIFY(!us.format.decimalComma);
    QVERIFY(us.ambiguousDecimal);
    QVERIFY(!CsvSniffer::sniff("id,n\n1,\"1,234.50\"\n2,\"1,250\"\n", true).format.decimalComma);
}

void TestCsvSniffer::onlyNumericColumnsDecideTheDecimalSeparator()
{
    // Labels ("12,5") and firmware versions ("1.2") are text: where the header names the table's
    // numeric columns, only those decide.
    CsvSniffer::Hints hints;
    hints.numericTableColumns = {QStringLiteral("a"), QStringLiteral("b")};
    const CsvSniffer::Result labels = CsvSniffer::sniff("name,a,b\n\"12,5\",\"1,234\",1\n\"7,25\",\"2,500\",2\n", true, hints);
    QVERIFY(!labels.format.decimalComma);
    QVERIFY(labels.ambiguousDecimal);
    hints.numericTableColumns = {QStringLiteral("VAL")};
    const CsvSniffer::Result firmware = CsvSniffer::sniff("sensor;firmware;val\nA;1.2;12,5\nB;1.3;13,5\nC;2.0.1;14\n", true, hints);
    QCOMPARE(firmware.format.delimiter, QLatin1Char(';'));
    QVERIFY(firmware.format.decimalComma);
}

void TestCsvSniffer::decimalSeparatorFromTheWholeSample()
{
    // 200 whole numbers, then 1.250 and 12,5: the 12,5 on row 202 decides (the whole sample
    // counts, not its first 200 rows), so 1.250 is 1250.
    QByteArray sample("id;n\r\n");
    for (int i = 1; i <= 200; ++i)
        sample += QByteArray::number(i) + ';' + QByteArray::number(i * 10) + "\r\n";
    sample += "201;1.250\r\n202;12,5\r\n";
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QCOMPARE(r.format.delimiter, QLatin1Char(';'));
    QVERIFY(r.format.decimalComma);
}

void TestCsvSniffer::headerlessSemicolonFileWithDecimalCommas()
{
    // Without a header every row splits in two at the comma and at the semicolon alike: the
    // semicolon leaves clean fields, the comma cuts numbers ("sensor A;12" | "5").
    const CsvSniffer::Result r = CsvSniffer::sniff("sensor A;12,5\r\nsensor B;3,75\r\nsensor C;7,0\r\n", true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.delimiter, QLatin1Char(';'));
    QVERIFY(r.format.decimalComma);
    // The first row counts too (a file without a header starts with data): it is no header.
    const CsvSniffer::Result first = CsvSniffer::sniff("sensor A;12,5\nsensor B;13\nsensor C;14\nsensor D;15\n", true);
    QVERIFY(first.format.decimalComma);
    QVERIFY(!first.format.header);
    // … and a comma file whose text holds one semicolon per row stays a comma file.
    QCOMPARE(CsvSniffer::sniff("a;b,1.5\nc;d,2.5\ne;f,3\n", true).format.delimiter, QLatin1Char(','));
}

void TestCsvSniffer::decimalSeparator()
{
    QFETCH(QByteArray, values);
    QByteArray sample("id;amount\n");
    int id = 0;
    for (const QByteArray &v : values.split('\n'))
        sample += QByteArray::number(++id) + ';' + v + '\n';
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.format.delimiter, QLatin1Char(';'));
    QTEST(r.format.decimalComma, "decimalComma");
    QTEST(r.ambiguousDecimal, "ambiguous");
}

void TestCsvSniffer::laterRowsSettleDayOrMonthFirst()
{
    // 144 rows on days 1–12 fit both orders; row 145 (25/01) is day first. The whole sample
    // counts, not its first 100 rows.
    QByteArray sample("id,time\n");
    int id = 0;
    for (int m = 1; m <= 12; ++m)
        for (int d = 1; d <= 12; ++d)
            sample += QStringLiteral("%1,%2/%3/2024 12:00\n").arg(id++).arg(d, 2, 10, QLatin1Char('0')).arg(m, 2, 10, QLatin1Char('0')).toLatin1();
    sample += QStringLiteral("%1,25/01/2024 12:00\n").arg(id).toLatin1();
    const CsvSniffer::Result r = CsvSniffer::sniff(sample, true);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.dateFormats.at(1), QStringLiteral("dd/MM/yyyy HH:mm"));
    QVERIFY(!r.ambiguousDate.at(1));
}

QTEST_GUILESS_MAIN(TestCsvSniffer)
#include "tst_csvsniffer.moc"
