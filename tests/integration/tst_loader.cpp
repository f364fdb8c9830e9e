// Loading CSV files into real tables: COPY into PostgreSQL 15, INSERT batches into the
// TimescaleDB sandbox, with complete row accounting, rejects, conflicts and cancel.
#include "LoaderCase.h"
#include "TestServers.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <tuple>

using namespace bfs;

class TestLoader : public LoaderCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void copyIntoPlainTableOnPg15();
    void naiveTimesAreReadInTheSourceZone();
    void rejectsFileKeepsLineColumnReasonAndText();
    void stopAtFirstErrorWritesNothing();
    void conflictErrorWritesNothingAndNamesTheKey();
    void conflictSkipCountsDuplicates();
    void conflictUpdateOverwritesNonKeyColumns();
    void conflictUpdateKeepsRowsWithANullInTheKey();
    void conflictUpdateWithNullsNotDistinct();
    void dryRunCountsExistingRowsAndWritesNothing();
    void cancelMidStreamWritesNothing();
    void missingRequiredColumnIsAnInputError();
    void insertBatchesIntoCompressedSandboxHypertable();
    void sandboxSkipsDuplicatesInCompressedChunks();
    void serverRefusedValueNamesTheFileLineAndColumn_data();
    void serverRefusedValueNamesTheFileLineAndColumn();
    void quotedTextKeepsItsSpaces();
    void nullTokensMatchExactlyAndNeverQuotedText();
    void rowsATriggerDropsAreReportedAsNotWritten();
    void domainsAndEnumsConvertAsTheirBaseType();
    void dryRunCountsUnderEveryKeyAsTheRunWould();
    void formatForNoDateColumnIsAnInputError();
    void checkRefusalNamesTheLineInEveryMode();
};

void TestLoader::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestLoader::copyIntoPlainTableOnPg15()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_copy")));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_before_first_chunk.csv");
    o.table = QStringLiteral("r_copy");
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.uploadMethod, QStringLiteral("copy"));
    QCOMPARE(s.rowsRead, qint64(840));
    QCOMPARE(s.rowsLoaded, qint64(840));
    QVERIFY(s.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_copy")), qint64(840));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_copy WHERE time = '2026-07-27 05:00:00+00' AND device_id = 2 "
                                      "AND status = 'ok' AND temperature = 26.83 AND humidity = 46.07")),
             qint64(1));
}

void TestLoader::naiveTimesAreReadInTheSourceZone()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_zone")));
    const QString path = writeCsv(QStringLiteral("zone.csv"),
                                  "time,device_id\n"
                                  "2026-07-01 12:00,1\n"
                                  "2026-03-29 02:30,1\n"    // DST gap in Berlin
                                  "2026-10-25 02:30,1\n"    // DST overlap in Berlin
                                  "2026-07-01 12:00Z,2\n"); // explicit zone wins
    CsvLoader::Options o;
    o.csvPath = path;
    o.table = QStringLiteral("r_zone");
    o.timeZone = QStringLiteral("Europe/Berlin");
    o.rejectsPath = m_dir.filePath(QStringLiteral("zone.rejects.csv"));
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(2));
    QCOMPARE(s.rowsRejected, qint64(2));
    QVERIFY(s.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_zone WHERE time = '2026-07-01 10:00:00+00' AND device_id = 1")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_zone WHERE time = '2026-07-01 12:00:00+00' AND device_id = 2")), qint64(1));
    QFile rejects(o.rejectsPath);
    QVERIFY(rejects.open(QIODevice::ReadOnly));
    const QByteArray text = rejects.readAll();
    QVERIFY2(text.contains("3,time,2026-03-29 02:30:00 does not exist in Europe/Berlin"), text.constData());
    QVERIFY2(text.contains("4,time,2026-10-25 02:30:00 happens twice in Europe/Berlin"), text.constData());

    // The same file with an explicit choice for repeated times loads the overlap row.
    exec(pg, QStringLiteral("TRUNCATE r_zone"));
    o.overlap = DateTimeParser::Overlap::Later;
    const CsvLoader::Summary later = load(pg, o);
    QCOMPARE(later.rowsLoaded, qint64(3));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_zone WHERE time = '2026-10-25 01:30:00+00'")), qint64(1));

    // A timestamptz with a precision ("timestamp(3) with time zone") is an instant too.
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_zone3; CREATE TABLE r_zone3 (time timestamptz(3) NOT NULL, device_id int)"));
    o.table = QStringLiteral("r_zone3");
    const CsvLoader::Summary precise = load(pg, o);
    QCOMPARE(precise.rowsLoaded, qint64(3));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_zone3 WHERE time = '2026-07-01 10:00:00+00' AND device_id = 1")), qint64(1));
}

