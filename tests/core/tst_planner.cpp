// The planner's decisions over the TimescaleDB version matrix and its bug windows.
#include "BackfillEngine.h"
#include "BackfillPlanner.h"

#include <QtTest>

using namespace bfs;
using Action = BackfillPlan::Action;
using Conflict = CsvLoader::Conflict;

Q_DECLARE_METATYPE(BackfillPlan::Action)
Q_DECLARE_METATYPE(CsvLoader::Conflict)

namespace {

ChunkInfo chunk(int day, ChunkInfo::State state)
{
    ChunkInfo c;
    c.schema = QStringLiteral("_timescaledb_internal");
    c.name = QStringLiteral("_hyper_1_%1_chunk").arg(day);
    c.rangeStart = QDateTime(QDate(2026, 8, day), QTime(0, 0), Qt::UTC);
    c.rangeEnd = c.rangeStart.addDays(1);
    c.state = state;
    return c;
}

HypertableInfo hypertable(int uniqueKeys, bool expressionKey = false)
{
    HypertableInfo h;
    h.schema = QStringLiteral("public");
    h.name = QStringLiteral("conditions");
    h.owner = QStringLiteral("postgres");
    h.compressionEnabled = true;
    DimensionInfo t;
    t.column = QStringLiteral("time");
    t.columnType = QStringLiteral("timestamp with time zone");
    t.timeInterval = QStringLiteral("1 day");
    h.dimensions << t;
    for (int i = 0; i < uniqueKeys; ++i) {
        UniqueKey k;
        k.name = QStringLiteral("key%1").arg(i);
        k.columns = {QStringLiteral("time"), QStringLiteral("device_id")};
        k.hasExpression = expressionKey && i == 0;
        h.uniqueKeys << k;
    }
    h.chunks << chunk(1, ChunkInfo::State::Compressed) << chunk(2, ChunkInfo::State::Uncompressed);
    PolicyJob job;
    job.jobId = 1000;
    job.procName = QStringLiteral("policy_compression");
    job.scheduled = true;
    job.owner = QStringLiteral("postgres");
    job.compressAfter = QStringLiteral("30 days");
    h.policies << job;
    return h;
}

BackfillPlanner::Input input(const QString &version, int uniqueKeys, Conflict conflict, qint64 rowsInCompressed = 100)
{
    BackfillPlanner::Input in;
    in.version = TimescaleVersion::parse(version);
    in.hypertable = hypertable(uniqueKeys);
    in.conflict = conflict;
    in.currentUser = QStringLiteral("postgres");
    in.summary.stagedRows = rowsInCompressed + 10;
    in.summary.chunks << StageSummary::ChunkRows{QStringLiteral("_timescaledb_internal"), QStringLiteral("_hyper_1_1_chunk"), rowsInCompressed, -1};
    in.summary.chunks << StageSummary::ChunkRows{QStringLiteral("_timescaledb_internal"), QStringLiteral("_hyper_1_2_chunk"), 10, -1};
    in.summary.minTime = QDateTime(QDate(2026, 8, 1), QTime(0, 0), Qt::UTC);
    return in;
}

} // namespace

class TestPlanner : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void compressedChunkActionByVersion_data();
    void compressedChunkActionByVersion();
    void uncompressedChunksAreAlwaysDirect();
    void rowsOutsideChunksMakeNewChunks();
    void largeBatchesAreDecompressed();
    void rowsAreCompressedOnInsertWhereTimescaleDbCan_data();
    void rowsAreCompressedOnInsertWhereTimescaleDbCan();
    void overridesAreHonoured();
    void droppedAndGeneratedColumnsAreDecompressed_data();
    void droppedAndGeneratedColumnsAreDecompressed();
    void policyIsPausedOrLeftAlone();
    void missingPrivilegesBlockBeforeAnyChange();
    void frozenChunkBlocks();
    void rowsARetentionPolicyDropsAreAWarning();
    void apacheLicenseBlocksCompressedTargets();
    void sessionSettingsAndRecompressionFollowVersion();
    void integerTimeAndSpacePartitions();
    void planTextNamesEveryDecision();
    void conflictsNameEveryUniqueKey();
    void exportedScriptQuotesWhatItCannotTrust();
};

