// The backfill engine against the TimescaleDB sandbox: compressed chunks, conflicts,
// new chunks, the policy in every outcome, and recovery after a crash at each step.
#include "BackfillEngine.h"
#include "Database.h"
#include "ServerInspector.h"
#include "EngineSandboxCase.h"
#include "TestServers.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

using namespace bfs;

class TestEngineSandbox : public EngineSandboxCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void directInsertIntoCompressedChunksWithUniqueKey();
    void hypertableWithoutUniqueKey();
    void rowsAreCompressedAsTheyAreInserted();
    void duplicatesAreSkippedAndCounted();
    void duplicatesAreUpdated();
    void forcedDecompressionRecompressesTheChunk();
    void rowsBeforeTheFirstChunkCreateCompressedChunks();
    void policyIsPausedDuringTheRunAndRestoredAfter();
    void errorMidwayRestoresPolicyAndReRunCompletes();
    void cancelRestoresPolicyAndCompression();
    void crashAtEachJournalStepIsRecovered_data();
    void crashAtEachJournalStepIsRecovered();
    void connectionDroppedIsRetried_data();
    void connectionDroppedIsRetried();
    void jsonSummaryReportsChunksAndPolicy();
    void continuousAggregatesAreRefreshedOverTheBackfilledRange();
    void serverLostForGoodIsReportedAndRecoveredUnderAnotherAddress();
    void unreadableJournalStopsRecoveryAndBackfills();
    void aCopyOfTheServerLeavesItsJournalAlone();
};

void TestEngineSandbox::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestEngineSandbox::directInsertIntoCompressedChunksWithUniqueKey()
{
    createTable(QStringLiteral("et_direct"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("direct.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3)});
    o.load.table = QStringLiteral("et_direct");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(2));
    QVERIFY(r.load.accountedFor());
    QCOMPARE(r.plan.count(BackfillPlan::Action::DirectInsert), 2);
    QCOMPARE(r.chunks.size(), 2);
    QVERIFY(r.chunks.at(0).compressedBefore);
    QVERIFY(r.chunks.at(0).compressedAfter);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_direct WHERE device_id = 3")), qint64(2));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_direct")), qint64(290));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_direct")), qint64(0));
    QVERIFY(policyScheduled(QStringLiteral("et_direct")));
    QVERIFY(r.policyPaused);
    QVERIFY(r.policyRestored);
    QVERIFY(r.journalPath.isEmpty()); // finished journals are removed
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("journals"))).entryList(QDir::Files).isEmpty());
}

void TestEngineSandbox::hypertableWithoutUniqueKey()
{
    createTable(QStringLiteral("et_nokey"), false);
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("nokey.csv"), {row("2026-08-20 00:00:00+00", 1), row("2026-08-22 12:00:00+00", 9)});
    o.load.table = QStringLiteral("et_nokey");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(2)); // no key: an exact copy of an existing row is inserted too
    QVERIFY(r.plan.conflictReason.contains(QLatin1String("no primary key or unique constraint")));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_nokey")), qint64(290));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_nokey")), qint64(0));
}

void TestEngineSandbox::rowsAreCompressedAsTheyAreInserted()
{
    // TimescaleDB 2.23+ compresses inserted rows directly when the hypertable has no unique key
    // and no trigger: the chunks stay fully compressed, in batches of their own (status bit 2,
    // "unordered"), where compress_chunk would have rewritten them in order.
    const auto statementsLike = [](const BackfillEngine::Result &r, const QString &start) {
        return std::count_if(r.statements.cbegin(), r.statements.cend(), [&](const QString &s) { return s.startsWith(start); });
    };
    const auto unorderedChunks = [this](const QString &table) {
        return scalar(QStringLiteral("SELECT count(*) FROM show_chunks($1::regclass) c WHERE _timescaledb_functions.chunk_status(c) & 2 = 2"),
                      {table});
    };
    // 1,200 rows into each of two compressed chunks: devices 7 … 31 every 30 minutes.
    QList<QByteArray> rows;
    for (int day = 20; day <= 21; ++day)
        for (int slot = 0; slot < 48; ++slot)
            for (int device = 7; device <= 31; ++device)
                rows << QStringLiteral("2026-08-%1 %2:%3:00+00,%4,21.5,50,ok")
                            .arg(day)
                            .arg(slot / 2, 2, 10, QLatin1Char('0'))
                            .arg(slot % 2 ? QStringLiteral("30") : QStringLiteral("00"))
                            .arg(device)
                            .toUtf8();
    createTable(QStringLiteral("et_direct"), false);
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("direct.csv"), rows);
    o.load.table = QStringLiteral("et_direct");
    BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.plan.chunks.size(), 2);
    for (const auto &step : r.plan.chunks)
        QVERIFY2(step.directCompress, qPrintable(step.reason));
    QCOMPARE(statementsLike(r, QStringLiteral("SET LOCAL timescaledb.enable_direct_compress_insert = on")), 2);
    QCOMPARE(r.load.rowsLoaded, qint64(2400)); // counted although TimescaleDB's RETURNING stays empty here
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_direct WHERE device_id >= 7")), qint64(2400));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_direct")), qint64(288 + 2400));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_direct")), qint64(0));
    QCOMPARE(unorderedChunks(QStringLiteral("et_direct")), qint64(2)); // the rows went in as compressed batches
    for (const auto &c : r.chunks)
        QVERIFY2(c.compressedBefore && c.compressedAfter, qPrintable(c.name));

    // A trigger turns TimescaleDB's direct compression off: the chunks are compressed again instead.
    createTable(QStringLiteral("et_direct_trigger"), false);
    const QString failure = TestServers::sandboxScript(
        QStringLiteral("CREATE OR REPLACE FUNCTION et_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; "
                       "CREATE TRIGGER et_keep BEFORE INSERT ON et_direct_trigger FOR EACH ROW EXECUTE FUNCTION et_keep()"));
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    o.load.table = QStringLiteral("et_direct_trigger");
    r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    for (const auto &step : r.plan.chunks)
        QVERIFY2(!step.directCompress, qPrintable(step.reason));
    QCOMPARE(statementsLike(r, QStringLiteral("SET LOCAL timescaledb.enable_direct_compress_insert")), 0);
    QCOMPARE(statementsLike(r, QStringLiteral("SELECT compress_chunk($1::regclass, true)")), 2);
    QCOMPARE(r.load.rowsLoaded, qint64(2400));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_direct_trigger")), qint64(0));
    QCOMPARE(unorderedChunks(QStringLiteral("et_direct_trigger")), qint64(0));
}