void TestLoader::rejectsFileKeepsLineColumnReasonAndText()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_bad")));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_bad_rows.csv");
    o.table = QStringLiteral("r_bad");
    o.rejectsPath = m_dir.filePath(QStringLiteral("rejects/bad.rejects.csv")); // (a folder not made yet)
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsRead, qint64(48));
    QCOMPARE(s.rowsLoaded, qint64(44));
    QCOMPARE(s.rowsRejected, qint64(4));
    QVERIFY(s.accountedFor());
    QFile f(o.rejectsPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    QCOMPARE(lines.at(0), QByteArray("line,column,reason,record"));
    QCOMPARE(lines.at(1), QByteArray("7,time,2026-13-45 is not a calendar date,\"2026-13-45 99:00:00+00,7,30.04,73.47,ok\""));
    QCOMPARE(lines.at(2), QByteArray("19,temperature,\"\"\"warm\"\" is not a number\",\"2026-08-25 08:30:00+00,7,warm,68.42,ok\""));
    QCOMPARE(lines.at(3), QByteArray("31,,\"expected 5 fields, found 3\",\"2026-08-25 14:30:00+00,7,23.96\""));
    QCOMPARE(lines.at(4), QByteArray("43,device_id,\"\"\"seven\"\" is not an integer\",\"2026-08-25 20:30:00+00,seven,23.03,55.03,ok\""));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_bad")), qint64(44));

    // A load that rejects nothing leaves no rejects file: neither one of a header alone nor the
    // last run's, which would tell of rows this load did not reject.
    {
        CsvLoader::Options clean = o;
        clean.csvPath = writeCsv(QStringLiteral("clean.csv"), "time,device_id,temperature,humidity,status\n2026-09-01 00:00:00+00,8,20,50,ok\n");
        const CsvLoader::Summary none = load(pg, clean);
        QCOMPARE(none.rowsRejected, qint64(0));
        QVERIFY(!QFile::exists(clean.rejectsPath));
    }

    // A rejects file that cannot be written (a full disk): the rejected rows would be listed
    // nowhere, so the load stops and writes nothing.
    if (QFileInfo(QStringLiteral("/dev/full")).exists()) {
        exec(pg, QStringLiteral("TRUNCATE r_bad"));
        o.rejectsPath = QStringLiteral("/dev/full");
        const CsvLoader::Summary full = load(pg, o);
        QVERIFY2(full.outcome == CsvLoader::Outcome::InputError, qPrintable(full.message));
        QVERIFY2(full.message.startsWith(QLatin1String("cannot write the rejects file /dev/full: ")), qPrintable(full.message));
        QVERIFY2(full.message.endsWith(QLatin1String("Nothing was written to public.r_bad.")), qPrintable(full.message));
        QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_bad")), qint64(0));
    }
}

void TestLoader::stopAtFirstErrorWritesNothing()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_stop")));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_bad_rows.csv");
    o.table = QStringLiteral("r_stop");
    o.maxRejects = 0;
    const CsvLoader::Summary s = load(pg, o);
    QCOMPARE(s.outcome, CsvLoader::Outcome::InputError);
    QVERIFY2(s.message.contains(QLatin1String("conditions_bad_rows.csv, line 7, column time: 2026-13-45 is not a calendar date")),
             qPrintable(s.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_stop")), qint64(0));
    QCOMPARE(s.rowsRejected, qint64(1));
    QCOMPARE(s.rowsNotLoaded, s.rowsRead - 1); // the good rows before line 7: a corrected file loads them
    QVERIFY(s.accountedFor());

    o.maxRejects = 3; // four bad rows: over the limit
    QCOMPARE(load(pg, o).outcome, CsvLoader::Outcome::InputError);
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_stop")), qint64(0));
    o.maxRejects = 4;
    QCOMPARE(load(pg, o).rowsLoaded, qint64(44));
}

void TestLoader::conflictErrorWritesNothingAndNamesTheKey()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_err")) +
                 QStringLiteral("INSERT INTO r_err VALUES ('2026-08-20 00:30:00+00', 1, 0, 0, 'old');"));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_duplicates.csv");
    o.table = QStringLiteral("r_err");
    const CsvLoader::Summary s = load(pg, o);
    QCOMPARE(s.outcome, CsvLoader::Outcome::ServerError);
    QCOMPARE(s.error.sqlState, QStringLiteral("23505"));
    QVERIFY2(s.message.contains(QLatin1String("device_id)=(2026-08-20 00:30:00+00, 1) already exists")), qPrintable(s.message));
    QVERIFY(s.message.contains(QLatin1String("Nothing was written")));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_err")), qint64(1));
    // Every row read is accounted for: none loaded, none skipped; all left for a re-run.
    QCOMPARE(s.rowsLoaded, qint64(0));
    QCOMPARE(s.rowsNotLoaded, s.rowsRead - s.rowsRejected);
    QVERIFY(s.rowsNotLoaded > 0);
    QVERIFY(s.accountedFor());
}