void TestPlanner::compressedChunkActionByVersion_data()
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<int>("uniqueKeys");
    QTest::addColumn<CsvLoader::Conflict>("conflict");
    QTest::addColumn<BackfillPlan::Action>("action");
    QTest::addColumn<QString>("because");

    const auto D = Action::DirectInsert;
    const auto X = Action::DecompressInsertRecompress;
    const auto E = Conflict::Error, S = Conflict::Skip, U = Conflict::Update;
    QTest::newRow("2.9.3 no key") << "2.9.3" << 0 << E << D << "compressed into the chunk";
    QTest::newRow("2.9.3 unique key") << "2.9.3" << 1 << E << X << "primary or unique constraint";
    QTest::newRow("2.9.3 unique key skip") << "2.9.3" << 1 << S << X << "allowed from 2.11";
    QTest::newRow("2.10.2 no key") << "2.10.2" << 0 << S << D << "uncompressed part";
    QTest::newRow("2.10.2 unique key") << "2.10.2" << 1 << E << X << "SQLSTATE 0A000";
    QTest::newRow("2.11.2 unique key") << "2.11.2" << 1 << E << D << "unique constraints included";
    QTest::newRow("2.11.2 skip") << "2.11.2" << 1 << S << D << "allowed from 2.11";
    QTest::newRow("2.11.2 update") << "2.11.2" << 1 << U << D << "DO UPDATE decompresses only";
    QTest::newRow("2.11.2 two keys") << "2.11.2" << 2 << E << X << "before TimescaleDB 2.15.3";
    QTest::newRow("2.13.0 unique key") << "2.13.0" << 1 << E << D << "allowed from 2.11";
    QTest::newRow("2.16.1 skip (bug window)") << "2.16.1" << 1 << S << X << "2.16.0–2.18.0";
    QTest::newRow("2.16.1 error") << "2.16.1" << 1 << E << D << "decompresses nothing";
    QTest::newRow("2.16.1 update") << "2.16.1" << 1 << U << D << "DO UPDATE";
    QTest::newRow("2.18.0 skip (bug window)") << "2.18.0" << 1 << S << X << "fixed in 2.18.1";
    QTest::newRow("2.18.1 skip") << "2.18.1" << 1 << S << D << "decompresses nothing";
    QTest::newRow("2.23.0-dev skip") << "2.23.0-dev" << 1 << S << D << "2.23.0-dev inserts into compressed chunks directly";
    QTest::newRow("2.28.3 two keys") << "2.28.3" << 2 << E << D << "unique constraints included";
    QTest::newRow("2.28.3 update") << "2.28.3" << 1 << U << D << "DO UPDATE";
    QTest::newRow("2.2.0 no key") << "2.2.0" << 0 << E << X << "allowed from 2.3";
}

void TestPlanner::compressedChunkActionByVersion()
{
    QFETCH(QString, version);
    QFETCH(int, uniqueKeys);
    QFETCH(CsvLoader::Conflict, conflict);
    QFETCH(BackfillPlan::Action, action);
    QFETCH(QString, because);
    const BackfillPlan p = BackfillPlanner::plan(input(version, uniqueKeys, conflict));
    QVERIFY(p.runnable());
    QCOMPARE(p.chunks.size(), 2);
    QCOMPARE(p.chunks.at(0).action, action);
    QVERIFY2(p.chunks.at(0).reason.contains(because), qPrintable(p.chunks.at(0).reason));
    QVERIFY(p.chunks.at(0).recompress);
}

void TestPlanner::uncompressedChunksAreAlwaysDirect()
{
    for (const char *v : {"2.9.3", "2.11.2", "2.23.0"}) {
        const BackfillPlan p = BackfillPlanner::plan(input(QString::fromLatin1(v), 1, Conflict::Skip));
        QCOMPARE(p.chunks.at(1).action, Action::DirectInsert);
        QVERIFY(p.chunks.at(1).reason.contains(QLatin1String("not compressed")));
        QVERIFY(!p.chunks.at(1).recompress);
    }
}