void TestEngineSandbox::duplicatesAreSkippedAndCounted()
{
    createTable(QStringLiteral("et_skip"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("skip.csv"), {row("2026-08-20 00:00:00+00", 1, 99), row("2026-08-20 00:30:00+00", 2, 99),
                                                      row("2026-08-20 00:30:00+00", 4, 99)});
    o.load.table = QStringLiteral("et_skip");
    o.load.conflict = CsvLoader::Conflict::Skip;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsRead, qint64(3));
    QCOMPARE(r.load.rowsLoaded, qint64(1));
    QCOMPARE(r.load.rowsDuplicate, qint64(2));
    QCOMPARE(r.plan.summary.existingRows, qint64(-1)); // counted by a dry run only; a run counts what it skips
    QVERIFY(r.load.accountedFor());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_skip WHERE temperature = 99")), qint64(1));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_skip")), qint64(0));
}

void TestEngineSandbox::duplicatesAreUpdated()
{
    createTable(QStringLiteral("et_update"));
    BackfillEngine::Options o;
    // (06:00 exists and is repeated: each key is written once, the last line winning)
    o.load.csvPath = csv(QStringLiteral("update.csv"), {row("2026-08-21 06:00:00+00", 1, 76), row("2026-08-21 06:00:00+00", 1, 77),
                                                        row("2026-08-21 06:15:00+00", 1, 78)});
    o.load.table = QStringLiteral("et_update");
    o.load.conflict = CsvLoader::Conflict::Update;
    // A dry run counts as the run does.
    o.planOnly = true;
    const BackfillEngine::Result dry = run(o);
    QVERIFY2(dry.outcome == CsvLoader::Outcome::Completed, qPrintable(dry.message));
    QVERIFY2(dry.message.contains(QLatin1String("2 rows would be loaded into public.et_update, 1 of them updating rows already there, and "
                                                "1 skipped because a later line has the same key")),
             qPrintable(dry.message));
    o.planOnly = false;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(2)); // one update, one insert
    QCOMPARE(r.load.rowsDuplicate, qint64(1));
    QVERIFY(r.load.accountedFor());
    QCOMPARE(dry.load.rowsToLoad, r.load.rowsLoaded); // (--json's rows_to_load and rows_to_skip)
    QCOMPARE(dry.load.rowsToSkip, r.load.rowsDuplicate);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_update WHERE time = '2026-08-21 06:00+00' AND device_id = 1 "
                                   "AND temperature = 77")),
             qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_update")), qint64(289));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_update")), qint64(0));
}

