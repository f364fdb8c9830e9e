// The backfill engine against the TimescaleDB sandbox, on hypertables and policies as users have
// them: weekly chunks, changed intervals, timestamp and date columns in a session outside UTC,
// CHECK constraints, dropped and generated columns, space partitions, two unique keys, journal locks, policies by
// creation time, paused or removed; and re-running a file after fixing it.
#include "EngineSandboxCase.h"
#include "Journal.h"
#include "TestServers.h"

#include <QDir>
#include <QFile>
#include <QLockFile>
#include <QProcess>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace bfs;

class TestEngineSetups : public EngineSandboxCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void newChunksAreCompressedButNotTheUsersOwnChunks();
    void newChunksStayUncompressedUnderAPausedPolicy();
    void cancelWhileCompressingNewChunksLeavesTheRestToThePolicy();
    void policyByCreationTimeIsRecoveredAfterACrash();
    void recoveryAfterThePolicyWasRemoved();
    void editedFileAfterACrashLoadsThroughTheUniqueKey();
    void weeklyChunksGetTheirOwnRows();
    void chunksOfAnEarlierIntervalGetTheirOwnRows();
    void timestampColumnInASessionOutsideUtc();
    void dateColumnInASessionOutsideUtc();
    void tableWithDroppedAndGeneratedColumns();
    void checkConstraintHoldsForRowsIntoCompressedChunks();
    void spacePartitionsGetTheirNewChunksCompressed();
    void spaceColumnLeftToItsDefaultIsCountedPerRange();
    void dryRunCountsRowsThatExistUnderAnyUniqueKey();
    void chunksInASchemaThatNeedsQuotes();
    void rowsATriggerDropsAreNotCountedAsDuplicates();
    void updateThatMeetsAnotherKeyNamesTheLine();
    void integerTimeNewChunksAreCompressedAsThePolicyWould();
    void journalOfARunningBackfillIsLeftButAStaleOneIsRecovered();
    void aFileWithoutRowsChangesNothing();
};

void TestEngineSetups::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestEngineSetups::newChunksAreCompressedButNotTheUsersOwnChunks()
{
    // The user decompressed 2026-08-21 on purpose; the backfill adds a row to 2026-08-22 and
    // creates 2026-08-17. As run_job would: the new chunk is compressed, the user's is left alone.
    createTable(QStringLiteral("et_userchunk"));
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "SELECT decompress_chunk(c) FROM show_chunks('et_userchunk', newer_than => '2026-08-21'::timestamptz, "
        "older_than => '2026-08-22'::timestamptz) c;"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_userchunk")), qint64(1));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("userchunk.csv"), {row("2026-08-17 12:00:00+00", 3), row("2026-08-22 12:00:00+00", 3)});
    o.load.table = QStringLiteral("et_userchunk");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QVERIFY(r.plan.compressNewChunks);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_userchunk' "
                                   "AND range_start = '2026-08-17 00:00+00' AND is_compressed")),
             qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_userchunk' "
                                   "AND range_start = '2026-08-21 00:00+00' AND NOT is_compressed")),
             qint64(1));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_userchunk")), qint64(1));
    // The new chunk is reported with the sizes TimescaleDB measured when the run compressed it.
    QCOMPARE(r.newChunks.size(), 1);
    QCOMPARE(r.newChunks.first().bytesAfter,
             scalar(QStringLiteral("SELECT after_compression_total_bytes FROM chunk_compression_stats('et_userchunk') "
                                   "WHERE format('%I.%I', chunk_schema, chunk_name) = $1"),
                    {r.newChunks.first().name}));
    QVERIFY(r.newChunks.first().bytesBefore > 0);
    QVERIFY2(BackfillEngine::afterRunLines(r).join(QLatin1Char(' ')).contains(QLatin1String("Compression of the 1 chunk(s) the run compressed whole")),
             qPrintable(BackfillEngine::afterRunLines(r).join(QLatin1Char(' '))));
}

void TestEngineSetups::cancelWhileCompressingNewChunksLeavesTheRestToThePolicy()
{
    // Three new chunks before the first one; the user cancels while the first of them is being
    // compressed. The rows are all in, the touched chunk is compressed again, the policy runs
    // again; the two new chunks not compressed yet are left to the policy, and the run says so.
    createTable(QStringLiteral("et_cancelnew"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("cancelnew.csv"), {row("2026-08-14 12:00:00+00", 3), row("2026-08-15 12:00:00+00", 3),
                                                          row("2026-08-16 12:00:00+00", 3), row("2026-08-20 12:00:00+00", 3)});
    o.load.table = QStringLiteral("et_cancelnew");
    std::atomic<bool> cancel{false};
    QStringList phases;
    const BackfillEngine::Result r = run(o, &cancel, [&](const BackfillEngine::Progress &p) {
        if (phases.isEmpty() || phases.constLast() != p.phase)
            phases << p.phase;
        if (p.phase == QLatin1String("compress_new") && p.chunk == 1) {
            QCOMPARE(p.chunks, 3);
            cancel = true;
        }
    });
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(4));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_cancelnew WHERE device_id = 3")), qint64(4));
    QVERIFY2(r.load.notes.join(QLatin1Char('\n')).contains(QLatin1String("Cancelled while compressing the new chunks: 1 of 3 compressed")),
             qPrintable(r.load.notes.join(QLatin1Char('\n'))));
    QCOMPARE(phases, (QStringList{QStringLiteral("stage"), QStringLiteral("plan"), QStringLiteral("move"), QStringLiteral("recompress"),
                                  QStringLiteral("compress_new"), QStringLiteral("restore"), QStringLiteral("finish")}));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_cancelnew' "
                                   "AND range_start = '2026-08-14 00:00+00' AND is_compressed")),
             qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_cancelnew' "
                                   "AND range_start IN ('2026-08-15 00:00+00', '2026-08-16 00:00+00') AND NOT is_compressed")),
             qint64(2));
    // Only those two are left: the touched chunk of 2026-08-20 was compressed again.
    QCOMPARE(notFullyCompressed(QStringLiteral("et_cancelnew")), qint64(2));
    QVERIFY(policyScheduled(QStringLiteral("et_cancelnew")));
    QVERIFY2(r.journalPath.isEmpty(), qPrintable(r.journalPath));
}