void TestPlanner::rowsOutsideChunksMakeNewChunks()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    in.summary.rowsOutsideChunks = 840;
    const BackfillPlan p = BackfillPlanner::plan(in);
    QCOMPARE(p.newChunkRows, qint64(840));
    QVERIFY(p.newChunkReason.contains(QLatin1String("840 rows fall outside every existing chunk")));
    QVERIFY(p.compressNewChunks);
    QVERIFY(p.recompressReason.contains(QLatin1String("compress_after (30 days)")));
}

void TestPlanner::largeBatchesAreDecompressed()
{
    const BackfillPlan p = BackfillPlanner::plan(input(QStringLiteral("2.23.0"), 1, Conflict::Skip, 250000));
    QCOMPARE(p.chunks.at(0).action, Action::DecompressInsertRecompress);
    QVERIFY2(p.chunks.at(0).reason.contains(QLatin1String("250000 rows")), qPrintable(p.chunks.at(0).reason));
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip, 250000);
    in.overrides.forceDirect = true;
    QCOMPARE(BackfillPlanner::plan(in).chunks.at(0).action, Action::DirectInsert);
}

void TestPlanner::rowsAreCompressedOnInsertWhereTimescaleDbCan_data()
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<int>("uniqueKeys");
    QTest::addColumn<QStringList>("triggers");
    QTest::addColumn<bool>("check");   // a CHECK constraint, which direct compression does not check
    QTest::addColumn<bool>("partial"); // the chunk was partially compressed before
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<bool>("directCompress");
    QTest::newRow("2.23.0, no key, no trigger") << "2.23.0" << 0 << QStringList() << false << false << qint64(100) << true;
    QTest::newRow("2.23.0-dev (the sandbox)") << "2.23.0-dev" << 0 << QStringList() << false << false << qint64(100) << true;
    QTest::newRow("2.28.3, a large batch too") << "2.28.3" << 0 << QStringList() << false << false << qint64(250000) << true;
    QTest::newRow("2.22.1: not there yet") << "2.22.1" << 0 << QStringList() << false << false << qint64(100) << false;
    QTest::newRow("2.23.0 with a unique key") << "2.23.0" << 1 << QStringList() << false << false << qint64(100) << false;
    QTest::newRow("2.23.0 with a continuous aggregate's trigger")
        << "2.23.0" << 0 << QStringList{QStringLiteral("ts_cagg_invalidation_trigger")} << false << false << qint64(100) << false;
    QTest::newRow("2.23.0 with a user trigger") << "2.23.0" << 0 << QStringList{QStringLiteral("audit")} << false << false << qint64(100) << false;
    QTest::newRow("2.23.0 into a partially compressed chunk") << "2.23.0" << 0 << QStringList() << false << true << qint64(100) << false;
    QTest::newRow("2.23.0, 10 rows") << "2.23.0" << 0 << QStringList() << false << false << qint64(10) << true;
    QTest::newRow("2.23.0 with a CHECK constraint") << "2.23.0" << 0 << QStringList() << true << false << qint64(100) << false;
    QTest::newRow("2.23.0, 9 rows: too few for TimescaleDB") << "2.23.0" << 0 << QStringList() << false << false << qint64(9) << false;
}

void TestPlanner::rowsAreCompressedOnInsertWhereTimescaleDbCan()
{
    QFETCH(QString, version);
    QFETCH(int, uniqueKeys);
    QFETCH(QStringList, triggers);
    QFETCH(bool, check);
    QFETCH(bool, partial);
    QFETCH(qint64, rows);
    QFETCH(bool, directCompress);
    BackfillPlanner::Input in = input(version, uniqueKeys, Conflict::Skip, rows);
    in.hypertable.triggers = triggers;
    in.hypertable.hasCheckConstraints = check;
    if (partial)
        in.hypertable.chunks[0].state = ChunkInfo::State::PartiallyCompressed;
    const BackfillPlan p = BackfillPlanner::plan(in);
    const BackfillPlan::ChunkStep &step = p.chunks.at(0);
    QCOMPARE(step.directCompress, directCompress);
    QCOMPARE(step.reason.contains(QLatin1String("enable_direct_compress_insert")), directCompress);
    QVERIFY(p.recompressInTransaction(step)); // compressed again if TimescaleDB leaves it partial
    if (directCompress)
        QCOMPARE(step.action, Action::DirectInsert); // whatever the batch size
    QVERIFY(!p.chunks.at(1).directCompress);         // an uncompressed chunk stays uncompressed
    if (directCompress) {
        // The user's --decompress still wins.
        in.overrides.forceDecompress = true;
        const BackfillPlan forced = BackfillPlanner::plan(in);
        QCOMPARE(forced.chunks.at(0).action, Action::DecompressInsertRecompress);
        QVERIFY(!forced.chunks.at(0).directCompress);
    }
}