void TestEngineSandbox::forcedDecompressionRecompressesTheChunk()
{
    createTable(QStringLiteral("et_decomp"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("decomp.csv"), {row("2026-08-22 01:15:00+00", 5)});
    o.load.table = QStringLiteral("et_decomp");
    o.overrides.forceDecompress = true;
    QStringList statements;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.plan.count(BackfillPlan::Action::DecompressInsertRecompress), 1);
    // Decompressed, loaded and compressed again in one transaction.
    const QString log = r.statements.join(QLatin1Char('\n'));
    const qsizetype decompress = log.indexOf(QLatin1String("SELECT decompress_chunk("));
    const qsizetype compress = log.indexOf(QLatin1String("SELECT compress_chunk("), decompress);
    QVERIFY2(decompress >= 0 && compress > decompress, qPrintable(log));
    QVERIFY2(log.indexOf(QLatin1String("COMMIT"), decompress) > compress, qPrintable(log));
    QVERIFY(r.chunks.first().compressedAfter);
    QCOMPARE(notFullyCompressed(QStringLiteral("et_decomp")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_decomp")), qint64(289));
}

void TestEngineSandbox::rowsBeforeTheFirstChunkCreateCompressedChunks()
{
    createTable(QStringLiteral("et_before"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("before.csv"), {row("2026-08-15 12:00:00+00", 1), row("2026-08-16 12:00:00+00", 1),
                                                        row("2026-08-20 12:00:00+00", 7)});
    o.load.table = QStringLiteral("et_before");
    // Where the new chunks go, for the plan's timeline: the two daily chunks TimescaleDB makes for them.
    const auto day = [](int d) { return QDateTime(QDate(2026, 8, d), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch(); };
    o.planOnly = true;
    QCOMPARE(run(o).plan.summary.outsideSpans, (QList<QPair<qint64, qint64>>{{day(15), day(16)}, {day(16), day(17)}}));
    o.planOnly = false;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.plan.newChunkRows, qint64(2));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_before' "
                                   "AND range_start IN ('2026-08-15+00', '2026-08-16+00') AND range_end - range_start = interval '1 day'")),
             qint64(2));
    QCOMPARE(r.newChunkRows, qint64(2));
    QCOMPARE(r.load.rowsLoaded, qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_before'")), qint64(5));
    // The new chunks are older than the policy's 30 days: compressed as run_job would.
    QCOMPARE(notFullyCompressed(QStringLiteral("et_before")), qint64(0));
}

void TestEngineSandbox::policyIsPausedDuringTheRunAndRestoredAfter()
{
    createTable(QStringLiteral("et_policy"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("policy.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3)});
    o.load.table = QStringLiteral("et_policy");
    Database db(TestServers::sandbox());
    DbError e;
    QVERIFY(db.open(&e));
    int checks = 0;
    bool pausedDuringMove = true;
    const BackfillEngine::Result r = run(o, nullptr, [&](const BackfillEngine::Progress &p) {
        if (p.phase != QLatin1String("move"))
            return;
        // The sandbox serves one connection at a time: ask on the engine's own connection.
        QueryResult q;
        DbError qe;
        db.exec(QStringLiteral("SELECT scheduled FROM timescaledb_information.jobs WHERE hypertable_name = 'et_policy' "
                               "AND proc_name = 'policy_compression'"),
                &q, &qe);
        ++checks;
        pausedDuringMove = pausedDuringMove && q.rowCount() == 1 && !q.boolValue(0, 0);
    }, &db);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(checks, 2);
    QVERIFY(pausedDuringMove);
    db.close();
    QVERIFY(policyScheduled(QStringLiteral("et_policy")));
}

void TestEngineSandbox::errorMidwayRestoresPolicyAndReRunCompletes()
{
    createTable(QStringLiteral("et_error"));
    // Day 20 is new data; day 21 holds a row that already exists: conflict mode "error" stops there.
    const QString file = csv(QStringLiteral("error.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 00:00:00+00", 1, 55),
                                                           row("2026-08-21 10:15:00+00", 3), row("2026-08-22 10:15:00+00", 3)});
    BackfillEngine::Options o;
    o.load.csvPath = file;
    o.load.table = QStringLiteral("et_error");
    const BackfillEngine::Result r = run(o);
    QCOMPARE(r.outcome, CsvLoader::Outcome::ServerError);
    QCOMPARE(r.error.sqlState, QStringLiteral("23505"));
    // Line 3 of the file holds device 1's existing row; the key is named, not the chunk's constraint.
    QVERIFY2(r.message.contains(QLatin1String("error.csv, line 3: the row's key (time, device_id) already exists in public.et_error")),
             qPrintable(r.message));
    QVERIFY2(r.message.contains(QLatin1String("Use --on-conflict skip or update")), qPrintable(r.message));
    QVERIFY2(r.message.contains(QLatin1String("run the same backfill again")), qPrintable(r.message));
    QVERIFY(r.message.contains(QLatin1String("compression policy was resumed")));
    QVERIFY(policyScheduled(QStringLiteral("et_error")));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_error")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_error WHERE device_id = 3")), qint64(1)); // day 20 committed
    // Every row is accounted for: day 20 loaded, the three of days 21 and 22 left for a re-run.
    QCOMPARE(r.load.rowsLoaded, qint64(1));
    QCOMPARE(r.load.rowsNotLoaded, qint64(3));
    QVERIFY(r.load.accountedFor());

    // Re-run with duplicates skipped: the completed range is skipped, the rest is loaded, nothing twice.
    o.load.conflict = CsvLoader::Conflict::Skip;
    // (a dry run first: its plan says which staged rows the completed range holds)
    o.planOnly = true;
    const BackfillEngine::Result plan = run(o);
    QVERIFY2(plan.outcome == CsvLoader::Outcome::Completed, qPrintable(plan.message));
    QCOMPARE(plan.plan.summary.rowsInCompletedRanges, qint64(1));
    QVERIFY2(plan.plan.toText().contains(QLatin1String("4 staged rows (1 of them in chunk ranges an interrupted run completed: skipped); "
                                                       "2 existing chunks touched")),
             qPrintable(plan.plan.toText()));
    o.planOnly = false;
    const BackfillEngine::Result again = run(o);
    QVERIFY2(again.outcome == CsvLoader::Outcome::Completed, qPrintable(again.message));
    QVERIFY2(again.message.contains(QLatin1String("(1 of them before an interruption)")), qPrintable(again.message));
    QCOMPARE(again.load.rowsLoaded, qint64(3)); // day 20 before, days 21 and 22 now
    QCOMPARE(again.rowsLoadedEarlier, qint64(1));
    QCOMPARE(again.load.rowsDuplicate, qint64(1)); // device 1's existing row
    QVERIFY(again.load.accountedFor());
    // The dry run said so: rows to load and to skip, besides those of the completed range.
    QCOMPARE(plan.load.rowsToLoad, again.load.rowsLoaded - again.rowsLoadedEarlier);
    QCOMPARE(plan.load.rowsToSkip, again.load.rowsDuplicate);
    QCOMPARE(plan.load.rowsToLoad + plan.load.rowsToSkip + plan.plan.summary.rowsInCompletedRanges + plan.load.rowsRejected, plan.load.rowsRead);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_error WHERE device_id = 3")), qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_error WHERE temperature = 55")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_error")), qint64(291));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM (SELECT time, device_id FROM et_error GROUP BY 1, 2 HAVING count(*) > 1) d")), qint64(0));
}

