// The inspector against the TimescaleDB sandbox seeded with the demo data, plus
// hypertables each test creates for itself (the sandbox is one shared session).
#include "Database.h"
#include "ServerInspector.h"
#include "TestServers.h"

#include <QtTest>

using namespace bfs;

class TestInspectorSandbox : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void reportsTimescaleVersionAndLicense();
    void listsTheDemoHypertable();
    void chunksCoverNinetyDaysOlderOnesCompressed();
    void compressedChunksReportSizes();
    void timeDimensionAndCompressionSettings();
    void uniqueKeysAreListed();
    void compressionPolicyIsListed();
    void integerTimeHypertable();
    void spacePartitionsAreListed();
    void insertIntoCompressedChunkShowsPartialState();
    void quotedIdentifiersWork();
    void unknownTableIsTypedError();

private:
    void run(const QString &sql);
    HypertableInfo inspectTable(const QString &table);
};

void TestInspectorSandbox::initTestCase()
{
    QVERIFY2(TestServers::sandboxPort() > 0, "sandbox fixture not running");
}

void TestInspectorSandbox::run(const QString &sql)
{
    Database db(TestServers::sandbox());
    DbError error;
    QVERIFY2(db.open(&error), qPrintable(error.toString()));
    QVERIFY2(db.execScript(sql, &error), qPrintable(error.toString()));
}

HypertableInfo TestInspectorSandbox::inspectTable(const QString &table)
{
    ServerInspector::Options o;
    o.table = table;
    const ServerInspection in = ServerInspector::inspect(TestServers::sandbox(), o);
    if (!in.ok() || in.hypertables.size() != 1) {
        qWarning("inspect %s: %s", qPrintable(table), qPrintable(in.error.toString()));
        return HypertableInfo();
    }
    return in.hypertables.first();
}

void TestInspectorSandbox::reportsTimescaleVersionAndLicense()
{
    const ServerInspection in = ServerInspector::inspect(TestServers::sandbox());
    QVERIFY2(in.ok(), qPrintable(in.error.toString()));
    QVERIFY(in.timescaleInstalled);
    QCOMPARE(in.timescaleVersion.major, 2);
    QCOMPARE(in.timescaleVersion.minor, 23);
    QCOMPARE(in.timescaleVersion.suffix, QStringLiteral("dev"));
    QCOMPARE(in.license, QStringLiteral("timescale"));
    QVERIFY(in.compressionAvailable());
    QVERIFY(in.serverVersionNum >= 170000);
}

void TestInspectorSandbox::listsTheDemoHypertable()
{
    const ServerInspection in = ServerInspector::inspect(TestServers::sandbox());
    QVERIFY2(in.ok(), qPrintable(in.error.toString()));
    const HypertableInfo *h = in.hypertable(QStringLiteral("public"), QStringLiteral("conditions"));
    QVERIFY(h);
    QCOMPARE(h->owner, QStringLiteral("postgres"));
    QVERIFY(h->compressionEnabled);
    QCOMPARE(h->numDimensions, 1);
}

void TestInspectorSandbox::chunksCoverNinetyDaysOlderOnesCompressed()
{
    const HypertableInfo h = inspectTable(QStringLiteral("public.conditions"));
    QCOMPARE(h.chunks.size(), 90);
    QCOMPARE(h.chunks.first().rangeStart, QDateTime(QDate(2026, 8, 3), QTime(0, 0), Qt::UTC));
    QCOMPARE(h.chunks.last().rangeEnd, QDateTime(QDate(2026, 11, 1), QTime(0, 0), Qt::UTC));
    for (int i = 0; i < h.chunks.size(); ++i) {
        const ChunkInfo &c = h.chunks.at(i);
        QCOMPARE(c.rangeStart.secsTo(c.rangeEnd), qint64(86400));
        if (i > 0)
            QCOMPARE(c.rangeStart, h.chunks.at(i - 1).rangeEnd);
        // Chunks ending on or before 2026-10-02 were compressed by the seed, the rest not.
        const bool old = c.rangeEnd <= QDateTime(QDate(2026, 10, 2), QTime(0, 0), Qt::UTC);
        QCOMPARE(c.state, old ? ChunkInfo::State::Compressed : ChunkInfo::State::Uncompressed);
        QCOMPARE(c.schema, QStringLiteral("_timescaledb_internal"));
    }
    QCOMPARE(h.compressedChunkCount(), 60);
}