void TestPlanner::overridesAreHonoured()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    in.overrides.forceDecompress = true;
    const BackfillPlan p = BackfillPlanner::plan(in);
    QCOMPARE(p.chunks.at(0).action, Action::DecompressInsertRecompress);
    QVERIFY(p.chunks.at(0).reason.contains(QLatin1String("you asked")));
    // Forcing direct insert never overrides the version matrix: 2.9 with a unique key still decompresses.
    BackfillPlanner::Input old = input(QStringLiteral("2.9.3"), 1, Conflict::Error);
    old.overrides.forceDirect = true;
    QCOMPARE(BackfillPlanner::plan(old).chunks.at(0).action, Action::DecompressInsertRecompress);
    in.overrides.forceDecompress = false;
    in.overrides.leaveRecompressionToPolicy = true;
    const BackfillPlan later = BackfillPlanner::plan(in);
    QVERIFY(!later.recompressNow);
    QVERIFY(later.recompressReason.contains(QLatin1String("left to policy job 1000")));
}

void TestPlanner::droppedAndGeneratedColumnsAreDecompressed_data()
{
    QTest::addColumn<bool>("dropped");
    QTest::addColumn<bool>("generated");
    QTest::addColumn<int>("uniqueKeys");
    QTest::addColumn<bool>("decompress");
    QTest::newRow("both, key") << true << true << 1 << true;
    QTest::newRow("both, no key (no direct compression either)") << true << true << 0 << true;
    QTest::newRow("dropped only") << true << false << 1 << false;
    QTest::newRow("generated only") << false << true << 1 << false;
}

void TestPlanner::droppedAndGeneratedColumnsAreDecompressed()
{
    // TimescaleDB 2.23.0 fails any INSERT into a compressed chunk of a table with both.
    QFETCH(bool, dropped);
    QFETCH(bool, generated);
    QFETCH(int, uniqueKeys);
    QFETCH(bool, decompress);
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), uniqueKeys, Conflict::Skip);
    in.hypertable.hasDroppedColumns = dropped;
    in.hypertable.hasGeneratedColumns = generated;
    in.overrides.forceDirect = true; // not safe here: not honoured
    const BackfillPlan p = BackfillPlanner::plan(in);
    QCOMPARE(p.chunks.at(0).action == Action::DecompressInsertRecompress, decompress);
    QVERIFY(!decompress || !p.chunks.at(0).directCompress);
    if (decompress)
        QVERIFY2(p.chunks.at(0).reason.contains(QLatin1String("dropped column and a generated column")), qPrintable(p.chunks.at(0).reason));
}

void TestPlanner::policyIsPausedOrLeftAlone()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    BackfillPlan p = BackfillPlanner::plan(in);
    QVERIFY(p.pausePolicy);
    QCOMPARE(p.policy.jobId, 1000);
    QVERIFY(p.policyReason.contains(QLatin1String("scheduled again in every outcome")));
    in.hypertable.policies.first().scheduled = false;
    p = BackfillPlanner::plan(in);
    QVERIFY(!p.pausePolicy);
    QVERIFY(p.policyReason.contains(QLatin1String("already paused")));
    in.hypertable.policies.clear();
    p = BackfillPlanner::plan(in);
    QVERIFY(!p.hasPolicy);
    QVERIFY(p.policyReason.contains(QLatin1String("no compression policy")));
}

