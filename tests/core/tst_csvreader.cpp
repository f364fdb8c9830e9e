// The streaming CSV reader on what spreadsheets and other tools really write.
#include "CsvReader.h"

#include <QBuffer>
#include <QTemporaryFile>
#include <QtTest>

using namespace bfs;

using Rows = QList<QStringList>;

class TestCsvReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readsRecords_data();
    void readsRecords();
    void reportsMalformedRecords_data();
    void reportsMalformedRecords();
    void keepsTheOriginalTextOfEachRecord();
    void readsHeaderAndSkipsLeadingLines();
    void emptyFileHasNoHeader();
    void decodesAcrossReadBoundaries();
    void invalidUtf16IsReported();
    void oversizedFieldDoesNotGrowMemory();
    void opensFilesAndReportsMissingOnes();
    void longRecordKeepsItsBeginning();
    void emptyRowsAreBlankLines();
    void spreadsheetSeparatorLine_data();
    void spreadsheetSeparatorLine();
};

namespace {
CsvFormat plain(QChar delimiter = QLatin1Char(','), CsvFormat::Encoding enc = CsvFormat::Encoding::Utf8)
{
    CsvFormat f;
    f.delimiter = delimiter;
    f.encoding = enc;
    f.header = false;
    return f;
}

Rows readAll(const QByteArray &input, const CsvFormat &format, QList<qint64> *lines = nullptr, QStringList *errors = nullptr)
{
    QByteArray bytes = input;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(format);
    Rows rows;
    if (!reader.open(&buffer))
        return rows;
    CsvRecord rec;
    while (reader.next(&rec)) {
        rows << rec.fields;
        if (lines)
            *lines << rec.line;
        if (errors)
            *errors << rec.error;
    }
    return rows;
}

QByteArray utf16(const QString &s, bool bigEndian)
{
    QByteArray out = bigEndian ? QByteArray("\xFE\xFF", 2) : QByteArray("\xFF\xFE", 2);
    for (QChar c : s) {
        const char hi = char(c.unicode() >> 8), lo = char(c.unicode() & 0xFF);
        out.append(bigEndian ? hi : lo);
        out.append(bigEndian ? lo : hi);
    }
    return out;
}
} // namespace