void TestInspectorSandbox::compressedChunksReportSizes()
{
    const HypertableInfo h = inspectTable(QStringLiteral("conditions"));
    QVERIFY(!h.chunks.isEmpty());
    for (const ChunkInfo &c : h.chunks) {
        QVERIFY2(c.totalBytes > 0, qPrintable(c.name));
        if (c.state == ChunkInfo::State::Compressed) {
            QVERIFY2(c.bytesBefore > 0 && c.bytesAfter > 0, qPrintable(c.name));
        } else {
            QCOMPARE(c.bytesBefore, qint64(-1));
        }
    }
}

void TestInspectorSandbox::timeDimensionAndCompressionSettings()
{
    const HypertableInfo h = inspectTable(QStringLiteral("conditions"));
    const DimensionInfo *t = h.timeDimension();
    QVERIFY(t);
    QCOMPARE(t->column, QStringLiteral("time"));
    QCOMPARE(t->columnType, QStringLiteral("timestamp with time zone"));
    QCOMPARE(t->timeInterval, QStringLiteral("1 day"));
    QCOMPARE(t->intervalMicroseconds, qint64(86400) * 1000000);
    QVERIFY(!t->isIntegerTime());
    QCOMPARE(h.segmentBy(), QStringList{QStringLiteral("device_id")});
    QCOMPARE(h.orderBy(), QStringLiteral("time DESC"));
}

void TestInspectorSandbox::uniqueKeysAreListed()
{
    const HypertableInfo h = inspectTable(QStringLiteral("conditions"));
    QCOMPARE(h.uniqueKeys.size(), 1);
    QCOMPARE(h.uniqueKeys.first().columns, (QStringList{QStringLiteral("time"), QStringLiteral("device_id")}));
    QVERIFY(!h.uniqueKeys.first().primaryKey);
    QVERIFY(!h.uniqueKeys.first().hasExpression);
}

void TestInspectorSandbox::compressionPolicyIsListed()
{
    const HypertableInfo h = inspectTable(QStringLiteral("conditions"));
    const PolicyJob *p = h.compressionPolicy();
    QVERIFY(p);
    QVERIFY(p->jobId >= 1000);
    QVERIFY(p->scheduled);
    QCOMPARE(p->compressAfter, QStringLiteral("30 days"));
    QCOMPARE(p->owner, QStringLiteral("postgres"));
}

void TestInspectorSandbox::integerTimeHypertable()
{
    run(QStringLiteral(
        "DROP TABLE IF EXISTS it_counters;"
        "CREATE TABLE it_counters (ts bigint NOT NULL, v int, PRIMARY KEY (ts));"
        "SELECT create_hypertable('it_counters', 'ts', chunk_time_interval => 1000);"
        "INSERT INTO it_counters SELECT g, g FROM generate_series(0, 2999, 10) g;"));
    const HypertableInfo h = inspectTable(QStringLiteral("it_counters"));
    const DimensionInfo *t = h.timeDimension();
    QVERIFY(t);
    QVERIFY(t->isIntegerTime());
    QCOMPARE(t->integerInterval, qint64(1000));
    QCOMPARE(h.chunks.size(), 3);
    QVERIFY(h.chunks.at(0).integerRange);
    QCOMPARE(h.chunks.at(0).rangeStartInteger, qint64(0));
    QCOMPARE(h.chunks.at(2).rangeEndInteger, qint64(3000));
    QCOMPARE(h.uniqueKeys.size(), 1);
    QVERIFY(h.uniqueKeys.first().primaryKey);
    QVERIFY(h.compressionPolicy() == nullptr);
}