void TestLoader::conflictSkipCountsDuplicates()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_skip")));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_duplicates.csv");
    o.table = QStringLiteral("r_skip");
    o.conflict = CsvLoader::Conflict::Skip;
    QCOMPARE(load(pg, o).rowsLoaded, qint64(144));
    const CsvLoader::Summary again = load(pg, o);
    QCOMPARE(again.rowsRead, qint64(144));
    QCOMPARE(again.rowsLoaded, qint64(0));
    QCOMPARE(again.rowsDuplicate, qint64(144));
    QVERIFY(again.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_skip")), qint64(144));
}

void TestLoader::conflictUpdateOverwritesNonKeyColumns()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_upd")) +
                 QStringLiteral("INSERT INTO r_upd VALUES ('2026-01-01 00:00:00+00', 1, 0, 0, 'old');"));
    const QString path = writeCsv(QStringLiteral("upd.csv"),
                                  "time,device_id,temperature,status\n"
                                  "2026-01-01 00:00:00+00,1,10,first\n"
                                  "2026-01-01 00:00:00+00,1,11,second\n" // same key again: the last row wins
                                  "2026-01-01 01:00:00+00,1,12,new\n");
    CsvLoader::Options o;
    o.csvPath = path;
    o.table = QStringLiteral("r_upd");
    o.conflict = CsvLoader::Conflict::Update;
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(2));
    QCOMPARE(s.rowsDuplicate, qint64(1));
    QVERIFY(s.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_upd WHERE device_id = 1 AND temperature = 11 AND status = 'second' "
                                      "AND humidity = 0")),
             qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_upd")), qint64(2));
}

void TestLoader::conflictUpdateKeepsRowsWithANullInTheKey()
{
    // UNIQUE (time, device_id) with device_id nullable: PostgreSQL keeps every row whose key holds
    // a NULL (NULLs are distinct), so the file's rows with an empty device are all loaded.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_nullkey; CREATE TABLE r_nullkey (time timestamptz NOT NULL, device_id int, "
                            "temperature double precision, UNIQUE (time, device_id));"));
    const QString path = writeCsv(QStringLiteral("nullkey.csv"),
                                  "time,device_id,temperature\n"
                                  "2026-01-01 00:00:00+00,,1\n"
                                  "2026-01-01 00:00:00+00,,2\n"
                                  "2026-01-01 00:00:00+00,7,3\n"
                                  "2026-01-01 00:00:00+00,7,4\n"); // same key again: the last row wins
    CsvLoader::Options o;
    o.csvPath = path;
    o.table = QStringLiteral("r_nullkey");
    o.conflict = CsvLoader::Conflict::Update;
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(3));
    QCOMPARE(s.rowsDuplicate, qint64(1));
    QVERIFY(s.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nullkey WHERE device_id IS NULL")), qint64(2));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nullkey WHERE device_id = 7 AND temperature = 4")), qint64(1));
}

void TestLoader::conflictUpdateWithNullsNotDistinct()
{
    // UNIQUE NULLS NOT DISTINCT (PostgreSQL 15): a NULL repeats a key like any value, so the
    // file's last row for (time, NULL) updates the row that is there.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_nnd; CREATE TABLE r_nnd (time timestamptz NOT NULL, device_id int, "
                            "temperature double precision, UNIQUE NULLS NOT DISTINCT (time, device_id)); "
                            "INSERT INTO r_nnd VALUES ('2026-01-01 00:00:00+00', NULL, 0);"));
    const QString path = writeCsv(QStringLiteral("nnd.csv"),
                                  "time,device_id,temperature\n"
                                  "2026-01-01 00:00:00+00,,1\n"
                                  "2026-01-01 00:00:00+00,,2\n");
    CsvLoader::Options o;
    o.csvPath = path;
    o.table = QStringLiteral("r_nnd");
    o.conflict = CsvLoader::Conflict::Update;
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(1));
    QCOMPARE(s.rowsDuplicate, qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nnd")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nnd WHERE temperature = 2")), qint64(1));
}