void TestCsvReader::readsRecords_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<CsvFormat>("format");
    QTest::addColumn<Rows>("expected");
    QTest::addColumn<QList<qint64>>("lines");

    const CsvFormat comma = plain();
    using L = QList<qint64>;
    QTest::newRow("simple comma") << QByteArray("a,b,c\n1,2,3\n") << comma << Rows{{"a", "b", "c"}, {"1", "2", "3"}} << L{1, 2};
    QTest::newRow("semicolon") << QByteArray("a;b\n1;2\n") << plain(QLatin1Char(';')) << Rows{{"a", "b"}, {"1", "2"}} << L{1, 2};
    QTest::newRow("tab") << QByteArray("a\tb\n1\t2\n") << plain(QLatin1Char('\t')) << Rows{{"a", "b"}, {"1", "2"}} << L{1, 2};
    QTest::newRow("pipe") << QByteArray("a|b\n") << plain(QLatin1Char('|')) << Rows{{"a", "b"}} << L{1};
    QTest::newRow("quoted delimiter") << QByteArray("\"a,b\",c\n") << comma << Rows{{"a,b", "c"}} << L{1};
    QTest::newRow("doubled quotes") << QByteArray("\"say \"\"hi\"\"\",x\n") << comma << Rows{{"say \"hi\"", "x"}} << L{1};
    QTest::newRow("embedded LF") << QByteArray("\"line1\nline2\",x\nnext,y\n") << comma
                                 << Rows{{"line1\nline2", "x"}, {"next", "y"}} << L{1, 3};
    QTest::newRow("embedded CRLF kept") << QByteArray("\"a\r\nb\",x\r\n") << comma << Rows{{"a\r\nb", "x"}} << L{1};
    QTest::newRow("CRLF line ends") << QByteArray("a,b\r\n1,2\r\n") << comma << Rows{{"a", "b"}, {"1", "2"}} << L{1, 2};
    QTest::newRow("lone CR line ends") << QByteArray("a,b\r1,2\r3,4") << comma << Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}} << L{1, 2, 3};
    QTest::newRow("mixed line ends") << QByteArray("a\r\nb\nc\rd") << comma << Rows{{"a"}, {"b"}, {"c"}, {"d"}} << L{1, 2, 3, 4};
    QTest::newRow("no final newline") << QByteArray("a,b\n1,2") << comma << Rows{{"a", "b"}, {"1", "2"}} << L{1, 2};
    QTest::newRow("blank lines skipped") << QByteArray("a\n\n\nb\n\n") << comma << Rows{{"a"}, {"b"}} << L{1, 4};
    QTest::newRow("empty fields") << QByteArray("a,,c\n,,\n") << comma << Rows{{"a", "", "c"}} << L{1}; // (",,": a blank line)
    QTest::newRow("trailing delimiter") << QByteArray("a,b,\n") << comma << Rows{{"a", "b", ""}} << L{1};
    QTest::newRow("leading delimiter") << QByteArray(",a\n") << comma << Rows{{"", "a"}} << L{1};
    QTest::newRow("only a delimiter") << QByteArray(",\n") << comma << Rows{} << L{};
    QTest::newRow("quoted empty fields") << QByteArray("\"\",\n") << comma << Rows{{"", ""}} << L{1};
    QTest::newRow("quoted empty field") << QByteArray("\"\",x\n") << comma << Rows{{"", "x"}} << L{1};
    QTest::newRow("single quoted empty line") << QByteArray("\"\"\n") << comma << Rows{{""}} << L{1};
    QTest::newRow("quote inside unquoted field") << QByteArray("5\" screen,x\n") << comma << Rows{{"5\" screen", "x"}} << L{1};
    QTest::newRow("spaces preserved") << QByteArray(" a , b \n") << comma << Rows{{" a ", " b "}} << L{1};
    QTest::newRow("quoted then CRLF") << QByteArray("\"a\"\r\n\"b\"\r\n") << comma << Rows{{"a"}, {"b"}} << L{1, 2};
    QTest::newRow("CR inside quotes") << QByteArray("\"a\rb\",c\r") << comma << Rows{{"a\rb", "c"}} << L{1};
    QTest::newRow("line numbers after multi-line record")
        << QByteArray("\"x\ny\nz\",1\nplain,2\n") << comma << Rows{{"x\ny\nz", "1"}, {"plain", "2"}} << L{1, 4};
    QTest::newRow("ragged rows returned as read") << QByteArray("a,b,c\n1,2\n1,2,3,4\n") << comma
                                                  << Rows{{"a", "b", "c"}, {"1", "2"}, {"1", "2", "3", "4"}} << L{1, 2, 3};
    QTest::newRow("utf-8 multibyte") << QByteArray("Grüße,€,😀\n") << comma << Rows{{"Grüße", "€", "😀"}} << L{1};
    QTest::newRow("utf-8 BOM stripped") << QByteArray("\xEF\xBB\xBFid,name\n") << comma << Rows{{"id", "name"}} << L{1};
    QTest::newRow("utf-16LE with BOM") << utf16(QStringLiteral("a;ü\r\n1;€\r\n"), false) << plain(QLatin1Char(';'), CsvFormat::Encoding::Utf16LE)
                                       << Rows{{"a", "ü"}, {"1", "€"}} << L{1, 2};
    QTest::newRow("utf-16BE with BOM") << utf16(QStringLiteral("a\tb\n"), true) << plain(QLatin1Char('\t'), CsvFormat::Encoding::Utf16BE)
                                       << Rows{{"a", "b"}} << L{1};
    QTest::newRow("windows-1252") << QByteArray("M\xFC" "ller;\x80" "5\n") << plain(QLatin1Char(';'), CsvFormat::Encoding::Windows1252)
                                  << Rows{{"Müller", "€5"}} << L{1};
    QTest::newRow("latin-1") << QByteArray("caf\xE9\n") << plain(QLatin1Char(','), CsvFormat::Encoding::Latin1) << Rows{{"café"}} << L{1};
    CsvFormat noQuote = comma;
    noQuote.quote = QChar();
    QTest::newRow("quoting off") << QByteArray("\"a,b\"\n") << noQuote << Rows{{"\"a", "b\""}} << L{1};
    CsvFormat single = comma;
    single.quote = QLatin1Char('\'');
    QTest::newRow("single-quote quoting") << QByteArray("'a,b',\"c\"\n") << single << Rows{{"a,b", "\"c\""}} << L{1};
    QByteArray wide;
    Rows wideRow{QStringList()};
    for (int i = 0; i < 100; ++i) {
        wide += (i ? "," : "") + QByteArray::number(i);
        wideRow[0] << QString::number(i);
    }
    QTest::newRow("100 columns") << (wide + "\n") << comma << wideRow << L{1};
    const QByteArray longField(200000, 'x');
    QTest::newRow("long field under the limit") << ("a," + longField + "\n") << comma << Rows{{"a", QString::fromLatin1(longField)}} << L{1};
    QTest::newRow("empty input") << QByteArray() << comma << Rows{} << L{};
    QTest::newRow("only blank lines") << QByteArray("\n\r\n\n") << comma << Rows{} << L{};
    QTest::newRow("quoted field spanning CRLF lines") << QByteArray("id,note\r\n1,\"two\r\nlines\"\r\n2,x\r\n") << comma
                                                      << Rows{{"id", "note"}, {"1", "two\r\nlines"}, {"2", "x"}} << L{1, 2, 4};
    QTest::newRow("formula-looking text stays text") << QByteArray("=cmd|' /C calc'!A0,+1\n") << comma
                                                     << Rows{{"=cmd|' /C calc'!A0", "+1"}} << L{1};
}