void TestEngineSetups::newChunksStayUncompressedUnderAPausedPolicy()
{
    // A policy the user paused compresses nothing; neither does the backfill for it.
    createTable(QStringLiteral("et_userpaused"));
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'et_userpaused';"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("userpaused.csv"), {row("2026-08-17 12:00:00+00", 3), row("2026-08-20 12:00:00+00", 3)});
    o.load.table = QStringLiteral("et_userpaused");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QVERIFY(!r.plan.compressNewChunks);
    QVERIFY2(r.plan.recompressReason.contains(QLatin1String("new chunks are left uncompressed")), qPrintable(r.plan.recompressReason));
    QVERIFY(!policyScheduled(QStringLiteral("et_userpaused")));
    QCOMPARE(r.load.rowsLoaded, qint64(2));
    // The touched chunk is compressed again; the new one stays as the paused policy leaves it.
    QCOMPARE(notFullyCompressed(QStringLiteral("et_userpaused")), qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_userpaused' "
                                   "AND range_start = '2026-08-17 00:00+00' AND NOT is_compressed")),
             qint64(1));
}

void TestEngineSetups::policyByCreationTimeIsRecoveredAfterACrash()
{
    // compress_created_before instead of compress_after: the policy has no compress_after.
    const QString table = QStringLiteral("et_created");
    createTable(table);
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "SELECT remove_compression_policy('et_created'); "
        "SELECT add_compression_policy('et_created', compress_created_before => interval '7 days');"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString file = csv(QStringLiteral("created.csv"), {row("2026-08-17 12:00:00+00", 3), row("2026-08-20 12:00:00+00", 3)});
    const QStringList args = cliBase(table, file);
    const auto crashed = TestServers::runCli(args, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=new_rows_begin")});
    QCOMPARE(crashed.exitCode, 137);
    // A dry run finishes the interrupted run first (and says so), and plans: the new chunk is left
    // to the policy, which compresses by creation time.
    const auto plan = TestServers::runCli(QStringList(args) << QStringLiteral("--dry-run"), QStringLiteral("sandbox"));
    QVERIFY2(plan.exitCode == 0, plan.err.constData());
    QVERIFY2(plan.out.contains("An interrupted earlier backfill on this server was finished first"), plan.out.constData());
    QVERIFY2(plan.out.contains("new chunks are left to compression policy job"), plan.out.constData());
    QVERIFY(policyScheduled(table));
    const QStringList recover{QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                              QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))};
    const auto recovered = TestServers::runCli(recover, QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    const auto rerun = TestServers::runCli(args, QStringLiteral("sandbox"));
    QVERIFY2(rerun.exitCode == 0, rerun.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_created WHERE device_id = 3")), qint64(2));
    QVERIFY(policyScheduled(table));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList(QDir::Files).isEmpty());
}