void TestLoader::dryRunCountsExistingRowsAndWritesNothing()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_dry")) +
                 QStringLiteral("INSERT INTO r_dry SELECT t, d, 0, 0, 'x' FROM generate_series('2026-08-20 00:00+00'::timestamptz, "
                                "'2026-08-20 23:30+00', '30 minutes') t, generate_series(1, 2) d;"));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_duplicates.csv");
    o.table = QStringLiteral("r_dry");
    o.dryRun = true;
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsExisting, qint64(96));
    QCOMPARE(s.rowsLoaded, qint64(0));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_dry")), qint64(96));
    // A key twice in the file, new to the table: the second line is skipped too, and said so.
    o.csvPath = writeCsv(QStringLiteral("repeated.csv"), "time,device_id,temperature\n2026-08-21 00:00+00,1,1\n2026-08-21 00:00+00,1,2\n"
                                                         "2026-08-20 00:00+00,1,3\n2026-08-21 00:00+00,2,4\n");
    const CsvLoader::Summary twice = load(pg, o);
    QCOMPARE(twice.rowsExisting, qint64(1));
    QCOMPARE(twice.rowsRepeated, qint64(1));
    // The dry run's sentence accounts for every row as the run would: loaded, skipped, rejected.
    o.conflict = CsvLoader::Conflict::Skip;
    QCOMPARE(load(pg, o).message, QStringLiteral("Dry run: 2 rows would be loaded into public.r_dry and 2 skipped as duplicates (1 already "
                                                 "there, 1 repeating an earlier line); nothing was written."));
    CsvLoader::Options bad = o;
    bad.csvPath = writeCsv(QStringLiteral("dry-rejected.csv"), "time,device_id,temperature\n2026-08-22 00:00+00,1,1\n2026-08-22 01:00+00,x,2\n");
    QCOMPARE(load(pg, bad).message, QStringLiteral("Dry run: 1 rows would be loaded into public.r_dry; 1 rows are rejected (--rejects FILE "
                                                   "lists them with line, column and reason); nothing was written."));
    // Update: the existing row is updated (loaded), the repeat of an earlier line skipped, as the run does.
    CsvLoader::Options update = o;
    update.conflict = CsvLoader::Conflict::Update;
    QCOMPARE(load(pg, update).message, QStringLiteral("Dry run: 3 rows would be loaded into public.r_dry, 1 of them updating rows already "
                                                      "there, and 1 skipped because a later line has the same key (the last line wins); nothing was written."));
    o.dryRun = false;
    const CsvLoader::Summary real = load(pg, o);
    QCOMPARE(real.rowsDuplicate, twice.rowsExisting + twice.rowsRepeated);
    QCOMPARE(real.rowsLoaded, qint64(2));
    exec(pg, QStringLiteral("DELETE FROM r_dry WHERE time >= '2026-08-21'"));
    update.dryRun = false;
    const CsvLoader::Summary updated = load(pg, update);
    QCOMPARE(updated.rowsLoaded, qint64(3));
    QCOMPARE(updated.rowsDuplicate, qint64(1));
}

void TestLoader::cancelMidStreamWritesNothing()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_cancel")));
    QByteArray content("time,device_id,temperature\n");
    for (int i = 0; i < 60000; ++i)
        content += "2026-01-01 00:00:00+00," + QByteArray::number(i) + ",1.5\n";
    CsvLoader::Options o;
    o.csvPath = writeCsv(QStringLiteral("big.csv"), content);
    o.table = QStringLiteral("r_cancel");
    std::atomic<bool> cancel{false};
    qint64 rowsAtCancel = 0;
    const CsvLoader::Summary s = load(pg, o, &cancel, [&](const CsvLoader::Progress &p) {
        if (p.rowsRead >= 20000 && !cancel) {
            rowsAtCancel = p.rowsRead;
            cancel = true;
        }
    });
    QCOMPARE(s.outcome, CsvLoader::Outcome::Cancelled);
    QVERIFY(rowsAtCancel > 0);
    QVERIFY2(s.rowsRead < 60000, "the reader stopped soon after the cancel");
    QVERIFY(s.message.contains(QLatin1String("nothing was written")));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_cancel")), qint64(0));
    QCOMPARE(s.rowsNotLoaded, s.rowsRead);
    QVERIFY(s.accountedFor());
    // The connection is usable again: no transaction left open.
    QCOMPARE(load(pg, o).rowsLoaded, qint64(60000));
}