void TestPlanner::missingPrivilegesBlockBeforeAnyChange()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    in.currentUser = QStringLiteral("analyst");
    in.ownsHypertable = false;
    in.memberOfJobOwner = false;
    const BackfillPlan p = BackfillPlanner::plan(in);
    QVERIFY(!p.runnable());
    QCOMPARE(p.blockers.size(), 2);
    QVERIFY(p.blockers.at(0).contains(QLatin1String("role analyst does not own public.conditions (owner: postgres)")));
    QVERIFY(p.blockers.at(1).contains(QLatin1String("does not have the privileges of postgres, which owns compression policy job 1000")));
    // The owner's role, without INSERT; an aggregate someone else owns.
    in.ownsHypertable = true;
    in.memberOfJobOwner = true;
    in.missingPrivileges = {QStringLiteral("INSERT"), QStringLiteral("UPDATE")};
    in.aggregatesNotOwned = {QStringLiteral("public.daily (owner: reporting)")};
    const BackfillPlan q = BackfillPlanner::plan(in);
    QCOMPARE(q.blockers, (QStringList{QStringLiteral("role analyst lacks the INSERT and UPDATE privilege on public.conditions, which the load needs"),
                                      QStringLiteral("role analyst does not own continuous aggregate public.daily (owner: reporting): "
                                                     "refreshing it over the backfilled range needs the owner's privileges")}));
}

void TestPlanner::frozenChunkBlocks()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    in.hypertable.chunks[0].state = ChunkInfo::State::Frozen;
    const BackfillPlan p = BackfillPlanner::plan(in);
    QCOMPARE(p.chunks.at(0).action, Action::Blocked);
    QVERIFY(!p.runnable());
    QVERIFY(p.blockers.first().contains(QLatin1String("_hyper_1_1_chunk")));
}

void TestPlanner::rowsARetentionPolicyDropsAreAWarning()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    PolicyJob retention;
    retention.jobId = 1001;
    retention.procName = QStringLiteral("policy_retention");
    retention.dropAfter = QStringLiteral("90 days");
    retention.nextStart = QDateTime(QDate(2026, 11, 25), QTime(12, 0), Qt::UTC);
    in.hypertable.policies << retention;
    // The run counted none (or had no cutoff): nothing to say.
    QVERIFY(BackfillPlanner::plan(in).warnings.isEmpty());
    in.summary.rowsBeforeRetention = 0;
    in.summary.retentionBoundary = QStringLiteral("2026-08-27 00:00 UTC");
    QVERIFY(BackfillPlanner::plan(in).warnings.isEmpty());
    in.summary.rowsBeforeRetention = 40;
    const BackfillPlan p = BackfillPlanner::plan(in);
    QVERIFY(p.runnable());
    QCOMPARE(p.warnings, QStringList{QStringLiteral(
        "40 of the staged rows (those before 2026-08-27 00:00 UTC) lie in chunks that end more than 90 days before now: retention "
        "policy job 1001 drops those chunks at its next run (due 2026-11-25 12:00 UTC), and the rows with them. Pause it first "
        "(SELECT alter_job(1001, scheduled => false)) or leave those rows out")});
    QVERIFY(p.toText().contains(QStringLiteral("WARNING: 40 of the staged rows")));
    // Update mode, a dry run that found rows meeting another key: the run would stop there.
    in.conflict = Conflict::Update;
    in.summary.rowsMeetingOtherKey = 2;
    QVERIFY2(BackfillPlanner::plan(in).blockers.join(QLatin1Char('|')).contains(QLatin1String(
                 "2 staged rows meet a row of public.conditions through another unique key than the one the update matches on")),
             qPrintable(BackfillPlanner::plan(in).blockers.join(QLatin1Char('|'))));
    // The exported script carries it as a comment.
    CsvLoader::Summary load;
    load.mapping << CsvLoader::ColumnMapping{QStringLiteral("time"), 0, QStringLiteral("time"), QStringLiteral("timestamp with time zone"), QString()};
    QVERIFY(BackfillEngine::exportSql(p, load, QStringLiteral("in.csv")).beforeRows.contains(QStringLiteral("-- WARNING: 40 of the staged rows")));
}

void TestPlanner::apacheLicenseBlocksCompressedTargets()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    in.license = QStringLiteral("apache");
    QVERIFY(!BackfillPlanner::plan(in).runnable());
}

