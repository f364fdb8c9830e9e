// Loading the files spreadsheets write: Excel's sep= line, decimal commas, guessed date orders,
// header cells left empty, against PostgreSQL 15.
#include "CsvReader.h"
#include "CsvSniffer.h"
#include "LoaderCase.h"
#include "TestServers.h"

#include <QFile>
#include <QtTest>

using namespace bfs;

class TestLoaderSpreadsheets : public LoaderCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void europeanFileIsDetectedAndConverted();
    void excelSeparatorLineNamesTheDelimiter();
    void guessedDateOrderProvedWrongLaterWritesNothing();
    void unnamedAndRepeatedHeaderColumnsAreNoted();
    void ambiguousDecimalSeparatorIsNotedAndCanBeSet();
    void utf8FileWithAStrayByte();
    void rowsMissingTheirLastCells();
};

void TestLoaderSpreadsheets::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestLoaderSpreadsheets::europeanFileIsDetectedAndConverted()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_euro")));
    const QString path = writeCsv(QStringLiteral("euro.csv"),
                                  "time;device_id;temperature;humidity;status\r\n"
                                  "31.01.2026 14:30;1;21,5;1.013,25;ok\r\n"
                                  "31.01.2026 15:00;2;-3,75;998,5;M\xFC" "de\r\n" // Windows-1252 ü
                                  "31.01.2026 15:30;drei;1,5;999;Gr\xFC\xDF" "e\r\n");
    CsvLoader::Options o;
    o.csvPath = path;
    o.table = QStringLiteral("r_euro");
    o.timeZone = QStringLiteral("Europe/Berlin");
    o.rejectsPath = m_dir.filePath(QStringLiteral("euro.rejects.csv"));
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.format.delimiter, QLatin1Char(';'));
    QVERIFY(s.format.decimalComma);
    QCOMPARE(s.format.encoding, CsvFormat::Encoding::Windows1252);
    QCOMPARE(s.rowsLoaded, qint64(2));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_euro WHERE time = '2026-01-31 13:30:00+00' AND temperature = 21.5 "
                                      "AND humidity = 1013.25")),
             qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_euro WHERE status = 'Müde' AND temperature = -3.75")), qint64(1));
    // The rejects file opens in the spreadsheet that made the file: its delimiter, and UTF-8 with
    // the byte-order mark by which Excel knows it (it was one column of mangled accents before).
    QCOMPARE(s.rowsRejected, qint64(1));
    QFile f(o.rejectsPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    QCOMPARE(lines.value(0), QByteArray("\xEF\xBB\xBFline;column;reason;record"));
    QVERIFY2(lines.value(1).startsWith("4;device_id;"), lines.value(1).constData());
    QVERIFY2(lines.value(1).endsWith(QStringLiteral(";\"31.01.2026 15:30;drei;1,5;999;Grüße\"").toUtf8()), lines.value(1).constData());
    CsvFormat rf;
    rf.delimiter = QLatin1Char(';');
    CsvReader back(rf);
    QVERIFY(back.open(o.rejectsPath));
    QCOMPARE(back.header(), (QStringList{QStringLiteral("line"), QStringLiteral("column"), QStringLiteral("reason"), QStringLiteral("record")}));
    CsvRecord rec;
    QVERIFY(back.next(&rec));
    QCOMPARE(rec.fields.value(3), QStringLiteral("31.01.2026 15:30;drei;1,5;999;Grüße"));
}