void TestLoader::missingRequiredColumnIsAnInputError()
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QString::fromLatin1(kReadings).arg(QStringLiteral("r_req")));
    CsvLoader::Options o;
    o.csvPath = writeCsv(QStringLiteral("nodevice.csv"), "time,temperature\n2026-01-01,1\n");
    o.table = QStringLiteral("r_req");
    const CsvLoader::Summary s = load(pg, o);
    QCOMPARE(s.outcome, CsvLoader::Outcome::InputError);
    QVERIFY2(s.message.contains(QLatin1String("no CSV column maps to \"device_id\"")), qPrintable(s.message));
    o.mappings << qMakePair(QStringLiteral("temperature"), QStringLiteral("device_id"));
    const CsvLoader::Summary mapped = load(pg, o);
    QVERIFY2(mapped.outcome == CsvLoader::Outcome::Completed, qPrintable(mapped.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_req WHERE device_id = 1 AND temperature IS NULL")), qint64(1));
    o.table = QStringLiteral("no_such_table");
    QCOMPARE(load(pg, o).outcome, CsvLoader::Outcome::InputError);
}

static const char *kSandboxTable =
    "DROP TABLE IF EXISTS %1; "
    "CREATE TABLE %1 (time timestamptz NOT NULL, device_id int NOT NULL, temperature double precision, "
    "  humidity double precision, status text, UNIQUE (time, device_id)); "
    "SELECT create_hypertable('%1', 'time', chunk_time_interval => interval '1 day'); "
    "INSERT INTO %1 SELECT t, d, 20, 50, 'seed' FROM generate_series('2026-08-20 00:00+00'::timestamptz, "
    "  '2026-08-21 23:30+00', '30 minutes') t, generate_series(1, 2) d; "
    "ALTER TABLE %1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
    "SELECT compress_chunk(c, true) FROM show_chunks('%1') c;";

void TestLoader::insertBatchesIntoCompressedSandboxHypertable()
{
    const ConnectionProfile sb = TestServers::sandbox();
    exec(sb, QString::fromLatin1(kSandboxTable).arg(QStringLiteral("lt_direct")));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_duplicates.csv");
    o.table = QStringLiteral("lt_direct");
    o.conflict = CsvLoader::Conflict::Skip;
    const CsvLoader::Summary s = load(sb, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.uploadMethod, QStringLiteral("insert")); // the sandbox cannot take COPY
    QCOMPARE(s.rowsRead, qint64(144));
    QCOMPARE(s.rowsLoaded, qint64(48));
    QCOMPARE(s.rowsDuplicate, qint64(96));
    QVERIFY(s.accountedFor());
    QCOMPARE(count(sb, QStringLiteral("SELECT count(*) FROM lt_direct WHERE device_id = 6")), qint64(48));
    QCOMPARE(count(sb, QStringLiteral("SELECT count(*) FROM lt_direct WHERE status = 'seed'")), qint64(192));
}

void TestLoader::sandboxSkipsDuplicatesInCompressedChunks()
{
    const ConnectionProfile sb = TestServers::sandbox();
    exec(sb, QString::fromLatin1(kSandboxTable).arg(QStringLiteral("lt_dry")));
    CsvLoader::Options o;
    o.csvPath = QStringLiteral(BFS_SOURCE_DIR "/resources/samples/conditions_duplicates.csv");
    o.table = QStringLiteral("lt_dry");
    o.dryRun = true;
    const CsvLoader::Summary dry = load(sb, o);
    QVERIFY2(dry.outcome == CsvLoader::Outcome::Completed, qPrintable(dry.message));
    QCOMPARE(dry.rowsExisting, qint64(96));
    QCOMPARE(count(sb, QStringLiteral("SELECT count(*) FROM lt_dry")), qint64(192));
    // Conflict mode "error" fails on the first existing key and leaves the hypertable as it was.
    o.dryRun = false;
    const CsvLoader::Summary err = load(sb, o);
    QCOMPARE(err.outcome, CsvLoader::Outcome::ServerError);
    QCOMPARE(err.error.sqlState, QStringLiteral("23505"));
    QCOMPARE(count(sb, QStringLiteral("SELECT count(*) FROM lt_dry")), qint64(192));
}


void TestLoader::serverRefusedValueNamesTheFileLineAndColumn_data()
{
    QTest::addColumn<CsvLoader::Upload>("upload");
    QTest::newRow("copy") << CsvLoader::Upload::Copy;
    QTest::newRow("insert") << CsvLoader::Upload::Insert;
}

void TestLoader::serverRefusedValueNamesTheFileLineAndColumn()
{
    // Only the server knows an enum's labels. Its refusal names the file's line (a record over two
    // lines and a rejected row come before it) and the CSV column, not the upload's row count;
    // a key repeated inside the file is not called a row "already in the table".
    QFETCH(CsvLoader::Upload, upload);
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_enum; DROP TYPE IF EXISTS r_mood; CREATE TYPE r_mood AS ENUM ('ok', 'bad'); "
                            "CREATE TABLE r_enum (id int UNIQUE, note text, mood r_mood);"));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_enum");
    o.upload = upload;
    o.csvPath = writeCsv(QStringLiteral("enum.csv"), "id,note,Mood\n1,\"two\nlines\",ok\nx,bad id,ok\n3,y,ok\n4,z,sad\n");
    CsvLoader::Summary s = load(pg, o);
    QCOMPARE(s.outcome, CsvLoader::Outcome::ServerError);
    QVERIFY2(s.message.startsWith(o.csvPath + QStringLiteral(", line 6, column Mood: invalid input value for enum r_mood: \"sad\". ")),
             qPrintable(s.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_enum")), qint64(0));

    o.csvPath = writeCsv(QStringLiteral("twice.csv"), "id,note,Mood\n1,a,ok\n2,b,ok\n1,c,bad\n");
    s = load(pg, o);
    QCOMPARE(s.outcome, CsvLoader::Outcome::ServerError);
    QVERIFY2(s.message.contains(QLatin1String("already exists in public.r_enum or on an earlier line of the file")), qPrintable(s.message));
    QVERIFY2(s.message.startsWith(o.csvPath + QStringLiteral(", line 4: the row's key")), qPrintable(s.message));
    QVERIFY2(s.message.contains(QLatin1String("(Key (id)=(1) already exists.)")), qPrintable(s.message)); // (the key named)
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_enum")), qint64(0));
}


void TestLoader::quotedTextKeepsItsSpaces()
{
    // Spaces around an unquoted value are the spreadsheet's; inside quotes they are the data.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    const CsvLoader::Summary s = loadIntoPg15(QStringLiteral("r_quoted"), QStringLiteral("DROP TABLE IF EXISTS r_quoted; CREATE TABLE r_quoted (id int, t text, n int);"),
                                              "id,t,n\n1,\"  lead and trail  \",\" 7 \"\n2,\" \",1\n3,\"line\n\",1\n4,  plain  ,1\n5,\"\",1\n");
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(5));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_quoted WHERE id = 1 AND t = '  lead and trail  ' AND n = 7")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_quoted WHERE id = 2 AND t = ' '")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_quoted WHERE id = 3 AND t = E'line\\n'")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_quoted WHERE id = 4 AND t = 'plain'")), qint64(1));
    // A quoted empty cell stays NULL: exports that quote every cell mean "no value" by it.
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_quoted WHERE id = 5 AND t IS NULL")), qint64(1));
}