void TestEngineSandbox::cancelRestoresPolicyAndCompression()
{
    createTable(QStringLiteral("et_cancel"));
    BackfillEngine::Options o;
    // (and a row for a new chunk: rows outside every chunk go last, so no new chunk is made)
    o.load.csvPath = csv(QStringLiteral("cancel.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3),
                                                        row("2026-08-22 10:15:00+00", 3), row("2026-08-10 10:15:00+00", 3)});
    o.load.table = QStringLiteral("et_cancel");
    o.overrides.forceDecompress = true;
    std::atomic<bool> cancel{false};
    const BackfillEngine::Result r = run(o, &cancel, [&](const BackfillEngine::Progress &p) {
        if (p.phase == QLatin1String("move") && p.chunk == 2)
            cancel = true; // after the first chunk committed
    });
    QCOMPARE(r.outcome, CsvLoader::Outcome::Cancelled);
    QVERIFY2(r.message.startsWith(QLatin1String("Cancelled. 1 rows in 1 completed chunk range(s) were committed")), qPrintable(r.message));
    QVERIFY(policyScheduled(QStringLiteral("et_cancel")));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_cancel")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_cancel WHERE device_id = 3")), qint64(1));
    QCOMPARE(r.load.rowsNotLoaded, qint64(3));
    QVERIFY(r.load.accountedFor());
    QVERIFY2(!r.load.notes.join(QLatin1Char(' ')).contains(QLatin1String("new chunks")), qPrintable(r.load.notes.join(QLatin1Char(' '))));

    // A cancel asked while a range's statements run rolls that range back, though the server
    // finished them: here only the flag is set (no cancel request reaches the server), as when a
    // server finishes the statements before it acts on the request.
    createTable(QStringLiteral("et_cancel_flight"));
    o.load.table = QStringLiteral("et_cancel_flight");
    o.overrides.forceDecompress = false;
    cancel = false;
    const BackfillEngine::Result inFlight = run(o, &cancel, BackfillEngine::ProgressFn(), nullptr, [&](const QString &sql) {
        if (sql.startsWith(QLatin1String("EXECUTE")) && sql.contains(QLatin1String("('2026-08-21"))) // (range 1 ends there)
            cancel = true; // range 2's insert is on its way
    });
    QCOMPARE(inFlight.outcome, CsvLoader::Outcome::Cancelled);
    QVERIFY2(inFlight.message.startsWith(QLatin1String("Cancelled. 1 rows in 1 completed chunk range(s) were committed")),
             qPrintable(inFlight.message));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_cancel_flight WHERE device_id = 3")), qint64(1));
    QCOMPARE(inFlight.load.rowsLoaded, qint64(1));
    QCOMPARE(inFlight.load.rowsNotLoaded, qint64(3));
    QVERIFY(policyScheduled(QStringLiteral("et_cancel_flight")));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_cancel_flight")), qint64(0));
}

void TestEngineSandbox::crashAtEachJournalStepIsRecovered_data()
{
    QTest::addColumn<QString>("step");
    QTest::addColumn<bool>("decompress");
    QTest::addColumn<bool>("uniqueKey"); // without one, a range loaded twice would show as duplicates
    QTest::newRow("after pausing the policy") << "policy_paused" << false << true;
    QTest::newRow("before a chunk") << "chunk_begin" << true << true;
    QTest::newRow("before a COMMIT") << "commit" << false << false;
    QTest::newRow("after a COMMIT, before its entry") << "after_commit" << false << false;
    QTest::newRow("after a COMMIT, decompressed") << "after_commit" << true << false;
    // The first chunk's COMMIT goes out with the second chunk's statements:
    QTest::newRow("before the second chunk, the first uncommitted") << "chunk_begin#2" << false << false;
    QTest::newRow("before the second COMMIT, the first committed") << "commit#2" << false << false;
    QTest::newRow("after a chunk, decompressed") << "chunk_done" << true << true;
    QTest::newRow("after a direct chunk") << "chunk_done" << false << false;
    QTest::newRow("before new chunks") << "new_rows_begin" << false << false;
    QTest::newRow("before compressing new chunks") << "compress_new" << true << true;
    QTest::newRow("before compressing new chunks, no unique key") << "compress_new" << false << false;
    QTest::newRow("before resuming the policy") << "policy_resume" << true << false;
}

void TestEngineSandbox::crashAtEachJournalStepIsRecovered()
{
    QFETCH(QString, step);
    QFETCH(bool, decompress);
    QFETCH(bool, uniqueKey);
    const QString table = QStringLiteral("et_crash");
    createTable(table, uniqueKey);
    const QString file = csv(QStringLiteral("crash.csv"), {row("2026-08-18 10:15:00+00", 3), row("2026-08-20 10:15:00+00", 3),
                                                           row("2026-08-21 10:15:00+00", 3), row("2026-08-22 10:15:00+00", 3)});
    QStringList args = cliBase(table, file);
    if (decompress)
        args << QStringLiteral("--decompress");
    const auto crashed = TestServers::runCli(args, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=") + step});
    QCOMPARE(crashed.exitCode, 137); // died at the step, like kill -9
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QVERIFY2(recovered.out.contains("recovering the interrupted backfill into public.et_crash"), recovered.out.constData());
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));

    // Re-running the same backfill completes the data: exact rows, no duplicate keys. Without a
    // unique key nothing could skip a row loaded twice: the journal alone must prevent it.
    if (uniqueKey)
        args << QStringLiteral("--on-conflict") << QStringLiteral("skip");
    const auto rerun = TestServers::runCli(args, QStringLiteral("sandbox"));
    QVERIFY2(rerun.exitCode == 0, rerun.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_crash WHERE device_id = 3")), qint64(4));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_crash")), qint64(292));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM (SELECT time, device_id FROM et_crash GROUP BY 1, 2 HAVING count(*) > 1) d")), qint64(0));
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList(QDir::Files).isEmpty());
}