void TestEngineSetups::recoveryAfterThePolicyWasRemoved()
{
    // The run died with the policy paused, and the user removed the policy before recovering.
    const QString table = QStringLiteral("et_removed");
    createTable(table);
    const QString file = csv(QStringLiteral("removed.csv"), {row("2026-08-20 12:00:00+00", 3)});
    const auto crashed = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=chunk_begin")});
    QCOMPARE(crashed.exitCode, 137);
    QVERIFY(!policyScheduled(table));
    const QString error = TestServers::sandboxScript(QStringLiteral("SELECT remove_compression_policy('et_removed');"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QVERIFY2(recovered.out.contains("no longer exists: nothing to resume"), recovered.out.constData());
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList({QStringLiteral("*.journal")}, QDir::Files).isEmpty());
}

void TestEngineSetups::editedFileAfterACrashLoadsThroughTheUniqueKey()
{
    // A crash keeps no fingerprints of the ranges it loaded. After an edit of the file, a table
    // with a unique key still loads it whole with --on-conflict skip: the key skips what the
    // crashed run loaded. Without skip (conflict error) the run refuses and says so.
    const QString table = QStringLiteral("et_editkey");
    createTable(table);
    const QString file = csv(QStringLiteral("editkey.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3),
                                                             row("2026-08-22 10:15:00+00", 3)});
    const QStringList args = cliBase(table, file);
    const auto crashed = TestServers::runCli(args, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=after_commit")});
    QCOMPARE(crashed.exitCode, 137);
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_editkey WHERE device_id = 3")), qint64(1));
    csv(QStringLiteral("editkey.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3),
                                        row("2026-08-22 10:15:00+00", 3, 30.25)});
    const auto refused = TestServers::runCli(args, QStringLiteral("sandbox"));
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("with --on-conflict skip or update the changed file loads safely"), refused.err.constData());
    const auto loaded = TestServers::runCli(QStringList(args) << QStringLiteral("--on-conflict") << QStringLiteral("skip"), QStringLiteral("sandbox"));
    QVERIFY2(loaded.exitCode == 0, loaded.err.constData());
    QVERIFY2(loaded.out.contains("2 loaded, 1 skipped as duplicates"), loaded.out.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_editkey WHERE device_id = 3")), qint64(3));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(policyScheduled(table));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList(QDir::Files).isEmpty());
}

void TestEngineSetups::weeklyChunksGetTheirOwnRows()
{
    // The default chunk interval: weeks that start on Thursdays (aligned on 1970-01-01), where
    // time_bucket's weeks start on Mondays. Thursday to Sunday rows belong to their own chunk.
    createHypertable(QStringLiteral("et_weekly"), QStringLiteral("timestamptz"), QStringLiteral("UNIQUE (time, device_id)"),
                     QStringLiteral("2026-07-30 00:00+00"), QStringLiteral("2026-08-12 18:00+00"), QStringLiteral("6 hours"), QString(),
                     QStringLiteral("SELECT add_compression_policy('et_weekly', compress_after => interval '30 days');"));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_weekly' "
                                   "AND range_start IN ('2026-07-30 00:00+00', '2026-08-06 00:00+00')")),
             qint64(2));
    BackfillEngine::Options o;
    // Thursday and Sunday of the second week, Monday of the first, a duplicate, and a week with no chunk.
    o.load.csvPath = csv(QStringLiteral("weekly.csv"), {row("2026-08-06 12:00:00+00", 7), row("2026-08-09 12:00:00+00", 7),
                                                         row("2026-08-03 12:00:00+00", 7), row("2026-08-06 12:00:00+00", 1),
                                                         row("2026-08-14 12:00:00+00", 7)});
    o.load.table = QStringLiteral("et_weekly");
    o.load.conflict = CsvLoader::Conflict::Skip;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(4));
    QCOMPARE(r.load.rowsDuplicate, qint64(1));
    QVERIFY(r.load.accountedFor());
    QCOMPARE(r.plan.newChunkRows, qint64(1));
    QMap<QString, qint64> planned;
    for (const BackfillPlan::ChunkStep &s : r.plan.chunks)
        planned[s.chunk.rangeStart.toString(Qt::ISODate)] = s.rows;
    QCOMPARE(planned.value(QStringLiteral("2026-07-30T00:00:00Z")), qint64(1));
    QCOMPARE(planned.value(QStringLiteral("2026-08-06T00:00:00Z")), qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_weekly WHERE device_id = 7")), qint64(4));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_weekly")), qint64(0));
}

void TestEngineSetups::chunksOfAnEarlierIntervalGetTheirOwnRows()
{
    // Daily chunks made before the interval was changed to a week: each keeps its own rows.
    createTable(QStringLiteral("et_reinterval"));
    const QString error = TestServers::sandboxScript(QStringLiteral("SELECT set_chunk_time_interval('et_reinterval', interval '7 days');"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    BackfillEngine::Options o;
    // (and a row after them: its new weekly chunk is cut where the daily ones end, 2026-08-23)
    o.load.csvPath = csv(QStringLiteral("reinterval.csv"), {row("2026-08-20 12:00:00+00", 5), row("2026-08-21 12:00:00+00", 5),
                                                             row("2026-08-22 12:00:00+00", 5), row("2026-08-24 12:00:00+00", 5)});
    o.load.table = QStringLiteral("et_reinterval");
    // The plan's timeline shows the new chunk TimescaleDB makes (below): the week from 2026-08-20, cut at 08-23.
    const auto day = [](int d) { return QDateTime(QDate(2026, 8, d), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch(); };
    o.planOnly = true;
    QCOMPARE(run(o).plan.summary.outsideSpans, (QList<QPair<qint64, qint64>>{{day(23), day(27)}}));
    o.planOnly = false;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(4));
    QCOMPARE(r.plan.newChunkRows, qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_reinterval' "
                                   "AND range_start = '2026-08-23+00' AND range_end = '2026-08-27+00'")),
             qint64(1));
    QCOMPARE(r.plan.chunks.size(), 3);
    for (const BackfillPlan::ChunkStep &s : r.plan.chunks)
        QCOMPARE(s.rows, qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_reinterval WHERE device_id = 5")), qint64(4));
}

void TestEngineSetups::timestampColumnInASessionOutsideUtc()
{
    // A timestamp (without time zone) column, and a session in New York (PGTZ, as a server's or
    // role's default TimeZone would give it): rows late in the day belong to that day's chunk.
    // A default in the session's zone stays in it: the run does not change the session's TimeZone.
    createHypertable(QStringLiteral("et_naive"), QStringLiteral("timestamp"),
                     QStringLiteral("loaded_at timestamp DEFAULT localtimestamp, UNIQUE (time, device_id)"), QStringLiteral("2026-08-20"),
                     QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"));
    const QString file = csv(QStringLiteral("naive.csv"), {row("2026-08-20 22:30:00", 2), row("2026-08-21 01:30:00", 2),
                                                           row("2026-08-22 23:30:00", 2)});
    const QStringList zone{QStringLiteral("PGTZ=America/New_York")};
    const auto plan = TestServers::runCli(cliBase(QStringLiteral("et_naive"), file) << QStringLiteral("--dry-run"), QStringLiteral("sandbox"), zone);
    QVERIFY2(plan.exitCode == 0, plan.err.constData());
    QVERIFY2(plan.out.contains("3 existing chunks touched; 0 rows for new chunks"), plan.out.constData());
    const auto loaded = TestServers::runCli(cliBase(QStringLiteral("et_naive"), file), QStringLiteral("sandbox"), zone);
    QVERIFY2(loaded.exitCode == 0, loaded.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_naive WHERE device_id = 2")), qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_naive WHERE device_id = 2 AND time IN "
                                   "('2026-08-20 22:30', '2026-08-21 01:30', '2026-08-22 23:30')")),
             qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_naive'")), qint64(3));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_naive")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_naive WHERE device_id = 2 "
                                   "AND abs(extract(epoch FROM loaded_at - (now() AT TIME ZONE 'America/New_York'))) < 600")),
             qint64(3));
}