void TestLoader::nullTokensMatchExactlyAndNeverQuotedText()
{
    // As R's write.csv writes: strings quoted, missing values a bare NA. "NA" (Namibia) and Na
    // (sodium) are data; NA, null and an empty cell are NULL; a quoted NA in a number column too.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    const CsvLoader::Summary s = loadIntoPg15(QStringLiteral("r_nulls"), QStringLiteral("DROP TABLE IF EXISTS r_nulls; CREATE TABLE r_nulls (id int, t text, n int);"),
                                              "id,t,n\n1,\"NA\",1\n2,Na,1\n3,NA,NA\n4,null,\"NA\"\n5,\"null\",\n6,nA,1\n");
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(6));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nulls WHERE id = 1 AND t = 'NA'")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nulls WHERE id = 2 AND t = 'Na'")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nulls WHERE id = 3 AND t IS NULL AND n IS NULL")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nulls WHERE id = 4 AND t IS NULL AND n IS NULL")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nulls WHERE id = 5 AND t = 'null' AND n IS NULL")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_nulls WHERE id = 6 AND t = 'nA'")), qint64(1));
}

void TestLoader::rowsATriggerDropsAreReportedAsNotWritten()
{
    // No ON CONFLICT (the default, error): a row the server did not write was dropped, by this
    // table's trigger, not skipped as a duplicate.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    const CsvLoader::Summary s = loadIntoPg15(
        QStringLiteral("r_trigger"),
        QStringLiteral("DROP TABLE IF EXISTS r_trigger; CREATE TABLE r_trigger (id int PRIMARY KEY, n int); "
                       "CREATE OR REPLACE FUNCTION r_trigger_drop() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$BEGIN IF NEW.n < 0 THEN RETURN NULL; END IF; RETURN NEW; END$$; "
                       "CREATE TRIGGER r_trigger_drop BEFORE INSERT ON r_trigger FOR EACH ROW EXECUTE FUNCTION r_trigger_drop();"),
        "id,n\n1,1\n2,-1\n3,3\n");
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(2));
    QCOMPARE(s.rowsNotWritten, qint64(1));
    QCOMPARE(s.rowsDuplicate, qint64(0));
    QVERIFY(s.accountedFor());
    QVERIFY2(s.message.contains(QLatin1String("1 were not written")), qPrintable(s.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_trigger")), qint64(2));
}

void TestLoader::domainsAndEnumsConvertAsTheirBaseType()
{
    // An enum's labels and a domain over text are text: a quoted NA is data and quoted spaces
    // stay. A domain over varchar(3) keeps its limit: a longer value rejects its row, not the load.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    const CsvLoader::Summary s = loadIntoPg15(
        QStringLiteral("r_domains"),
        QStringLiteral("DROP TABLE IF EXISTS r_domains; DROP DOMAIN IF EXISTS r_code2; DROP DOMAIN IF EXISTS r_code; "
                       "DROP DOMAIN IF EXISTS r_label; DROP TYPE IF EXISTS r_answer; "
                       "CREATE TYPE r_answer AS ENUM ('YES', 'NO', 'NA', ' spaced '); CREATE DOMAIN r_label AS text; "
                       "CREATE DOMAIN r_code AS varchar(3); CREATE DOMAIN r_code2 AS r_code; "
                       "CREATE TABLE r_domains (id int, a r_answer, l r_label, c r_code2);"),
        "id,a,l,c\n1,\"NA\",\"NA\",\"NA\"\n2,NA,\"  padded  \",\"  x\"\n3,\" spaced \",x,abcd\n");
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(s.rowsLoaded, qint64(2));
    QCOMPARE(s.rowsRejected, qint64(1)); // line 4: "abcd" is longer than 3 characters
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_domains WHERE id = 1 AND a = 'NA' AND l = 'NA' AND c = 'NA'")), qint64(1));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_domains WHERE id = 2 AND a IS NULL AND l = '  padded  ' AND c = '  x'")),
             qint64(1));
}