void TestPlanner::sessionSettingsAndRecompressionFollowVersion()
{
    const BackfillPlan modern = BackfillPlanner::plan(input(QStringLiteral("2.23.0"), 1, Conflict::Skip));
    QVERIFY(modern.setDecompressionLimit);
    QVERIFY(!modern.useRecompressProcedure);
    QCOMPARE(modern.sessionSettings.first(), QStringLiteral("SET lock_timeout = '5000ms'"));
    const BackfillPlan old = BackfillPlanner::plan(input(QStringLiteral("2.11.2"), 1, Conflict::Skip));
    QVERIFY(!old.setDecompressionLimit); // the limit exists from 2.14
    QVERIFY(old.useRecompressProcedure);  // recompress_chunk before 2.14
    QVERIFY(old.recompressReason.contains(QLatin1String("recompress_chunk")));
}

void TestPlanner::integerTimeAndSpacePartitions()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.23.0"), 1, Conflict::Skip);
    in.hypertable.dimensions.first().timeInterval.clear();
    in.hypertable.dimensions.first().integerInterval = 1000;
    DimensionInfo space;
    space.isTime = false;
    space.column = QStringLiteral("device_id");
    space.numPartitions = 2;
    in.hypertable.dimensions << space;
    ChunkInfo second = chunk(1, ChunkInfo::State::Compressed);
    second.name = QStringLiteral("_hyper_1_9_chunk"); // same range, other partition
    in.hypertable.chunks << second;
    in.summary.chunks << StageSummary::ChunkRows{second.schema, second.name, 100, -1};
    const BackfillPlan p = BackfillPlanner::plan(in);
    QCOMPARE(p.chunks.size(), 3);
    QCOMPARE(p.chunks.at(2).chunk.name, QStringLiteral("_hyper_1_9_chunk"));
    QCOMPARE(p.chunks.at(2).action, Action::DirectInsert);
    QCOMPARE(p.timeColumn, QStringLiteral("time"));
    // Each chunk of the range takes its own partition's rows (the rest go to a new chunk); the
    // decisions still go by the range's rows, which one INSERT writes.
    // (a large batch from 80 rows: the range's 100 make the chunk decompressed, its own 60 would not)
    in.overrides.largeBatchRows = 80;
    const BackfillPlan whole = BackfillPlanner::plan(in);
    in.summary.chunks[0].own = 60;
    in.summary.chunks[2].own = 30;
    const BackfillPlan split = BackfillPlanner::plan(in);
    QCOMPARE(split.chunks.at(0).rows, qint64(60));
    QCOMPARE(split.chunks.at(0).rangeRows, qint64(100));
    QCOMPARE(split.chunks.at(2).rows, qint64(30));
    QCOMPARE(whole.chunks.at(0).action, Action::DecompressInsertRecompress);
    QCOMPARE(split.chunks.at(0).action, Action::DecompressInsertRecompress);
    // A chunk none of whose partition's rows are staged is left as it is.
    in.summary.chunks[2].own = 0;
    const BackfillPlan none = BackfillPlanner::plan(in);
    QCOMPARE(none.chunks.at(2).action, Action::DirectInsert);
    QVERIFY(!none.chunks.at(2).recompress);
    QVERIFY(none.chunks.at(2).reason.contains(QLatin1String("none of the staged rows belong to its space partition")));
    QVERIFY2(split.toText().contains(QLatin1String("10 rows of those time ranges go to new chunks of space partitions")),
             qPrintable(split.toText()));
}

void TestPlanner::planTextNamesEveryDecision()
{
    BackfillPlanner::Input in = input(QStringLiteral("2.16.1"), 1, Conflict::Skip);
    in.summary.existingRows = 7;
    const QString text = BackfillPlanner::plan(in).toText();
    QVERIFY(text.contains(QLatin1String("Plan for public.conditions (TimescaleDB 2.16.1)")));
    QVERIFY(text.contains(QLatin1String("7 staged rows already exist")));
    QVERIFY(text.contains(QLatin1String("_hyper_1_1_chunk  100 rows  decompress, insert, recompress")));
    QVERIFY(text.contains(QLatin1String("Policy:")));
    QVERIFY(text.contains(QLatin1String("Recompress:")));
}