void TestEngineSandbox::connectionDroppedIsRetried_data()
{
    QTest::addColumn<QByteArray>("when"); // the statement in the SQL log that triggers the drop
    QTest::addColumn<bool>("retriedWholeRun");
    QTest::addColumn<QByteArray>("notReached"); // a statement the first attempt never got to
    // Uploading (the first statement runs before the file is staged): reconnect and start again.
    QTest::newRow("while uploading") << QByteArray("SELECT has_table_privilege(") << true << QByteArray("CREATE INDEX ON bfs_stage");
    // Moving rows: reconnect, finish the interrupted attempt (compression, policy), retry from the journal.
    QTest::newRow("while rows move") << QByteArray("EXECUTE ") << true << QByteArray();
    // A chunk's COMMIT travels with the next chunk's statements: its answer may be lost with them.
    QTest::newRow("while a COMMIT travels with the next chunk") << QByteArray("COMMIT\nBEGIN\n") << true << QByteArray();
    // Putting things back (19 new chunks compressed as the policy would, policy resumed): reconnect, carry on.
    QTest::newRow("while putting things back") << QByteArray("SELECT format('%I.%I', c.chunk_schema") << false << QByteArray();
}

void TestEngineSandbox::connectionDroppedIsRetried()
{
    // The sandbox drops the client's connection (SIGUSR2), as a network failure would.
    QFETCH(QByteArray, when);
    QFETCH(bool, retriedWholeRun);
    QFETCH(QByteArray, notReached);
    const QString table = QStringLiteral("et_drop");
    createTable(table, false, 20);
    QList<QByteArray> rows;
    for (int minute = 0; minute < 39 * 1440; minute += 15) // 2026-08-01 … 09-08: 19 new days, 20 compressed
        for (int device = 3; device <= 6; ++device)
            rows << QDateTime(QDate(2026, 8, 1), QTime(0, 0), Qt::UTC).addSecs(minute * 60).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss+00")).toUtf8()
                    + ',' + QByteArray::number(device) + ",21.5,50,ok";
    const QString file = csv(QStringLiteral("drop.csv"), rows);
    QFile pidFile(TestServers::fixtureDir() + QStringLiteral("/sandbox/pid"));
    QVERIFY(pidFile.open(QIODevice::ReadOnly));
    const qint64 sandboxPid = pidFile.readAll().trimmed().toLongLong();
    QVERIFY(sandboxPid > 0);

    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PGPASSWORD"), QStringLiteral("sandbox"));
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(TestServers::binary(QStringLiteral("backfill-studio-cli")), cliBase(table, file) << QStringLiteral("--verbose"));
    QVERIFY(p.waitForStarted());
    QByteArray err;
    QElapsedTimer t;
    t.start();
    while (!err.contains(when) && p.state() == QProcess::Running && t.elapsed() < 120000) {
        p.waitForReadyRead(100);
        err += p.readAllStandardError();
    }
    QVERIFY2(err.contains(when), err.right(2000).constData());
    QCOMPARE(::kill(pid_t(sandboxPid), SIGUSR2), 0);
    QVERIFY(p.waitForFinished(180000));
    err += p.readAllStandardError();
    const QByteArray out = p.readAllStandardOutput();
    QVERIFY2(p.exitCode() == 0, (out + err.right(3000)).constData());
    QVERIFY2(err.contains("-- connection lost"), err.right(3000).constData());
    QVERIFY2(err.contains("-- connection lost (") == retriedWholeRun, err.right(3000).constData());
    if (!notReached.isEmpty()) {
        const QByteArray firstAttempt = err.left(err.indexOf("-- connection lost ("));
        QVERIFY2(!firstAttempt.contains(notReached), firstAttempt.right(1500).constData());
    }
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_drop WHERE device_id >= 3")), qint64(rows.size()));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM (SELECT time, device_id FROM et_drop GROUP BY 1, 2 HAVING count(*) > 1) d")), qint64(0));
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList(QDir::Files).isEmpty());
}