void TestCsvReader::readsRecords()
{
    QFETCH(QByteArray, input);
    QFETCH(CsvFormat, format);
    QList<qint64> lines;
    QStringList errors;
    const Rows rows = readAll(input, format, &lines, &errors);
    QTEST(rows, "expected");
    QTEST(lines, "lines");
    for (const QString &e : errors)
        QVERIFY2(e.isEmpty(), qPrintable(e));
}

void TestCsvReader::reportsMalformedRecords_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("badRecord"); // 0-based record that must carry the error
    QTest::addColumn<int>("records");   // records read in all
    QTest::addColumn<QString>("message");
    QTest::addColumn<int>("column");
    QTest::newRow("unterminated quote at end of file") << QByteArray("a,b\n1,\"never closed\n2,3\n") << 1 << 2
                                                       << "unterminated quoted field: the quote opened on line 2" << 2;
    QTest::newRow("text after closing quote") << QByteArray("\"a\"b,c\nok,ok\n") << 0 << 2 << "text after the closing quote in field 1" << 1;
    QTest::newRow("NUL byte") << QByteArray("a,b\nx\0y,z\nok,ok\n", 16) << 1 << 3 << "NUL byte in field 1" << 1;
    QTest::newRow("invalid UTF-8") << QByteArray("a,b\nok,\xC3\x28\n") << 1 << 2 << "not valid UTF-8 in field 2" << 2;
    QTest::newRow("truncated UTF-8 at end") << QByteArray("a,\xE2\x82") << 0 << 1 << "not valid UTF-8 in field 2" << 2;
    QTest::newRow("lone continuation byte") << QByteArray("\x80,b\n") << 0 << 1 << "not valid UTF-8 in field 1" << 1;
    QTest::newRow("overlong encoding") << QByteArray("\xC0\xAF\n") << 0 << 1 << "not valid UTF-8" << 1;
}

void TestCsvReader::reportsMalformedRecords()
{
    QFETCH(QByteArray, input);
    QFETCH(int, badRecord);
    QFETCH(int, records);
    QFETCH(QString, message);
    QFETCH(int, column);
    QByteArray bytes = input;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(plain());
    QVERIFY(reader.open(&buffer));
    CsvRecord rec;
    int n = 0;
    bool found = false;
    while (reader.next(&rec)) {
        if (n == badRecord) {
            QVERIFY2(rec.error.contains(message), qPrintable(rec.error));
            QCOMPARE(rec.errorColumn, column);
            found = true;
        } else {
            QVERIFY2(rec.error.isEmpty(), qPrintable(rec.error));
        }
        ++n;
    }
    QVERIFY(found);
    QCOMPARE(n, records);
}