void TestLoader::dryRunCountsUnderEveryKeyAsTheRunWould()
{
    // A second unique key, and one whose NULLs meet (NULLS NOT DISTINCT): the dry run counts the
    // rows a skip run skips, and with conflicts as errors says that the load would stop.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_keys; CREATE TABLE r_keys (id serial PRIMARY KEY, email text UNIQUE, v text); "
                            "INSERT INTO r_keys (email, v) VALUES ('a@x', 'old'), ('b@x', 'old'); "
                            "DROP TABLE IF EXISTS r_nnd; CREATE TABLE r_nnd (a int, b text, v text, UNIQUE NULLS NOT DISTINCT (a, b)); "
                            "INSERT INTO r_nnd VALUES (1, NULL, 'old');"));
    for (const auto &[table, content, existing, repeated] :
         {std::make_tuple(QStringLiteral("r_keys"), QByteArray("email,v\na@x,new\nb@x,new\nc@x,new\n"), 2, 0),
          std::make_tuple(QStringLiteral("r_nnd"), QByteArray("a,b,v\n1,,x\n1,,y\n2,,p\n2,,q\n"), 2, 1)}) {
        CsvLoader::Options o;
        o.table = table;
        o.csvPath = writeCsv(table + QStringLiteral(".csv"), content);
        o.dryRun = true;
        const CsvLoader::Summary dry = load(pg, o);
        QVERIFY2(dry.outcome == CsvLoader::Outcome::Completed, qPrintable(dry.message));
        QCOMPARE(dry.rowsExisting, qint64(existing));
        QCOMPARE(dry.rowsRepeated, qint64(repeated));
        QVERIFY2(dry.message.contains(QLatin1String("with --on-conflict error the load would stop at the first and write nothing")),
                 qPrintable(dry.message));
        o.dryRun = false;
        o.conflict = CsvLoader::Conflict::Skip;
        const CsvLoader::Summary real = load(pg, o);
        QVERIFY2(real.outcome == CsvLoader::Outcome::Completed, qPrintable(real.message));
        QCOMPARE(real.rowsDuplicate, dry.rowsExisting + dry.rowsRepeated);
    }
    // Update through the primary key: a row whose email is another row's stops the load, and the
    // message says why update cannot take it (it advised update before).
    CsvLoader::Options o;
    o.table = QStringLiteral("r_keys");
    o.csvPath = writeCsv(QStringLiteral("r_keys_update.csv"), "id,email,v\n1,b@x,moved\n");
    o.conflict = CsvLoader::Conflict::Update;
    const CsvLoader::Summary update = load(pg, o);
    QVERIFY2(update.outcome == CsvLoader::Outcome::ServerError, qPrintable(update.message));
    QVERIFY2(update.message.contains(QLatin1String("It is not the key the update matches on (id): fix the row or load it with "
                                                   "--on-conflict skip.")),
             qPrintable(update.message));
    // A dry run says so first.
    o.dryRun = true;
    const CsvLoader::Summary dry = load(pg, o);
    QVERIFY2(dry.outcome == CsvLoader::Outcome::Completed, qPrintable(dry.message));
    QCOMPARE(dry.rowsMeetingOtherKey, qint64(1));
    QVERIFY2(dry.message.contains(QLatin1String("meet a row of public.r_keys through another unique key than the one the update matches on")), qPrintable(dry.message));

    // Update mode, a key both already in the table and repeated in the file: the dry run counts
    // as the run does (each key written once, the last line winning; the earlier line skipped).
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_upd; CREATE TABLE r_upd (id int PRIMARY KEY, v text); INSERT INTO r_upd VALUES (3, 'old');"));
    CsvLoader::Options u;
    u.table = QStringLiteral("r_upd");
    u.csvPath = writeCsv(QStringLiteral("r_upd.csv"), "id,v\n3,a\n3,b\n4,c\n4,d\n5,e\n");
    u.conflict = CsvLoader::Conflict::Update;
    u.dryRun = true;
    const CsvLoader::Summary plan = load(pg, u);
    QVERIFY2(plan.outcome == CsvLoader::Outcome::Completed, qPrintable(plan.message));
    QVERIFY2(plan.message.contains(QLatin1String("3 rows would be loaded into public.r_upd, 1 of them updating rows already there, and 2 "
                                                 "skipped because a later line has the same key (the last line wins)")),
             qPrintable(plan.message));
    u.dryRun = false;
    const CsvLoader::Summary ran = load(pg, u);
    QVERIFY2(ran.outcome == CsvLoader::Outcome::Completed, qPrintable(ran.message));
    QCOMPARE(ran.rowsLoaded, qint64(3));
    QCOMPARE(ran.rowsDuplicate, qint64(2));
    QVERIFY(ran.accountedFor());
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_upd WHERE (id, v) IN ((3, 'b'), (4, 'd'), (5, 'e'))")), qint64(3));
}