void TestEngineSandbox::jsonSummaryReportsChunksAndPolicy()
{
    createTable(QStringLiteral("et_json"));
    const QString file = csv(QStringLiteral("json.csv"), {row("2026-08-21 10:15:00+00", 3), row("bad time", 3)});
    const auto r = TestServers::runCli(cliBase(QStringLiteral("et_json"), file) << QStringLiteral("--json"), QStringLiteral("sandbox"));
    QCOMPARE(r.exitCode, 1); // one row rejected
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(QStringLiteral("timescaledb_version")).toString(), QStringLiteral("2.23.0-dev"));
    QCOMPARE(o.value(QStringLiteral("rows_read")).toInt(), 2);
    QCOMPARE(o.value(QStringLiteral("rows_loaded")).toInt(), 1);
    QCOMPARE(o.value(QStringLiteral("rows_rejected")).toInt(), 1);
    const QJsonObject chunk = o.value(QStringLiteral("chunks")).toArray().first().toObject();
    QCOMPARE(chunk.value(QStringLiteral("action")).toString(), QStringLiteral("direct insert"));
    QCOMPARE(chunk.value(QStringLiteral("compressed_before")).toBool(), true);
    QCOMPARE(chunk.value(QStringLiteral("compressed_after")).toBool(), true);
    // A chunk compressed again in place after a direct insert: TimescaleDB keeps the sizes it
    // measured before, so none are given.
    QVERIFY(chunk.value(QStringLiteral("bytes_before_compression")).isNull());
    QVERIFY(chunk.value(QStringLiteral("bytes_after_compression")).isNull());
    QCOMPARE(o.value(QStringLiteral("aggregates_refreshed")).toArray().size(), 0);
    QCOMPARE(o.value(QStringLiteral("new_chunks_compressed")).toArray().size(), 0);
    // Decompressed and compressed whole, a chunk is measured anew: its sizes are given.
    const QString again = csv(QStringLiteral("json-decompress.csv"), {row("2026-08-22 10:15:00+00", 3)});
    const auto d = TestServers::runCli(cliBase(QStringLiteral("et_json"), again) << QStringLiteral("--json") << QStringLiteral("--decompress"),
                                       QStringLiteral("sandbox"));
    QVERIFY2(d.exitCode == 0, d.err.constData());
    const QJsonObject whole = QJsonDocument::fromJson(d.out).object().value(QStringLiteral("chunks")).toArray().first().toObject();
    QCOMPARE(whole.value(QStringLiteral("action")).toString(), BackfillPlan::actionName(BackfillPlan::Action::DecompressInsertRecompress));
    const QStringList name{whole.value(QStringLiteral("name")).toString()};
    const qint64 before = scalar(QStringLiteral("SELECT before_compression_total_bytes FROM chunk_compression_stats('et_json') "
                                                "WHERE format('%I.%I', chunk_schema, chunk_name) = $1"), name);
    const qint64 after = scalar(QStringLiteral("SELECT after_compression_total_bytes FROM chunk_compression_stats('et_json') "
                                               "WHERE format('%I.%I', chunk_schema, chunk_name) = $1"), name);
    QVERIFY(before > 0 && after > 0);
    QCOMPARE(qint64(whole.value(QStringLiteral("bytes_before_compression")).toDouble()), before);
    QCOMPARE(qint64(whole.value(QStringLiteral("bytes_after_compression")).toDouble()), after);
    const QJsonObject policy = o.value(QStringLiteral("policy")).toObject();
    QVERIFY(policy.value(QStringLiteral("job_id")).toInt() >= 1000);
    QCOMPARE(policy.value(QStringLiteral("paused")).toBool(), true);
    QCOMPARE(policy.value(QStringLiteral("restored")).toBool(), true);
}

void TestEngineSandbox::continuousAggregatesAreRefreshedOverTheBackfilledRange()
{
    // (the aggregate over an aggregate first: DROP TABLE … CASCADE does not reach it)
    QVERIFY(TestServers::sandboxScript(QStringLiteral("DROP MATERIALIZED VIEW IF EXISTS et_cagg_rollup")).isEmpty());
    createTable(QStringLiteral("et_cagg"));
    {
        Database db(TestServers::sandbox());
        DbError e;
        QVERIFY(db.open(&e));
        QVERIFY2(db.execScript(QStringLiteral(
                                   "DROP MATERIALIZED VIEW IF EXISTS et_cagg_daily; "
                                   "CREATE MATERIALIZED VIEW et_cagg_daily WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                                   "SELECT time_bucket('1 day', time) AS day, device_id, count(*) AS n FROM et_cagg GROUP BY 1, 2 WITH NO DATA; "
                                   // Weeks start on Mondays: 2026-08-31 opens a week that ends in September.
                                   "DROP MATERIALIZED VIEW IF EXISTS et_cagg_weekly; "
                                   "CREATE MATERIALIZED VIEW et_cagg_weekly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                                   "SELECT time_bucket('7 days', time) AS week, device_id, count(*) AS n FROM et_cagg GROUP BY 1, 2 WITH NO DATA; "
                                   "DROP MATERIALIZED VIEW IF EXISTS et_cagg_quarterly; "
                                   "CREATE MATERIALIZED VIEW et_cagg_quarterly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                                   "SELECT time_bucket('3 months', time) AS quarter, device_id, count(*) AS n FROM et_cagg GROUP BY 1, 2 WITH NO DATA; "
                                   // An aggregate over an aggregate (2.9+): refreshed after the one below it.
                                   "CREATE MATERIALIZED VIEW et_cagg_rollup WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                                   "SELECT time_bucket('1 month', day) AS month, device_id, sum(n) AS n FROM et_cagg_daily GROUP BY 1, 2 WITH NO DATA;"),
                               &e),
                 qPrintable(e.toString()));
        // A procedure that commits inside: its own statement, outside a transaction block.
        for (const char *view : {"et_cagg_daily", "et_cagg_weekly", "et_cagg_quarterly", "et_cagg_rollup"})
            QVERIFY2(db.execScript(QStringLiteral("CALL refresh_continuous_aggregate('%1', '2026-01-01', '2027-01-01')").arg(QLatin1String(view)), &e),
                     qPrintable(e.toString()));
    }
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_cagg_daily WHERE device_id = 8")), qint64(0));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("cagg.csv"), {row("2026-08-21 10:15:00+00", 8), row("2026-08-21 11:15:00+00", 8),
                                                      row("2026-08-22 10:15:00+00", 8), row("2026-08-31 10:15:00+00", 8)});
    o.load.table = QStringLiteral("et_cagg");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    const QStringList views{QStringLiteral("public.et_cagg_daily"), QStringLiteral("public.et_cagg_quarterly"),
                            QStringLiteral("public.et_cagg_weekly"), QStringLiteral("public.et_cagg_rollup")};
    QCOMPARE(r.plan.continuousAggregates, views);
    QVERIFY(r.plan.caggReason.contains(QLatin1String("public.et_cagg_daily")));
    // The aggregates (materialized only: they show what was refreshed) see the backfilled rows
    // without anyone refreshing them by hand, whatever their buckets' width.
    for (const char *view : {"et_cagg_daily", "et_cagg_weekly", "et_cagg_quarterly", "et_cagg_rollup"})
        QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM %1 WHERE device_id = 8").arg(QLatin1String(view))), qint64(4));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_cagg_daily WHERE device_id = 8")), qint64(3));
    QCOMPARE(r.aggregatesRefreshed, views);
    QVERIFY2(BackfillEngine::afterRunLines(r).contains(QStringLiteral("Continuous aggregates refreshed over the backfilled range: "
                                                                      "public.et_cagg_daily, public.et_cagg_quarterly, "
                                                                      "public.et_cagg_weekly, public.et_cagg_rollup.")),
             qPrintable(BackfillEngine::afterRunLines(r).join(QLatin1Char('\n'))));

    // A run stopped by an error in its second range: the first range's row stays committed, and
    // the aggregates show it.
    o.load.csvPath = csv(QStringLiteral("cagg-error.csv"), {row("2026-08-20 10:15:00+00", 9), row("2026-08-21 10:00:00+00", 1)});
    o.load.conflict = CsvLoader::Conflict::Error;
    const BackfillEngine::Result stopped = run(o);
    QVERIFY2(stopped.outcome == CsvLoader::Outcome::ServerError, qPrintable(stopped.message));
    QCOMPARE(stopped.aggregatesRefreshed, views);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_cagg WHERE device_id = 9")), qint64(1));
    for (const char *view : {"et_cagg_daily", "et_cagg_weekly", "et_cagg_quarterly", "et_cagg_rollup"})
        QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM %1 WHERE device_id = 9").arg(QLatin1String(view))), qint64(1));
    QVERIFY(policyScheduled(QStringLiteral("et_cagg")));
    ServerInspector::Options io;
    io.table = QStringLiteral("et_cagg");
    const ServerInspection in = ServerInspector::inspect(TestServers::sandbox(), io);
    QCOMPARE(in.hypertables.value(0).continuousAggregates, views);
}