void TestCsvReader::keepsTheOriginalTextOfEachRecord()
{
    QByteArray bytes("id,note\r\n1,\"a \"\"quoted\"\"\r\nvalue\"\r\n2,plain\r\n");
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvFormat f = plain();
    f.header = true;
    CsvReader reader(f);
    QVERIFY(reader.open(&buffer));
    CsvRecord rec;
    QVERIFY(reader.next(&rec));
    QCOMPARE(rec.raw, QStringLiteral("1,\"a \"\"quoted\"\"\r\nvalue\""));
    QCOMPARE(rec.line, qint64(2));
    QCOMPARE(rec.endLine, qint64(3));
    QVERIFY(reader.next(&rec));
    QCOMPARE(rec.raw, QStringLiteral("2,plain"));
    QCOMPARE(rec.line, qint64(4));
}

void TestCsvReader::readsHeaderAndSkipsLeadingLines()
{
    QByteArray bytes("exported by tool X\nsecond banner line\n Time , Value \n2024-01-01,1\n");
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvFormat f = plain();
    f.header = true;
    f.skipLines = 2;
    CsvReader reader(f);
    QVERIFY(reader.open(&buffer));
    QCOMPARE(reader.header(), (QStringList{QStringLiteral("Time"), QStringLiteral("Value")}));
    QCOMPARE(reader.headerLine(), qint64(3));
    CsvRecord rec;
    QVERIFY(reader.next(&rec));
    QCOMPARE(rec.line, qint64(4));
    QVERIFY(!reader.next(&rec));
}

void TestCsvReader::emptyFileHasNoHeader()
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvFormat f = plain();
    f.header = true;
    CsvReader reader(f);
    QVERIFY(!reader.open(&buffer));
    QVERIFY(reader.errorString().contains(QLatin1String("empty")));
}

void TestCsvReader::decodesAcrossReadBoundaries()
{
    // The reader reads 256 KiB at a time: put a multi-byte character and a CRLF on the seam.
    for (int shift = 0; shift < 3; ++shift) {
        QByteArray bytes(256 * 1024 - 1 - shift, 'a');
        bytes += "\xE2\x82\xAC\r\nb\r\n";
        const Rows rows = readAll(bytes, plain());
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0).at(0).right(1), QStringLiteral("€"));
        QCOMPARE(rows.at(1), QStringList{QStringLiteral("b")});
    }
}

void TestCsvReader::invalidUtf16IsReported()
{
    // A lone surrogate (a broken character) is reported at its field, as invalid UTF-8 is, so
    // the row is rejected whatever the upload method; a pair across the 256 KiB seam is fine.
    QString text = QStringLiteral("id,note\n1,ok\n2,BAD");
    text += QChar(0xD800);
    text += QStringLiteral(",x\n3,last\n");
    QStringList errors;
    const Rows rows = readAll(utf16(text, false), plain(QLatin1Char(','), CsvFormat::Encoding::Utf16LE), nullptr, &errors);
    QCOMPARE(rows.size(), 4);
    QVERIFY(errors.at(1).isEmpty());
    QVERIFY2(errors.at(2).contains(QLatin1String("not valid")), qPrintable(errors.at(2)));
    QVERIFY(errors.at(3).isEmpty());
    QCOMPARE(rows.at(3), (QStringList{QStringLiteral("3"), QStringLiteral("last")}));

    QString seam(256 * 1024 / 2 - 2, QLatin1Char('a')); // the BOM and these fill the first read but 2 bytes
    seam += QString::fromUcs4(U"\U0001F600") + QStringLiteral("\nb\n");
    errors.clear();
    const Rows across = readAll(utf16(seam, false), plain(QLatin1Char(','), CsvFormat::Encoding::Utf16LE), nullptr, &errors);
    QCOMPARE(across.size(), 2);
    QVERIFY2(errors.at(0).isEmpty(), qPrintable(errors.at(0)));
    QCOMPARE(across.at(0).at(0).right(2), QString::fromUcs4(U"\U0001F600"));

    // An odd last byte: a character cut in half.
    errors.clear();
    readAll(utf16(QStringLiteral("a,b\n1,2"), false) + QByteArray("x", 1), plain(QLatin1Char(','), CsvFormat::Encoding::Utf16LE), nullptr, &errors);
    QVERIFY2(errors.last().contains(QLatin1String("not valid")), qPrintable(errors.join(QLatin1Char('|'))));
}