void TestEngineSetups::dateColumnInASessionOutsideUtc()
{
    // A date time column in a session east of UTC: each day's row belongs to that day's chunk.
    createHypertable(QStringLiteral("et_days"), QStringLiteral("date"), QStringLiteral("UNIQUE (time, device_id)"),
                     QStringLiteral("2026-08-01"), QStringLiteral("2026-08-28"), QStringLiteral("1 day"), QStringLiteral("7 days"));
    QFile f(m_dir.filePath(QStringLiteral("days.csv")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,device_id,temperature,humidity,status\n2026-08-06,2,1,1,a\n2026-08-12,2,1,1,b\n2026-08-13,2,1,1,c\n");
    f.close();
    const QStringList zone{QStringLiteral("PGTZ=Asia/Tokyo")};
    const auto loaded = TestServers::runCli(cliBase(QStringLiteral("et_days"), f.fileName()), QStringLiteral("sandbox"), zone);
    QVERIFY2(loaded.exitCode == 0, loaded.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_days WHERE device_id = 2")), qint64(3));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_days")), qint64(0));
}

void TestEngineSetups::spacePartitionsGetTheirNewChunksCompressed()
{
    // Two space partitions, only device 1's holds chunks: devices 2 to 5 on an existing day go
    // partly into a chunk of a partition that had none there yet. It is compressed like the
    // chunks of new time ranges, as the policy would.
    createHypertable(QStringLiteral("et_space"), QStringLiteral("timestamptz"), QStringLiteral("UNIQUE (time, device_id)"),
                     QStringLiteral("2026-08-20"), QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"),
                     QStringLiteral("SELECT add_compression_policy('et_space', compress_after => interval '30 days');"), 2);
    const qint64 chunksBefore = scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_space'"));
    QList<QByteArray> rows;
    for (int device = 2; device <= 5; ++device)
        rows << row("2026-08-21 10:00:00+00", device) << row("2026-08-21 11:00:00+00", device);
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("space.csv"), rows);
    o.load.table = QStringLiteral("et_space");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(8));
    QVERIFY(r.plan.compressNewChunks);
    QVERIFY2(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_space'")) > chunksBefore,
             "no device went into the other partition: the test proves nothing");
    QCOMPARE(notFullyCompressed(QStringLiteral("et_space")), qint64(0));
    QVERIFY(policyScheduled(QStringLiteral("et_space")));
    // The chunk that existed counts only its own partition's rows, in the plan and after the run;
    // how many of the range's written rows went into it is not known (a unique key may skip some).
    QCOMPARE(r.chunks.size(), 1);
    const qint64 own = scalar(QStringLiteral("SELECT count(*) FROM %1 WHERE device_id BETWEEN 2 AND 5").arg(r.chunks.first().name));
    QVERIFY2(own > 0 && own < 8, qPrintable(QString::number(own)));
    QCOMPARE(r.chunks.first().rows, own);
    QCOMPARE(r.plan.chunks.first().rows, own);
    QCOMPARE(r.plan.chunks.first().rangeRows, qint64(8));
    QCOMPARE(r.chunks.first().inserted, qint64(-1));
}

void TestEngineSetups::spaceColumnLeftToItsDefaultIsCountedPerRange()
{
    // The file does not fill the partitioning column (its default does): the rows still land
    // right, and the report says that the per-chunk numbers are the time range's, not made up.
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_spdef CASCADE; "
        "CREATE TABLE et_spdef (time timestamptz NOT NULL, device_id int NOT NULL DEFAULT 3, temperature double precision); "
        "SELECT create_hypertable('et_spdef', 'time', partitioning_column => 'device_id', number_partitions => 2, "
        "  chunk_time_interval => interval '1 day'); "
        "INSERT INTO et_spdef SELECT t, d, 20 FROM generate_series('2026-08-20'::timestamptz, '2026-08-20 23:00', '1 hour') t, generate_series(1, 6) d; "
        "ALTER TABLE et_spdef SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('et_spdef') c;"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(scalar(QStringLiteral("SELECT count(*) FROM show_chunks('et_spdef')")) == 2, "the test needs a chunk in each partition");
    BackfillEngine::Options o;
    o.load.csvPath = m_dir.filePath(QStringLiteral("spdef.csv"));
    QFile f(o.load.csvPath);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,temperature\n2026-08-20 10:30:00+00,7\n2026-08-20 11:30:00+00,7\n");
    f.close();
    o.load.table = QStringLiteral("et_spdef");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_spdef WHERE temperature = 7 AND device_id = 3")), qint64(2));
    QCOMPARE(r.chunks.size(), 2);
    for (const auto &c : r.chunks) {
        QCOMPARE(c.rows, qint64(2)); // the time range's
        QCOMPARE(c.inserted, qint64(-1));
    }
    QVERIFY2(r.load.notes.join(QLatin1Char('\n')).contains(QLatin1String("the rows of each partition could not be counted")),
             qPrintable(r.load.notes.join(QLatin1Char('\n'))));
}