void TestEngineSandbox::serverLostForGoodIsReportedAndRecoveredUnderAnotherAddress()
{
    // The CLI reaches the server through a proxy that dies mid-run: reconnecting fails, so the
    // first attempt's account stands (rows committed, policy still paused, run recover).
    // recover, given the server's own address, finds that run's journal: the same server.
    const QString table = QStringLiteral("et_lost");
    createTable(table, false, 20);
    QList<QByteArray> rows;
    for (int minute = 0; minute < 20 * 1440; minute += 15)
        for (int device = 3; device <= 6; ++device)
            rows << QDateTime(QDate(2026, 8, 20), QTime(0, 0), Qt::UTC).addSecs(minute * 60).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss+00")).toUtf8()
                    + ',' + QByteArray::number(device) + ",21.5,50,ok";
    const QString file = csv(QStringLiteral("lost.csv"), rows);
    const ConnectionProfile direct = TestServers::sandbox();
    QProcess proxy;
    // (a round trip of 40 ms: the run cannot finish its 20 ranges between the moment the test sees
    // the fourth range start and the moment the proxy dies, however busy the machine)
    proxy.start(QStringLiteral("node"), {QStringLiteral(BFS_SOURCE_DIR "/tests/bench/delay_proxy.mjs"), QString::number(direct.port),
                                         QStringLiteral("40")});
    QVERIFY(proxy.waitForStarted());
    QByteArray ready;
    while (!ready.contains('\n') && proxy.waitForReadyRead(10000))
        ready += proxy.readAllStandardOutput();
    QVERIFY2(ready.startsWith("READY "), ready.constData());
    ConnectionProfile viaProxy = direct;
    viaProxy.port = ready.mid(6).trimmed().toInt();

    QStringList args = cliBase(table, file);
    args[args.indexOf(QStringLiteral("--db")) + 1] = viaProxy.toConnInfo();
    QProcess cli;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PGPASSWORD"), QStringLiteral("sandbox"));
    cli.setProcessEnvironment(env);
    cli.setStandardInputFile(QProcess::nullDevice());
    cli.start(TestServers::binary(QStringLiteral("backfill-studio-cli")), QStringList(args) << QStringLiteral("--verbose"));
    QVERIFY(cli.waitForStarted());
    QByteArray err;
    while (err.count("EXECUTE ") < 4 && cli.state() == QProcess::Running) {
        cli.waitForReadyRead(100);
        err += cli.readAllStandardError();
    }
    QVERIFY2(err.count("EXECUTE ") >= 4, err.right(2000).constData());
    proxy.kill();
    proxy.waitForFinished();
    QVERIFY(cli.waitForFinished(120000));
    err += cli.readAllStandardError();
    QCOMPARE(cli.exitCode(), 3);
    const QString message = QString::fromUtf8(err.mid(err.lastIndexOf("-- reconnecting failed")));
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("[.!?] (\\d+) rows in (\\d+) completed chunk range")).match(message);
    QVERIFY2(m.hasMatch(), qPrintable(message.right(1500)));
    QVERIFY2(message.contains(QLatin1String("could NOT be resumed: run backfill-studio-cli recover")), qPrintable(message.right(1500)));
    const qint64 committed = m.captured(1).toLongLong();
    QVERIFY2(committed > 0 && committed < rows.size(), qPrintable(QString::number(committed)));
    // If the proxy died with a COMMIT on its way back, that range is named as unknown (the re-run
    // asks the server): one range (4 devices × 96) more may be in.
    const qint64 inTable = scalar(QStringLiteral("SELECT count(*) FROM et_lost WHERE device_id >= 3"));
    if (message.contains(QLatin1String("lost during a COMMIT")))
        QVERIFY2(inTable == committed || inTable == committed + 4 * 96, qPrintable(QString::number(inTable)));
    else
        QCOMPARE(inTable, committed);
    QVERIFY(!policyScheduled(table));

    const QString journals = m_dir.filePath(QStringLiteral("my.journals"));
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), direct.toConnInfo(),
                                                QStringLiteral("--journal-dir"), journals},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QVERIFY2(!recovered.out.contains("No interrupted backfill"), recovered.out.constData());
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));

    // The same backfill at the server's own address finishes it: each row once.
    const auto rerun = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"));
    QVERIFY2(rerun.exitCode == 0, rerun.err.constData());
    QVERIFY2(rerun.out.contains(QStringLiteral("(%1 of them before an interruption)").arg(inTable).toUtf8()), rerun.out.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_lost WHERE device_id >= 3")), qint64(rows.size()));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM (SELECT time, device_id FROM et_lost GROUP BY 1, 2 HAVING count(*) > 1) d")), qint64(0));
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(QDir(journals).entryList(QDir::Files).isEmpty());
}