void TestLoaderSpreadsheets::excelSeparatorLineNamesTheDelimiter()
{
    // An Excel export with its "sep=;" first line and text full of commas: read with ';', the
    // line is not a row, and a rejected row is named by its line in the file.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_sep")));
    CsvLoader::Options o;
    o.csvPath = writeCsv(QStringLiteral("sep.csv"),
                         "sep=;\r\n"
                         "time;device_id;temperature;humidity;status\r\n"
                         "2026-01-31 14:30;1;21,5;10;a,b,c,d,e,f\r\n"
                         "2026-01-31 15:00;seven;1;2;g,h,i,j,k,l\r\n");
    o.table = QStringLiteral("r_sep");
    o.rejectsPath = m_dir.filePath(QStringLiteral("sep.rejects.csv"));
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.format.delimiter, QLatin1Char(';'));
    QCOMPARE(s.rowsRead, qint64(2));
    QCOMPARE(s.rowsLoaded, qint64(1));
    QCOMPARE(s.rowsRejected, qint64(1));
    QVERIFY(s.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_sep WHERE status = 'a,b,c,d,e,f' AND temperature = 21.5")), qint64(1));
    QFile f(o.rejectsPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    QCOMPARE(lines.value(0), QByteArray("line;column;reason;record")); // (a UTF-8 file without a byte-order mark: none)
    QVERIFY2(lines.value(1).startsWith("4;device_id;"), "the rejected row is on line 4 of the file");
}

void TestLoaderSpreadsheets::guessedDateOrderProvedWrongLaterWritesNothing()
{
    // A UK logger's minutes from 1 January: every date of the first 256 KiB (the sample) fits both
    // orders, and a comma file reads them month first. The first date past the 12th proves the
    // guess wrong: the load stops there, names the line and the format, and writes nothing
    // (before, 1–12 January had been loaded as the first of each month).
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_uk; CREATE TABLE r_uk (id int PRIMARY KEY, ts timestamp, v float8)"));
    QByteArray content("id,ts,v\r\n");
    const QDateTime start(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC);
    const int rows = 13 * 24 * 60;
    for (int i = 0; i < rows; ++i)
        content += QByteArray::number(i) + ',' + start.addSecs(60LL * i).toString(QStringLiteral("dd/MM/yyyy HH:mm")).toLatin1() + ','
            + QByteArray::number(i) + "\r\n";
    QVERIFY(content.size() > CsvSniffer::SampleBytes);
    CsvLoader::Options o;
    o.table = QStringLiteral("r_uk");
    o.csvPath = writeCsv(QStringLiteral("uk.csv"), content);
    const CsvLoader::Summary s = load(pg, o);
    QCOMPARE(s.outcome, CsvLoader::Outcome::InputError);
    const qint64 line = 2 + 12 * 24 * 60; // 13/01/2024 00:00
    QVERIFY2(s.message.contains(QStringLiteral("line %1, column ts: \"13/01/2024 00:00\" is written dd/MM/yyyy HH:mm").arg(line)),
             qPrintable(s.message));
    QVERIFY2(s.message.contains(QLatin1String("--format ts=dd/MM/yyyy HH:mm")), qPrintable(s.message));
    QVERIFY2(s.message.endsWith(QLatin1String("Nothing was written to public.r_uk.")), qPrintable(s.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_uk")), qint64(0));
    // With the format given, every row loads with its own day.
    o.formats.insert(QStringLiteral("ts"), QStringLiteral("dd/MM/yyyy HH:mm"));
    const CsvLoader::Summary fixed = load(pg, o);
    QVERIFY2(fixed.outcome == CsvLoader::Outcome::Completed, qPrintable(fixed.message));
    QCOMPARE(fixed.rowsLoaded, qint64(rows));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_uk WHERE ts = '2024-01-13 00:00' AND id = 17280")), qint64(1));

    // A date the guessed order reads but the time zone refuses (10 March 2024, 02:30 does not
    // exist in New York) proves nothing: its row is rejected, the load goes on.
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_us; CREATE TABLE r_us (id int PRIMARY KEY, ts timestamptz)"));
    CsvLoader::Options us;
    us.table = QStringLiteral("r_us");
    us.timeZone = QStringLiteral("America/New_York");
    us.csvPath = writeCsv(QStringLiteral("us.csv"), "id,ts\n1,01/02/2024 10:00\n2,03/10/2024 02:30\n3,04/05/2024 10:00\n");
    const CsvLoader::Summary gap = load(pg, us);
    QVERIFY2(gap.outcome == CsvLoader::Outcome::Completed, qPrintable(gap.message));
    QCOMPARE(gap.rowsLoaded, qint64(2));
    QCOMPARE(gap.rowsRejected, qint64(1));
    QCOMPARE(gap.firstRejections.value(0).line, qint64(3));
}

void TestLoaderSpreadsheets::unnamedAndRepeatedHeaderColumnsAreNoted()
{
    // Values under a header cell left empty, and a second column of a name already taken, are not
    // loaded: the notes say so, with the column's number (an empty trailing column stays unmentioned).
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_unnamed")));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_unnamed");
    o.csvPath = writeCsv(QStringLiteral("unnamed.csv"), "time,device_id,temperature,temperature,,\n"
                                                         "2026-08-20 00:00+00,1,20,21,,\n2026-08-20 01:00+00,1,20,21,55,\n");
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(2));
    const QString notes = s.notes.join(QLatin1Char('\n'));
    QVERIFY2(notes.contains(QLatin1String("\"temperature\" (column 4, a second column of that name)")), qPrintable(notes));
    QVERIFY2(notes.contains(QLatin1String("column 5 has no name in the header but holds values (the first on line 3)")), qPrintable(notes));
    QVERIFY2(!notes.contains(QLatin1String("column 6")), qPrintable(notes));
}

void TestLoaderSpreadsheets::ambiguousDecimalSeparatorIsNotedAndCanBeSet()
{
    // 1,234 and 12,500 fit a decimal comma and a thousands separator alike: read as decimals
    // (a semicolon file), with a note that says so and how to say otherwise.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_decimal; CREATE TABLE r_decimal (id int PRIMARY KEY, amount numeric)"));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_decimal");
    o.csvPath = writeCsv(QStringLiteral("decimal.csv"), "id;amount\n1;1,234\n2;12,500\n");
    const CsvLoader::Summary guessed = load(pg, o);
    QVERIFY2(guessed.outcome == CsvLoader::Outcome::Completed, qPrintable(guessed.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_decimal WHERE (id, amount) IN ((1, 1.234), (2, 12.5))")), qint64(2));
    QVERIFY2(guessed.notes.join(QLatin1Char('\n')).contains(QLatin1String("fits both a decimal comma and a thousands separator (such as "
                                                                           "1,234 or 1.234); they are read with a decimal comma. If that "
                                                                           "is wrong, say which (on the command line: --decimal-point)")),
             qPrintable(guessed.notes.join(QLatin1Char('\n'))));
    // Said: a thousands separator, and no note.
    exec(pg, QStringLiteral("TRUNCATE r_decimal"));
    o.decimalComma = false;
    const CsvLoader::Summary said = load(pg, o);
    QVERIFY2(said.outcome == CsvLoader::Outcome::Completed, qPrintable(said.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_decimal WHERE (id, amount) IN ((1, 1234), (2, 12500))")), qint64(2));
    QVERIFY(said.notes.isEmpty());
}

void TestLoaderSpreadsheets::utf8FileWithAStrayByte()
{
    // A UTF-8 file with one Windows-1252 byte pasted in: read as UTF-8 (the accents of the other
    // rows intact), the row with the stray byte rejected with its line, its text in the rejects
    // file with a replacement character where the byte was.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_stray; CREATE TABLE r_stray (city text, n int)"));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_stray");
    o.csvPath = writeCsv(QStringLiteral("stray.csv"), "city,n\nd\xc3\xa9j\xc3\xa0 vu,1\nK\xf6ln,2\nna\xc3\xafve,3\n");
    o.rejectsPath = m_dir.filePath(QStringLiteral("stray.rejects.csv"));
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.format.encoding, CsvFormat::Encoding::Utf8);
    QCOMPARE(s.rowsLoaded, qint64(2));
    QCOMPARE(s.rowsRejected, qint64(1));
    QCOMPARE(count(pg, QString::fromUtf8("SELECT count(*) FROM r_stray WHERE city IN ('d\u00e9j\u00e0 vu', 'na\u00efve')")), qint64(2));
    QFile f(o.rejectsPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString rejected = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n')).value(1);
    QVERIFY2(rejected.startsWith(QLatin1String("3,city,bytes that are not valid UTF-8")), qPrintable(rejected));
    QVERIFY2(rejected.endsWith(QStringLiteral("\"K\uFFFDln,2\"")), qPrintable(rejected));
}

void TestLoaderSpreadsheets::rowsMissingTheirLastCells()
{
    // Excel leaves out the delimiters of empty cells at the end of some rows. Such rows are
    // rejected and noted (with what to do), or with padShortRows read with those cells empty.
    // A cell that cannot be empty (NOT NULL) still rejects its row.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_short")));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_short");
    o.csvPath = writeCsv(QStringLiteral("short.csv"), "time,device_id,temperature,humidity,status\r\n"
                                                      "2026-08-20 10:00:00+00,1,20.5,40,ok\r\n"
                                                      "2026-08-20 11:00:00+00,1,21.5\r\n"
                                                      "2026-08-20 12:00:00+00,1\r\n"
                                                      "2026-08-20 13:00:00+00\r\n");
    const CsvLoader::Summary strict = load(pg, o);
    QCOMPARE(strict.rowsLoaded, qint64(1));
    QCOMPARE(strict.rowsRejected, qint64(3));
    QVERIFY(strict.accountedFor());
    const QString notes = strict.notes.join(QLatin1Char('\n'));
    QVERIFY2(notes.contains(QLatin1String("short.csv: 3 rows have fewer fields than the file has columns (the first on line 3) and were rejected"))
                 && notes.contains(QLatin1String("--pad-short-rows")),
             qPrintable(notes));

    exec(pg, QStringLiteral("TRUNCATE r_short"));
    o.padShortRows = true;
    const CsvLoader::Summary padded = load(pg, o);
    QCOMPARE(padded.rowsLoaded, qint64(3));
    QCOMPARE(padded.rowsRejected, qint64(1));
    QCOMPARE(padded.firstRejections.value(0).line, qint64(5));
    QCOMPARE(padded.firstRejections.value(0).column, QStringLiteral("device_id"));
    QVERIFY(padded.accountedFor());
    QVERIFY2(padded.notes.join(QLatin1Char('\n')).contains(QLatin1String("3 rows have fewer fields than the file has columns (the first on line 3); "
                                                                          "the cells missing at the end were read as empty")),
             qPrintable(padded.notes.join(QLatin1Char('\n'))));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_short WHERE temperature = 21.5 AND humidity IS NULL AND status IS NULL")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_short WHERE time = '2026-08-20 12:00+00' AND temperature IS NULL")), qint64(1));
}

QTEST_GUILESS_MAIN(TestLoaderSpreadsheets)
#include "tst_loader_spreadsheets.moc"