void TestEngineSetups::checkConstraintHoldsForRowsIntoCompressedChunks()
{
    // No unique key, TimescaleDB 2.23, a dozen rows into a compressed chunk: rows would be
    // compressed as they are inserted, which skips CHECK constraints. A row that breaks one
    // must stop the run, not land in the table.
    createHypertable(QStringLiteral("et_check"), QStringLiteral("timestamptz"), QStringLiteral("CHECK (temperature > -100)"),
                     QStringLiteral("2026-08-20"), QStringLiteral("2026-08-21 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"));
    QList<QByteArray> rows;
    for (int h = 0; h < 12; ++h)
        rows << row(QStringLiteral("2026-08-20 %1:15:00+00").arg(h, 2, 10, QLatin1Char('0')).toLatin1().constData(), 3, h == 7 ? -300 : 20);
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("check.csv"), rows);
    o.load.table = QStringLiteral("et_check");
    const BackfillEngine::Result r = run(o);
    QCOMPARE(r.outcome, CsvLoader::Outcome::ServerError);
    QVERIFY2(r.message.contains(QLatin1String("check.csv, line 9: the row breaks CHECK constraint et_check_temperature_check")),
             qPrintable(r.message)); // the row of 07:15 (the header is line 1)
    QVERIFY(!r.plan.chunks.at(0).directCompress);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_check WHERE device_id = 3")), qint64(0));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_check")), qint64(0));
}

void TestEngineSetups::tableWithDroppedAndGeneratedColumns()
{
    // TimescaleDB fails an INSERT into a compressed chunk of such a table; the plan decompresses.
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_gen CASCADE; "
        "CREATE TABLE et_gen (time timestamptz NOT NULL, device_id int NOT NULL, old jsonb, temperature double precision, "
        "  humidity double precision, status text, doubled double precision GENERATED ALWAYS AS (temperature * 2) STORED, "
        "  UNIQUE (time, device_id)); "
        "ALTER TABLE et_gen DROP COLUMN old; "
        "SELECT create_hypertable('et_gen', 'time', chunk_time_interval => interval '1 day'); "
        "INSERT INTO et_gen (time, device_id, temperature, humidity, status) "
        "  SELECT t, 1, 20, 50, 'seed' FROM generate_series('2026-08-20'::timestamptz, '2026-08-21 23:00', '1 hour') t; "
        "ALTER TABLE et_gen SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('et_gen') c;"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("gen.csv"), {row("2026-08-20 10:15:00+00", 3, 10), row("2026-08-21 10:15:00+00", 3, 11)});
    o.load.table = QStringLiteral("et_gen");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.plan.count(BackfillPlan::Action::DecompressInsertRecompress), 2);
    QCOMPARE(scalar(QStringLiteral("SELECT sum(doubled) FROM et_gen WHERE device_id = 3")), qint64(42));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_gen")), qint64(0));
}

void TestEngineSetups::dryRunCountsRowsThatExistUnderAnyUniqueKey()
{
    // Two unique keys: a row that meets either one is skipped by the run, so the dry run counts it.
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_twokeys CASCADE; "
        "CREATE TABLE et_twokeys (time timestamptz NOT NULL, device_id int NOT NULL, temperature double precision, "
        "  humidity double precision, status text, UNIQUE (time, device_id), UNIQUE (time, status)); "
        "SELECT create_hypertable('et_twokeys', 'time', chunk_time_interval => interval '1 day'); "
        "INSERT INTO et_twokeys VALUES ('2026-08-20 10:00+00', 1, 20, 50, 'a'), ('2026-08-20 10:00+00', 2, 20, 50, 'b');"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("twokeys.csv"), {"2026-08-20 10:00:00+00,1,21,50,x", // the first key exists
                                                         "2026-08-20 10:00:00+00,3,21,50,b", // the second key exists
                                                         "2026-08-20 10:00:00+00,4,21,50,z",
                                                         "2026-08-20 10:00:00+00,4,22,50,y",  // the line above's first key
                                                         "2026-08-20 10:00:00+00,5,22,50,z"}); // and its second
    o.load.table = QStringLiteral("et_twokeys");
    o.load.conflict = CsvLoader::Conflict::Skip;
    o.planOnly = true;
    const BackfillEngine::Result dry = run(o);
    QCOMPARE(dry.load.rowsExisting, qint64(2));
    QCOMPARE(dry.load.rowsRepeated, qint64(2));
    QVERIFY2(dry.plan.toText().contains(QLatin1String("2 more repeat the key of an earlier line")), qPrintable(dry.plan.toText()));
    o.planOnly = false;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsDuplicate, dry.load.rowsExisting + dry.load.rowsRepeated);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_twokeys")), qint64(3));
}