void TestCsvReader::oversizedFieldDoesNotGrowMemory()
{
    QByteArray bytes = "a,";
    bytes += QByteArray(3 * 1024 * 1024, 'z');
    bytes += "\nnext,row\n";
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvFormat f = plain();
    f.maxFieldChars = 1024 * 1024;
    CsvReader reader(f);
    QVERIFY(reader.open(&buffer));
    CsvRecord rec;
    QVERIFY(reader.next(&rec));
    QVERIFY2(rec.error.contains(QLatin1String("longer than 1048576 characters")), qPrintable(rec.error));
    QCOMPARE(rec.errorColumn, 2);
    QVERIFY(rec.fields.at(1).size() <= 1024 * 1024);
    // The record's beginning, as much as is kept (it once kept a piece of its end, or nothing).
    QCOMPARE(rec.raw.size(), qsizetype(CsvRecord::RawLimit));
    QVERIFY(rec.raw.startsWith(QLatin1String("a,zzz")));
    QVERIFY(rec.rawTruncated);
    QVERIFY(reader.next(&rec)); // the next record is intact
    QCOMPARE(rec.fields, (QStringList{QStringLiteral("next"), QStringLiteral("row")}));
    QCOMPARE(rec.line, qint64(2));
}

void TestCsvReader::opensFilesAndReportsMissingOnes()
{
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write("x,y\n1,2\n");
    file.close();
    CsvFormat f = plain();
    f.header = true;
    CsvReader reader(f);
    QVERIFY(reader.open(file.fileName()));
    QCOMPARE(reader.totalBytes(), qint64(8));
    CsvRecord rec;
    QVERIFY(reader.next(&rec));
    QCOMPARE(reader.bytesRead(), qint64(8));
    CsvReader missing(f);
    QVERIFY(!missing.open(QStringLiteral("/nonexistent/dir/file.csv")));
    QVERIFY(missing.errorString().startsWith(QLatin1String("/nonexistent/dir/file.csv")));
}

void TestCsvReader::longRecordKeepsItsBeginning()
{
    // 70,000 characters, under the field limit: the rejects file gets the first 64 Ki of them.
    QByteArray bytes = "id,t,n\n1,";
    bytes += QByteArray(70000, 'x');
    bytes += ",bad\n2,ok,2\n";
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(plain());
    QVERIFY(reader.open(&buffer));
    CsvRecord rec;
    QVERIFY(reader.next(&rec)); // id,t,n
    QVERIFY(reader.next(&rec));
    QCOMPARE(rec.raw.size(), qsizetype(CsvRecord::RawLimit));
    QVERIFY(rec.raw.startsWith(QLatin1String("1,xxx")));
    QVERIFY(rec.rawTruncated);
    QCOMPARE(rec.fields.value(2), QStringLiteral("bad"));
    QVERIFY(reader.next(&rec));
    QCOMPARE(rec.raw, QStringLiteral("2,ok,2"));
    QVERIFY(!rec.rawTruncated);
}

void TestCsvReader::emptyRowsAreBlankLines()
{
    // A spreadsheet's empty rows and a line of spaces are blank lines, counted as such; a row of
    // quoted empty cells is data (its NULLs were written on purpose).
    QByteArray bytes = "a,b,c\n1,2,3\n,,\n   \n\"\",,\n4,,\n\x1a";
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(plain());
    QVERIFY(reader.open(&buffer));
    QList<qint64> lines;
    CsvRecord rec;
    while (reader.next(&rec))
        lines << rec.line;
    QCOMPARE(lines, (QList<qint64>{1, 2, 5, 6}));
    QCOMPARE(reader.blankLines(), qint64(2)); // (a DOS end-of-file mark, Ctrl-Z, at the end is no line at all)
    // The mark right after the last value, without a line break: not part of the value.
    const Rows glued = readAll(QByteArray("name,val\na,1\nb,2\x1a"), plain());
    QCOMPARE(glued.last(), (QStringList{QStringLiteral("b"), QStringLiteral("2")}));
    // … after a quoted value, and several of them (CP/M padded files to whole blocks).
    const Rows quoted = readAll(QByteArray("name,val\n\"a\",\"1\"\x1a\x1a\x1a"), plain());
    QCOMPARE(quoted.size(), 2);
    QCOMPARE(quoted.last(), (QStringList{QStringLiteral("a"), QStringLiteral("1")}));
}