void TestEngineSandbox::unreadableJournalStopsRecoveryAndBackfills()
{
    // A journal damaged in the middle: what its run paused cannot be known, so recover fails and
    // names it, and a backfill on that server refuses instead of taking the policy for paused
    // by the user.
    const QString table = QStringLiteral("et_torn");
    createTable(table);
    const QString file = csv(QStringLiteral("torn.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3)});
    const auto crashed = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=chunk_begin")});
    QCOMPARE(crashed.exitCode, 137);
    QVERIFY(!policyScheduled(table));
    const QString journals = m_dir.filePath(QStringLiteral("my.journals"));
    const QStringList names = QDir(journals).entryList({QStringLiteral("*.journal")}, QDir::Files);
    QCOMPARE(names.size(), 1);
    QFile f(QDir(journals).filePath(names.first()));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = f.readAll().split('\n');
    f.close();
    QVERIFY2(lines.size() >= 4, QByteArray::number(lines.size()).constData()); // start … chunk_begin, then the final newline
    lines[1] = lines[1].left(lines[1].size() / 2);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(lines.join('\n'));
    f.close();
    // Two journals of runs that died while writing their first line (empty, torn): they changed
    // nothing, and recovery removes them.
    const QStringList emptyOnes{QDir(journals).filePath(QStringLiteral("backfill-20260101000000-aaaaaaaa.journal")),
                                QDir(journals).filePath(QStringLiteral("backfill-20260101000000-bbbbbbbb.journal"))};
    for (const QString &path : emptyOnes) {
        QFile e(path);
        QVERIFY(e.open(QIODevice::WriteOnly));
        if (path.endsWith(QLatin1String("bbbbbbbb.journal")))
            e.write("{\"step\": \"sta");
    }

    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), journals},
                                               QStringLiteral("sandbox"));
    QCOMPARE(recovered.exitCode, 4);
    for (const QString &path : emptyOnes) {
        QVERIFY2(!QFile::exists(path), qPrintable(path));
        QVERIFY2(recovered.out.contains("removed " + path.toUtf8()), recovered.out.constData());
    }
    QVERIFY2(recovered.err.contains("Cannot read the backfill journal"), recovered.err.constData());
    QVERIFY2(recovered.err.contains(names.first().toUtf8()), recovered.err.constData());
    QVERIFY(!policyScheduled(table));
    const auto again = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"));
    QVERIFY2(again.exitCode != 0, again.out.constData());
    QVERIFY2(again.err.contains("Cannot read the backfill journal"), again.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_torn WHERE device_id = 3")), qint64(0));
}

void TestEngineSandbox::aCopyOfTheServerLeavesItsJournalAlone()
{
    // A run at "localhost" dies with the policy paused. At "127.0.0.1" the same identifier
    // answers, but the policy runs there: that could be a copy of the server (a replica, a
    // restore), so recovery leaves the journal for the server the run worked on, and says so.
    const QString table = QStringLiteral("et_copy");
    createTable(table);
    const QString file = csv(QStringLiteral("copy.csv"), {row("2026-08-20 10:15:00+00", 3)});
    ConnectionProfile local = TestServers::sandbox();
    local.host = QStringLiteral("localhost");
    QStringList args = cliBase(table, file);
    args[args.indexOf(QStringLiteral("--db")) + 1] = local.toConnInfo();
    const auto crashed = TestServers::runCli(args, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=chunk_begin")});
    QCOMPARE(crashed.exitCode, 137);
    QVERIFY(!policyScheduled(table));
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "SELECT alter_job(job_id, scheduled => true) FROM timescaledb_information.jobs WHERE hypertable_name = 'et_copy';"));
    QVERIFY2(error.isEmpty(), qPrintable(error));

    const QString journals = m_dir.filePath(QStringLiteral("my.journals"));
    auto recoverAt = [&](const ConnectionProfile &p) {
        return TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), p.toConnInfo(), QStringLiteral("--journal-dir"), journals},
                                   QStringLiteral("sandbox"));
    };
    const auto elsewhere = recoverAt(TestServers::sandbox());
    QCOMPARE(elsewhere.exitCode, 4);
    QVERIFY2(elsewhere.err.contains("which has the identifier of this server"), elsewhere.err.constData());
    QCOMPARE(QDir(journals).entryList({QStringLiteral("*.journal")}, QDir::Files).size(), 1);
    const auto backfill = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"));
    QVERIFY2(backfill.exitCode != 0, backfill.out.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_copy WHERE device_id = 3")), qint64(0));
    // At its own address the journal is finished.
    const auto own = recoverAt(local);
    QVERIFY2(own.exitCode == 0, own.err.constData());
    QVERIFY(QDir(journals).entryList({QStringLiteral("*.journal")}, QDir::Files).isEmpty());
    QVERIFY(policyScheduled(table));
}

QTEST_GUILESS_MAIN(TestEngineSandbox)
#include "tst_engine_sandbox.moc"