void TestEngineSetups::chunksInASchemaThatNeedsQuotes()
{
    // create_hypertable(associated_schema_name, associated_table_prefix) with names that need
    // quotes: every chunk reaches the server as "Backfill Chunks"."Qs_…" — in the run, in the
    // journal and in recovery.
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_quoted CASCADE; DROP SCHEMA IF EXISTS \"Backfill Chunks\" CASCADE; CREATE SCHEMA \"Backfill Chunks\"; "
        "CREATE TABLE et_quoted (time timestamptz NOT NULL, device_id int NOT NULL, temperature double precision, "
        "  humidity double precision, status text, UNIQUE (time, device_id)); "
        "SELECT create_hypertable('et_quoted', 'time', chunk_time_interval => interval '1 day', "
        "  associated_schema_name => 'Backfill Chunks', associated_table_prefix => 'Qs'); "
        "INSERT INTO et_quoted SELECT t, 1, 20, 50, 'seed' FROM generate_series('2026-08-20'::timestamptz, '2026-08-22 23:00', '1 hour') t; "
        "ALTER TABLE et_quoted SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('et_quoted') c; "
        "SELECT add_compression_policy('et_quoted', compress_after => interval '30 days'); "
        // The user's own decompressed chunk: left as it is, while the new chunk is compressed.
        "SELECT decompress_chunk(c) FROM show_chunks('et_quoted', newer_than => '2026-08-22'::timestamptz) c;"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString file = csv(QStringLiteral("quoted.csv"), {row("2026-08-20 10:30:00+00", 2), row("2026-08-21 10:30:00+00", 2),
                                                             row("2026-08-21 10:00:00+00", 1), row("2026-08-22 10:30:00+00", 2),
                                                             row("2026-08-17 10:30:00+00", 2)});
    const QStringList args = QStringList(cliBase(QStringLiteral("et_quoted"), file)) << QStringLiteral("--on-conflict") << QStringLiteral("skip")
                                                                                      << QStringLiteral("--decompress");
    // Killed after the second range's statements, before its COMMIT: the first range is in, the
    // second rolled back, the policy paused.
    const auto crashed = TestServers::runCli(args, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=commit#2")});
    QCOMPARE(crashed.exitCode, 137);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_quoted WHERE device_id = 2")), qint64(1));
    QVERIFY(!policyScheduled(QStringLiteral("et_quoted")));
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QVERIFY(policyScheduled(QStringLiteral("et_quoted")));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_quoted")), qint64(1)); // the user's
    const auto rerun = TestServers::runCli(QStringList(args) << QStringLiteral("--json"), QStringLiteral("sandbox"));
    QVERIFY2(rerun.exitCode == 0, rerun.err.constData());
    QVERIFY2(rerun.out.contains("\"Backfill Chunks\\\".\\\"Qs_"), rerun.out.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_quoted WHERE device_id = 2")), qint64(4));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_quoted")), qint64(76));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_quoted")), qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_quoted' "
                                   "AND is_compressed AND range_start = '2026-08-17 00:00+00'")),
             qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'et_quoted' "
                                   "AND NOT is_compressed AND range_start = '2026-08-22 00:00+00'")),
             qint64(1));
    QVERIFY(policyScheduled(QStringLiteral("et_quoted")));
}

void TestEngineSetups::rowsATriggerDropsAreNotCountedAsDuplicates()
{
    // A BEFORE INSERT trigger drops rows with a negative temperature. Under --on-conflict error
    // nothing is skipped as a duplicate: the two rows it dropped are reported as not written.
    const QString table = QStringLiteral("et_trigger");
    createHypertable(table, QStringLiteral("timestamptz"), QStringLiteral("UNIQUE (time, device_id)"), QStringLiteral("2026-08-20"),
                     QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"),
                     QStringLiteral("SELECT add_compression_policy('et_trigger', compress_after => interval '30 days'); "
                                    "CREATE OR REPLACE FUNCTION et_trigger_drop() RETURNS trigger LANGUAGE plpgsql AS "
                                    "$$BEGIN IF NEW.temperature < 0 THEN RETURN NULL; END IF; RETURN NEW; END$$; "
                                    "CREATE TRIGGER et_trigger_drop BEFORE INSERT ON et_trigger FOR EACH ROW EXECUTE FUNCTION et_trigger_drop();"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("trigger.csv"), {row("2026-08-20 06:30:00+00", 3, -1), row("2026-08-20 07:30:00+00", 3),
                                                          row("2026-08-21 06:30:00+00", 3, -5), row("2026-08-10 06:30:00+00", 3)});
    o.load.table = table;
    o.load.conflict = CsvLoader::Conflict::Error;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(2));
    QCOMPARE(r.load.rowsNotWritten, qint64(2));
    QCOMPARE(r.load.rowsDuplicate, qint64(0));
    QVERIFY(r.load.accountedFor());
    QVERIFY2(r.message.contains(QLatin1String("0 skipped as duplicates, 0 rejected. 2 were not written: the server dropped them")),
             qPrintable(r.message));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_trigger WHERE device_id = 3")), qint64(2));
    // Skipping duplicates, the two cannot be told apart: the report says so.
    o.load.conflict = CsvLoader::Conflict::Skip;
    o.load.csvPath = csv(QStringLiteral("trigger-skip.csv"), {row("2026-08-20 08:30:00+00", 3, -1), row("2026-08-20 07:30:00+00", 3)});
    const BackfillEngine::Result skipped = run(o);
    QVERIFY2(skipped.outcome == CsvLoader::Outcome::Completed, qPrintable(skipped.message));
    QCOMPARE(skipped.load.rowsDuplicate, qint64(2));
    QVERIFY2(skipped.load.notes.join(QLatin1Char(' ')).contains(QLatin1String("public.et_trigger has triggers (et_trigger_drop): some of the rows "
                                                                              "counted as skipped duplicates may have been dropped")),
             qPrintable(skipped.load.notes.join(QLatin1Char(' '))));
    // A run that dies after the first range, and its re-run: the rows the trigger dropped in the
    // range the first one completed are not written either, not duplicates.
    // (a range's COMMIT goes out with the next range's start: the third start follows the first COMMIT)
    const QString file = csv(QStringLiteral("trigger-crash.csv"), {row("2026-08-20 09:30:00+00", 3, -1), row("2026-08-20 10:30:00+00", 3),
                                                                   row("2026-08-21 09:30:00+00", 3, -2), row("2026-08-21 10:30:00+00", 3),
                                                                   row("2026-08-22 10:30:00+00", 3)});
    const auto crashed = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=chunk_begin#3")});
    QCOMPARE(crashed.exitCode, 137);
    const auto again = TestServers::runCli(cliBase(table, file) << QStringLiteral("--json"), QStringLiteral("sandbox"));
    QVERIFY2(again.exitCode == 0, again.err.constData());
    const QJsonObject json = QJsonDocument::fromJson(again.out).object();
    QCOMPARE(json.value(QStringLiteral("rows_loaded")).toInt(), 3);
    QCOMPARE(json.value(QStringLiteral("rows_loaded_earlier")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("rows_not_written")).toInt(), 2);
    QCOMPARE(json.value(QStringLiteral("rows_duplicate")).toInt(), 0);
}