void TestPlanner::conflictsNameEveryUniqueKey()
{
    // Two unique keys: skip and error look at both; update goes through the one the load names,
    // and says what a row meeting only the other one does.
    BackfillPlanner::Input in = input(QStringLiteral("2.16.1"), 2, Conflict::Skip);
    in.hypertable.uniqueKeys[1].columns = {QStringLiteral("time"), QStringLiteral("code")};
    QVERIFY2(BackfillPlanner::plan(in).conflictReason.startsWith(QLatin1String("rows whose (time, device_id) or (time, code) already exists are skipped")),
             qPrintable(BackfillPlanner::plan(in).conflictReason));
    in.conflict = Conflict::Update;
    in.conflictKey = {QStringLiteral("time"), QStringLiteral("code")};
    const QString update = BackfillPlanner::plan(in).conflictReason;
    QVERIFY2(update.startsWith(QLatin1String("rows whose (time, code) already exists update the other columns")), qPrintable(update));
    QVERIFY2(update.contains(QLatin1String("a row that meets an existing (time, device_id) while its (time, code) is new stops the run")),
             qPrintable(update));
    // An index on an expression, a partial one: said as such, not as "(time, )".
    in.conflict = Conflict::Skip;
    in.hypertable.uniqueKeys[1].columns = {QStringLiteral("time"), QString()};
    in.hypertable.uniqueKeys[1].hasExpression = true;
    in.hypertable.uniqueKeys[1].partial = true;
    const QString skip = BackfillPlanner::plan(in).conflictReason;
    QVERIFY2(skip.startsWith(QLatin1String("rows whose (time, device_id) or (time, an expression) (where its index's condition holds) "
                                           "already exists are skipped")),
             qPrintable(skip));
}

void TestPlanner::exportedScriptQuotesWhatItCannotTrust()
{
    // Names from the server (chunks in a schema a user named, a table name) reach the script:
    // in comments they never start a line of their own (psql ends a line at CR too), and the
    // dollar quote of the failure message is one the message does not contain.
    BackfillPlanner::Input in = input(QStringLiteral("2.16.1"), 1, Conflict::Skip);
    in.hypertable.name = QStringLiteral("t\r\\! touch x");
    in.hypertable.chunks[0].name = QStringLiteral("$bfs$\r\\! touch y");
    in.hypertable.chunks[0].quotedName.clear();
    in.summary.chunks[0].name = in.hypertable.chunks[0].name;
    const BackfillPlan p = BackfillPlanner::plan(in);
    QVERIFY(p.pausePolicy);
    CsvLoader::Summary load;
    load.mapping << CsvLoader::ColumnMapping{QStringLiteral("time"), 0, QStringLiteral("time"), QStringLiteral("timestamp with time zone"), QString()};
    const BackfillEngine::Script script = BackfillEngine::exportSql(p, load, QStringLiteral("in\rput.csv"));
    const QString sql = script.beforeRows + script.afterRows;
    QVERIFY2(sql.contains(QLatin1String("-- Backfill Studio: plan for public.t\n-- \\! touch x")), qPrintable(sql));
    QVERIFY2(sql.contains(QLatin1String("read from in\n-- put.csv")), qPrintable(sql));
    QVERIFY2(sql.contains(QLatin1String("DO $bfs1$BEGIN RAISE EXCEPTION")), qPrintable(sql));
    // Every failure block's body: its dollar quote opens and closes it and nothing in between.
    int blocks = 0;
    for (qsizetype at = sql.indexOf(QLatin1String("DO $")); at >= 0; at = sql.indexOf(QLatin1String("DO $"), at + 1), ++blocks) {
        const qsizetype open = at + 3, begin = sql.indexOf(QLatin1String("BEGIN"), open);
        const QString tag = sql.mid(open, begin - open);
        const qsizetype close = sql.indexOf(tag + QLatin1Char(';'), begin);
        QVERIFY(close > begin);
        QVERIFY2(!sql.mid(begin, close - begin).contains(tag), qPrintable(sql.mid(at, close - at + tag.size())));
    }
    QVERIFY(blocks >= 2);
}

QTEST_GUILESS_MAIN(TestPlanner)
#include "tst_planner.moc"