void TestLoader::formatForNoDateColumnIsAnInputError()
{
    // --format tsx=… (a typo) or on a number column: said before anything is written, instead
    // of leaving the dates to the detection.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_fmt; CREATE TABLE r_fmt (ts timestamptz, n int)"));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_fmt");
    o.csvPath = writeCsv(QStringLiteral("fmt.csv"), "ts,n\n01.02.2026 10:00,1\n");
    o.formatsMustApply = true;
    for (const QString &column : {QStringLiteral("tsx"), QStringLiteral("n")}) {
        o.formats = {{column, QStringLiteral("dd.MM.yyyy HH:mm")}};
        const CsvLoader::Summary s = load(pg, o);
        QVERIFY2(s.outcome == CsvLoader::Outcome::InputError, qPrintable(s.message));
        QVERIFY2(s.message.contains(QStringLiteral("--format %1=dd.MM.yyyy HH:mm: no date/time column loaded from ").arg(column)), qPrintable(s.message));
        QVERIFY2(s.message.endsWith(QLatin1String("(the date/time columns: ts)")), qPrintable(s.message));
    }
    o.formats = {{QStringLiteral("ts"), QStringLiteral("dd.MM.yyyy HH:mm")}};
    const CsvLoader::Summary s = load(pg, o);
    QVERIFY2(s.outcome == CsvLoader::Outcome::Completed, qPrintable(s.message));
    QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_fmt WHERE ts = '2026-02-01 10:00+00'")), qint64(1));
}

void TestLoader::checkRefusalNamesTheLineInEveryMode()
{
    // Through the staging table (skip, update, INSERT batches) the server names no line: the
    // staged rows are searched for the first that breaks the check.
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, QStringLiteral("DROP TABLE IF EXISTS r_check; CREATE TABLE r_check (id int PRIMARY KEY, n int CONSTRAINT r_check_small CHECK (n < 100))"));
    CsvLoader::Options o;
    o.table = QStringLiteral("r_check");
    o.csvPath = writeCsv(QStringLiteral("check.csv"), "id,n\n1,5\n2,\n3,500\n4,600\n");
    for (const CsvLoader::Conflict mode : {CsvLoader::Conflict::Skip, CsvLoader::Conflict::Update}) {
        o.conflict = mode;
        const CsvLoader::Summary s = load(pg, o);
        QVERIFY2(s.outcome == CsvLoader::Outcome::ServerError, qPrintable(s.message));
        QVERIFY2(s.message.endsWith(QLatin1String("check.csv, line 4: the row breaks CHECK constraint r_check_small of public.r_check "
                                                  "((n < 100)). Nothing was written to public.r_check.")),
                 qPrintable(s.message));
        QCOMPARE(count(pg, QStringLiteral("SELECT count(*) FROM r_check")), qint64(0));
    }
}

QTEST_GUILESS_MAIN(TestLoader)
#include "tst_loader.moc"