void TestEngineSetups::updateThatMeetsAnotherKeyNamesTheLine()
{
    // Two unique keys; the update matches on (time, device_id). Line 2 updates device 1's row
    // (its (time, status) is that row's own); line 3 is a new (time, device_id) whose (time,
    // status) is device 1's: the server refuses it, and the message finds that line.
    const QString table = QStringLiteral("et_twokeys");
    createHypertable(table, QStringLiteral("timestamptz"), QStringLiteral("UNIQUE (time, device_id), UNIQUE (time, status)"),
                     QStringLiteral("2026-08-20"), QStringLiteral("2026-08-21 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"),
                     QStringLiteral("SELECT add_compression_policy('et_twokeys', compress_after => interval '30 days');"));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("twokeys.csv"), {QByteArray("2026-08-20 05:00:00+00,1,30,50,seed"),
                                                         QByteArray("2026-08-20 06:00:00+00,3,21,50,seed")});
    o.load.table = table;
    o.load.conflict = CsvLoader::Conflict::Update;
    const BackfillEngine::Result r = run(o);
    QCOMPARE(r.outcome, CsvLoader::Outcome::ServerError);
    QVERIFY2(r.message.contains(QLatin1String("twokeys.csv, line 3: the row's key (time, status) already exists in public.et_twokeys or on "
                                              "an earlier line of the file, and it is not the key the update matches on (time, device_id)")),
             qPrintable(r.message));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_twokeys WHERE device_id = 3")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_twokeys WHERE temperature = 30")), qint64(0)); // rolled back with it
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
}