void TestCsvReader::spreadsheetSeparatorLine_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("declared"); // empty: no separator line
    QTest::addColumn<qint64>("headerLine");
    QTest::addColumn<QStringList>("header");
    // Excel's first line, with a BOM and CRLF; quoted; padded; in capitals; then lines that are not one.
    QTest::newRow("excel") << QByteArray("\xEF\xBB\xBFsep=;\r\ntime;value\r\n2024-01-01;1,5\r\n") << QStringLiteral(";") << qint64(2)
                           << QStringList{QStringLiteral("time"), QStringLiteral("value")};
    QTest::newRow("quoted") << QByteArray("\"sep=;\"\ntime;value\n2024-01-01;1\n") << QStringLiteral(";") << qint64(2)
                            << QStringList{QStringLiteral("time"), QStringLiteral("value")};
    QTest::newRow("padded") << QByteArray("sep=;;;\ntime;value\n2024-01-01;1\n") << QStringLiteral(";") << qint64(2)
                            << QStringList{QStringLiteral("time"), QStringLiteral("value")};
    QTest::newRow("tab") << QByteArray("SEP=\t\ntime\tvalue\n2024-01-01\t1\n") << QStringLiteral("\t") << qint64(2)
                         << QStringList{QStringLiteral("time"), QStringLiteral("value")};
    QTest::newRow("a column named sep=x") << QByteArray("sep=x;value\n1;2\n") << QString() << qint64(1)
                                          << QStringList{QStringLiteral("sep=x"), QStringLiteral("value")};
    QTest::newRow("not first") << QByteArray("time;value\nsep=;\n") << QString() << qint64(1)
                               << QStringList{QStringLiteral("time"), QStringLiteral("value")};
}

void TestCsvReader::spreadsheetSeparatorLine()
{
    // The line names the delimiter and is not data: the header follows it, line numbers stay
    // those of the file, and --skip-lines counts from the line after it.
    QFETCH(QByteArray, bytes);
    QFETCH(QString, declared);
    QFETCH(qint64, headerLine);
    QFETCH(QStringList, header);
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvFormat f = plain(declared.isEmpty() ? QLatin1Char(';') : declared.at(0));
    f.header = true;
    CsvReader reader(f);
    QVERIFY(reader.open(&buffer));
    QCOMPARE(reader.declaredDelimiter(), declared.isEmpty() ? QChar() : declared.at(0));
    QCOMPARE(reader.headerLine(), headerLine);
    QCOMPARE(reader.header(), header);
    CsvRecord rec;
    QVERIFY(reader.next(&rec));
    QCOMPARE(rec.line, headerLine + 1);

    // --skip-lines counts the file's lines, the separator line first: 1 skips just that line
    // (as users did by hand before it was understood), 2 a banner after it too.
    for (const auto &[text, skip] : {std::pair<QByteArray, int>{"sep=,\ntime,value\n2024-01-01,1\n", 1},
                                     std::pair<QByteArray, int>{"sep=,\nexported by tool X\ntime,value\n2024-01-01,1\n", 2}}) {
        QByteArray skipping = text;
        QBuffer second(&skipping);
        second.open(QIODevice::ReadOnly);
        f = plain();
        f.header = true;
        f.skipLines = skip;
        CsvReader afterBanner(f);
        QVERIFY(afterBanner.open(&second));
        QCOMPARE(afterBanner.headerLine(), qint64(skip + 1));
        QCOMPARE(afterBanner.header(), (QStringList{QStringLiteral("time"), QStringLiteral("value")}));
    }
}

QTEST_GUILESS_MAIN(TestCsvReader)
#include "tst_csvreader.moc"