void TestInspectorSandbox::spacePartitionsAreListed()
{
    run(QStringLiteral(
        "DROP TABLE IF EXISTS it_spaced;"
        "CREATE TABLE it_spaced (time timestamptz NOT NULL, device int NOT NULL, v float8);"
        "SELECT create_hypertable('it_spaced', 'time', 'device', 2, chunk_time_interval => interval '1 day');"
        "INSERT INTO it_spaced SELECT timestamptz '2026-01-01' + make_interval(hours => h), d, 1 "
        "  FROM generate_series(0, 23) h, generate_series(1, 4) d;"));
    const HypertableInfo h = inspectTable(QStringLiteral("it_spaced"));
    QCOMPARE(h.dimensions.size(), 2);
    QVERIFY(!h.dimensions.at(1).isTime);
    QCOMPARE(h.dimensions.at(1).column, QStringLiteral("device"));
    QCOMPARE(h.dimensions.at(1).numPartitions, 2);
    // One time range, one chunk per space partition that received rows.
    QCOMPARE(h.chunks.size(), 2);
    QCOMPARE(h.chunks.at(0).rangeStart, h.chunks.at(1).rangeStart);
}

void TestInspectorSandbox::insertIntoCompressedChunkShowsPartialState()
{
    run(QStringLiteral(
        "DROP TABLE IF EXISTS it_partial;"
        "CREATE TABLE it_partial (time timestamptz NOT NULL, v float8);"
        "SELECT create_hypertable('it_partial', 'time', chunk_time_interval => interval '1 day');"
        "INSERT INTO it_partial SELECT timestamptz '2026-02-01' + make_interval(mins => m), m FROM generate_series(0, 2879, 60) m;"
        "ALTER TABLE it_partial SET (timescaledb.compress);"
        "SELECT compress_chunk(c, true) FROM show_chunks('it_partial') c;"
        "INSERT INTO it_partial VALUES ('2026-02-01 00:30:00+00', -1);"));
    const HypertableInfo h = inspectTable(QStringLiteral("it_partial"));
    QCOMPARE(h.chunks.size(), 2);
    QCOMPARE(h.chunks.at(0).state, ChunkInfo::State::PartiallyCompressed);
    QCOMPARE(h.chunks.at(1).state, ChunkInfo::State::Compressed);
    QCOMPARE(h.compressedChunkCount(), 2);
}

void TestInspectorSandbox::quotedIdentifiersWork()
{
    run(QStringLiteral(
        "DROP TABLE IF EXISTS \"Odd \"\"name\"\". table\";"
        "CREATE TABLE \"Odd \"\"name\"\". table\" (\"select\" timestamptz NOT NULL, \"x y\" int, UNIQUE (\"select\", \"x y\"));"
        "SELECT create_hypertable('\"Odd \"\"name\"\". table\"', 'select');"
        "INSERT INTO \"Odd \"\"name\"\". table\" VALUES (now(), 1);"));
    const HypertableInfo h = inspectTable(QStringLiteral("public.\"Odd \"\"name\"\". table\""));
    QCOMPARE(h.name, QStringLiteral("Odd \"name\". table"));
    QCOMPARE(h.chunks.size(), 1);
    QCOMPARE(h.timeDimension()->column, QStringLiteral("select"));
    QCOMPARE(h.uniqueKeys.first().columns, (QStringList{QStringLiteral("select"), QStringLiteral("x y")}));
}

void TestInspectorSandbox::unknownTableIsTypedError()
{
    ServerInspector::Options o;
    o.table = QStringLiteral("no_such_hypertable");
    const ServerInspection in = ServerInspector::inspect(TestServers::sandbox(), o);
    QCOMPARE(in.error.kind, DbError::Kind::TableMissing);
    QVERIFY(in.error.message.contains(QLatin1String("\"no_such_hypertable\" is not a hypertable")));
    QVERIFY(in.timescaleInstalled);
}

QTEST_GUILESS_MAIN(TestInspectorSandbox)
#include "tst_inspector_sandbox.moc"