void TestEngineSetups::integerTimeNewChunksAreCompressedAsThePolicyWould()
{
    // Integer time, "now" is 1000 (integer_now), the policy compresses chunks ending 200 before it.
    // New chunk [200, 300) is old enough, [900, 1000) is not: as run_job would, after a crash (by
    // recover) and in a run that ends normally.
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_int CASCADE; "
        "CREATE TABLE et_int (time bigint NOT NULL, device_id int NOT NULL, temperature double precision, humidity double precision, "
        "  status text, UNIQUE (time, device_id)); "
        "SELECT create_hypertable('et_int', 'time', chunk_time_interval => 100); "
        "CREATE OR REPLACE FUNCTION et_int_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 1000::bigint'; "
        "SELECT set_integer_now_func('et_int', 'et_int_now'); "
        "INSERT INTO et_int SELECT g, 1, 20, 50, 'seed' FROM generate_series(500, 799) g; "
        "ALTER TABLE et_int SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('et_int') c; "
        "SELECT add_compression_policy('et_int', compress_after => 200::bigint);"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    auto compressedAt = [this](int start) {
        return scalar(QStringLiteral("SELECT count(*) FILTER (WHERE is_compressed) * 10 + count(*) FROM timescaledb_information.chunks "
                                     "WHERE hypertable_name = 'et_int' AND range_start_integer = %1").arg(start));
    };
    const QString file = csv(QStringLiteral("int.csv"), {"250,2,21,50,ok", "550,2,21,50,ok", "950,2,21,50,ok"});
    const auto crashed = TestServers::runCli(cliBase(QStringLiteral("et_int"), file), QStringLiteral("sandbox"),
                                             {QStringLiteral("BFS_CRASH_AT=compress_new")});
    QCOMPARE(crashed.exitCode, 137);
    QCOMPARE(compressedAt(200), qint64(1)); // there, not compressed yet
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QCOMPARE(compressedAt(200), qint64(11));
    QCOMPARE(compressedAt(900), qint64(1));
    QCOMPARE(compressedAt(500), qint64(11));
    QVERIFY(policyScheduled(QStringLiteral("et_int")));

    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("int2.csv"), {"350,3,21,50,ok", "960,3,21,50,ok"});
    o.load.table = QStringLiteral("et_int");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QVERIFY(r.plan.compressNewChunks);
    QCOMPARE(compressedAt(300), qint64(11));
    QCOMPARE(compressedAt(900), qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_int WHERE device_id IN (2, 3)")), qint64(5));
    QVERIFY(policyScheduled(QStringLiteral("et_int")));

    // The exported script does the same with the integer_now function: [100, 200) is compressed.
    const QString script = m_dir.filePath(QStringLiteral("int.sql"));
    const auto exported = TestServers::runCli(cliBase(QStringLiteral("et_int"), csv(QStringLiteral("int3.csv"), {"150,4,21,50,ok", "970,4,21,50,ok"}))
                                                  << QStringLiteral("--export-sql") << script,
                                              QStringLiteral("sandbox"));
    QVERIFY2(exported.exitCode == 0, exported.err.constData());
    const auto psql = TestServers::runPsqlOnSandbox(script);
    QVERIFY2(psql.exitCode == 0, psql.err.constData());
    QCOMPARE(compressedAt(100), qint64(11));
    QCOMPARE(compressedAt(900), qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_int WHERE device_id = 4")), qint64(2));
    QVERIFY(policyScheduled(QStringLiteral("et_int")));
}

void TestEngineSetups::journalOfARunningBackfillIsLeftButAStaleOneIsRecovered()
{
    // recover leaves the journal of a backfill that is still running (its lock file is held) and
    // says so, and another backfill into the same table waits for it; recover finishes a journal
    // whose lock names a dead process, a process id that now belongs to another program (after
    // a restart of the computer, say), or is empty (cut short by a power loss) — and refreshes
    // the continuous aggregates over what the interrupted run committed.
    createTable(QStringLiteral("et_lock"));
    createDailyAggregate(QStringLiteral("et_lock"));
    const QString journals = m_dir.filePath(QStringLiteral("my.journals"));
    const QStringList recover{QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                              QStringLiteral("--journal-dir"), journals};
    // Dies after its first range committed (device 3 on 2026-08-20).
    auto crash = [&](const QString &name, int device) {
        const QString file = csv(name, {row("2026-08-20 10:15:00+00", device), row("2026-08-21 10:15:00+00", device)});
        const auto crashed = TestServers::runCli(cliBase(QStringLiteral("et_lock"), file), QStringLiteral("sandbox"),
                                                 {QStringLiteral("BFS_CRASH_AT=chunk_done")});
        QCOMPARE(crashed.exitCode, 137);
        QVERIFY(!policyScheduled(QStringLiteral("et_lock")));
        QCOMPARE(Journal::unfinished(journals).size(), 1);
    };
    crash(QStringLiteral("lock.csv"), 3);
    const QString lockPath = Journal::unfinished(journals).first() + QStringLiteral(".lock");
    QVERIFY(QFile::exists(lockPath)); // left by the process that died
    {
        QLockFile running(lockPath); // a run going on: here, this process holds the lock
        running.setStaleLockTime(0);
        QVERIFY(running.tryLock(0)); // (the dead process's lock is stale: taken over)
        const QByteArray holder = "process " + QByteArray::number(QCoreApplication::applicationPid()) + " on ";
        const auto left = TestServers::runCli(recover, QStringLiteral("sandbox"));
        QCOMPARE(left.exitCode, 0);
        QVERIFY2(left.out.contains("is still running (" + holder), left.out.constData());
        QVERIFY(!policyScheduled(QStringLiteral("et_lock")));
        QCOMPARE(Journal::unfinished(journals).size(), 1);
        const auto second = TestServers::runCli(cliBase(QStringLiteral("et_lock"), csv(QStringLiteral("other.csv"), {row("2026-08-22 10:15:00+00", 7)})),
                                                QStringLiteral("sandbox"));
        QCOMPARE(second.exitCode, 4);
        QVERIFY2(second.err.contains("Nothing was changed: another backfill into public.et_lock is running (" + holder), second.err.constData());
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_lock WHERE device_id = 7")), qint64(0));
    }
    // The lock of a process whose id another program now has.
    QProcess other; // (cmake runs the tests, so it is there on every system)
    other.start(QStringLiteral(BFS_CMAKE_COMMAND), {QStringLiteral("-E"), QStringLiteral("sleep"), QStringLiteral("60")});
    QVERIFY(other.waitForStarted());
    QFile lock(lockPath);
    QVERIFY(lock.open(QIODevice::WriteOnly));
    lock.write(QByteArray::number(other.processId()) + "\nbackfill-studio-cli\n\n");
    lock.close();
    const auto recovered = TestServers::runCli(recover, QStringLiteral("sandbox"));
    other.kill();
    other.waitForFinished();
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    QVERIFY2(!recovered.out.contains("still running"), recovered.out.constData());
    QVERIFY(policyScheduled(QStringLiteral("et_lock")));
    QVERIFY(Journal::unfinished(journals).isEmpty());
    QVERIFY(!QFile::exists(lockPath));
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_lock_daily WHERE device_id = 3")), qint64(1)); // the committed range

    // An empty lock file, older than a moment.
    crash(QStringLiteral("lock2.csv"), 4);
    const QString lockPath2 = Journal::unfinished(journals).first() + QStringLiteral(".lock");
    QFile empty(lockPath2);
    QVERIFY(empty.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QVERIFY(empty.setFileTime(QDateTime::currentDateTime().addSecs(-60), QFileDevice::FileModificationTime));
    empty.close();
    const auto recoveredEmpty = TestServers::runCli(recover, QStringLiteral("sandbox"));
    QVERIFY2(recoveredEmpty.exitCode == 0, recoveredEmpty.err.constData());
    QVERIFY2(!recoveredEmpty.out.contains("still running"), recoveredEmpty.out.constData());
    QVERIFY(policyScheduled(QStringLiteral("et_lock")));
    QVERIFY(Journal::unfinished(journals).isEmpty());
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_lock_daily WHERE device_id = 4")), qint64(1));
}

void TestEngineSetups::aFileWithoutRowsChangesNothing()
{
    // A header alone, or rejected rows only: the run paused and resumed the policy for nothing.
    createTable(QStringLiteral("et_norows"));
    BackfillEngine::Options o;
    o.load.table = QStringLiteral("et_norows");
    for (const QList<QByteArray> &rows : {QList<QByteArray>(), QList<QByteArray>{QByteArray("2026-08-20 10:15:00+00,seven,1,1,ok")}}) {
        o.load.csvPath = csv(QStringLiteral("norows.csv"), rows);
        const BackfillEngine::Result r = run(o);
        QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
        QVERIFY2(r.message.contains(QLatin1String("nothing to load into public.et_norows, and nothing was changed")), qPrintable(r.message));
        QCOMPARE(r.load.rowsRejected, qint64(rows.size()));
        QVERIFY(r.load.accountedFor());
        QVERIFY(!r.policyPaused);
        QVERIFY(r.journalPath.isEmpty() || !QFile::exists(r.journalPath));
        QVERIFY(policyScheduled(QStringLiteral("et_norows")));
    }
}

QTEST_GUILESS_MAIN(TestEngineSetups)
#include "tst_engine_setups.moc"
