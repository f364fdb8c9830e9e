// A retention policy drops whole chunks that end before now - drop_after: rows backfilled into
// them are deleted again at its next run. The plan counts them and warns, against the sandbox.
#include "EngineSandboxCase.h"
#include "TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace bfs;

class TestEngineRetention : public EngineSandboxCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void rowsInChunksTheRetentionPolicyDropsAreCounted();
    void cutoffIsTakenAtTheNextRunAndAfterOldChunks();
    void timestampTimesAreTakenInTheServersTimeZone();
    void integerTimeUsesTheIntegerNowFunction();
};

void TestEngineRetention::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestEngineRetention::rowsInChunksTheRetentionPolicyDropsAreCounted()
{
    // Daily chunks from 2026-08-20 to 08-24. The policy's cutoff is 2026-08-22 12:00 (moving
    // with the clock by the seconds the test takes): chunk [08-22, 08-23) holds it and stays,
    // the chunks before it go, with the new chunk a July row makes.
    const QString table = QStringLiteral("et_ret");
    createTable(table, true, 5);
    const QString error = TestServers::sandboxScript(
        QStringLiteral("SELECT add_retention_policy('et_ret', drop_after => now() - '2026-08-22 12:00+00'::timestamptz)"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const qint64 job = scalar(QStringLiteral("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'et_ret' "
                                             "AND proc_name = 'policy_retention'"));
    const QString file = csv(QStringLiteral("ret.csv"), {row("2026-07-01 10:00:00+00", 3), row("2026-08-20 10:15:00+00", 3),
                                                         row("2026-08-21 23:59:59+00", 3), row("2026-08-22 00:00:00+00", 3),
                                                         row("2026-08-22 13:00:00+00", 3), row("2026-08-24 10:15:00+00", 3)});
    BackfillEngine::Options o;
    o.load.csvPath = file;
    o.load.table = table;
    o.planOnly = true;
    const BackfillEngine::Result dry = run(o);
    QVERIFY2(dry.planned, qPrintable(dry.message));
    QCOMPARE(dry.plan.summary.rowsBeforeRetention, qint64(3));
    QCOMPARE(dry.plan.warnings.size(), 1);
    const QString expected = QStringLiteral("3 of the staged rows (those before 2026-08-22 00:00 UTC) lie in chunks that end more than ");
    QVERIFY2(dry.plan.warnings.first().startsWith(expected), qPrintable(dry.plan.warnings.first()));
    QVERIFY2(dry.plan.warnings.first().contains(QStringLiteral("retention policy job %1 drops those chunks at its next run").arg(job)),
             qPrintable(dry.plan.warnings.first()));
    QVERIFY(dry.plan.toText().contains(QStringLiteral("WARNING: ") + expected));
    QVERIFY(dry.plan.runnable()); // (a warning: the user may have reasons)

    // The CLI says it before the run's result, and --json gives the count.
    const auto r = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains(QStringLiteral("Warning: ").toUtf8() + expected.toUtf8()), r.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_ret WHERE device_id = 3")), qint64(6));
    const auto again = TestServers::runCli(QStringList(cliBase(table, file)) << QStringLiteral("--dry-run") << QStringLiteral("--json")
                                                                             << QStringLiteral("--on-conflict") << QStringLiteral("skip"),
                                           QStringLiteral("sandbox"));
    QVERIFY2(again.exitCode == 0, again.err.constData());
    const QJsonObject json = QJsonDocument::fromJson(again.out).object();
    QCOMPARE(json.value(QStringLiteral("retention")).toObject().value(QStringLiteral("rows_in_dropped_chunks")).toInt(), 3);
    QCOMPARE(json.value(QStringLiteral("retention")).toObject().value(QStringLiteral("rows_before")).toString(),
             QStringLiteral("2026-08-22 00:00 UTC"));
    QCOMPARE(json.value(QStringLiteral("warnings")).toArray().size(), 1);

    // A cutoff no existing chunk holds: the boundary is where a new daily chunk would begin.
    QVERIFY(TestServers::sandboxScript(QStringLiteral("SELECT alter_job(%1, config => (SELECT jsonb_set(config, '{drop_after}', "
                                                      "to_jsonb((now() - '2026-08-05 12:00+00'::timestamptz)::text)) "
                                                      "FROM timescaledb_information.jobs WHERE job_id = %1))").arg(job))
                .isEmpty());
    o.load.csvPath = csv(QStringLiteral("ret2.csv"), {row("2026-08-04 23:00:00+00", 4), row("2026-08-05 06:00:00+00", 4),
                                                      row("2026-08-21 10:00:00+00", 4)});
    const BackfillEngine::Result aligned = run(o);
    QVERIFY2(aligned.planned, qPrintable(aligned.message));
    QCOMPARE(aligned.plan.summary.rowsBeforeRetention, qint64(1));
    QCOMPARE(aligned.plan.summary.retentionBoundary, QStringLiteral("2026-08-05 00:00 UTC"));

    // A paused retention policy drops nothing: no count, no warning.
    QVERIFY(TestServers::sandboxScript(QStringLiteral("SELECT alter_job(%1, scheduled => false)").arg(job)).isEmpty());
    o.load.csvPath = file;
    const BackfillEngine::Result paused = run(o);
    QVERIFY2(paused.planned, qPrintable(paused.message));
    QCOMPARE(paused.plan.summary.rowsBeforeRetention, qint64(-1));
    QVERIFY(paused.plan.warnings.isEmpty());
}

void TestEngineRetention::cutoffIsTakenAtTheNextRunAndAfterOldChunks()
{
    // Daily chunks from 2026-08-20 to 08-24. drop_after puts "now"'s cutoff at 08-21 12:00, but
    // the job runs next in two days: its cutoff then is 08-23 12:00, and chunk [08-23, 08-24) stays.
    const QString table = QStringLiteral("et_ret3");
    createTable(table, true, 5);
    QVERIFY(TestServers::sandboxScript(QStringLiteral("SELECT add_retention_policy('et_ret3', drop_after => now() - '2026-08-21 12:00+00'::timestamptz)"))
                .isEmpty());
    const qint64 job = scalar(QStringLiteral("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'et_ret3' "
                                             "AND proc_name = 'policy_retention'"));
    QVERIFY(TestServers::sandboxScript(QStringLiteral("SELECT alter_job(%1, next_start => now() + interval '2 days')").arg(job)).isEmpty());
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("ret3.csv"), {row("2026-07-01 10:00:00+00", 3), row("2026-08-22 23:00:00+00", 3),
                                                      row("2026-08-23 01:00:00+00", 3), row("2026-08-24 05:00:00+00", 3),
                                                      row("2026-08-26 05:00:00+00", 3)});
    o.load.table = table;
    o.planOnly = true;
    const BackfillEngine::Result next = run(o);
    QVERIFY2(next.planned, qPrintable(next.message));
    QCOMPARE(next.plan.summary.retentionBoundary, QStringLiteral("2026-08-23 00:00 UTC"));
    QCOMPARE(next.plan.summary.rowsBeforeRetention, qint64(2));
    QVERIFY2(next.plan.warnings.value(0).contains(QLatin1String("drops those chunks at its next run (due ")), qPrintable(next.plan.warnings.value(0)));

    // New chunks are now 30 days long, and the cutoff (at the next run) is 09-01, which no chunk
    // holds: a new chunk there would start at 08-25, where the last daily chunk ends (not at
    // 08-05, where 30-day chunks align), so the 08-24 row goes with its chunk and the 08-26 one stays.
    QVERIFY(TestServers::sandboxScript(QStringLiteral("SELECT set_chunk_time_interval('et_ret3', interval '30 days'); "
                                                      "SELECT alter_job(%1, config => (SELECT jsonb_set(config, '{drop_after}', "
                                                      "to_jsonb((next_start - '2026-09-01 00:00+00'::timestamptz)::text)) "
                                                      "FROM timescaledb_information.jobs WHERE job_id = %1))").arg(job))
                .isEmpty());
    const BackfillEngine::Result cut = run(o);
    QVERIFY2(cut.planned, qPrintable(cut.message));
    QCOMPARE(cut.plan.summary.retentionBoundary, QStringLiteral("2026-08-25 00:00 UTC"));
    QCOMPARE(cut.plan.summary.rowsBeforeRetention, qint64(4));
}

void TestEngineRetention::timestampTimesAreTakenInTheServersTimeZone()
{
    // A timestamp (no zone) column in hourly chunks: the job takes "now" in the server's zone
    // (GMT here), so the cutoff is 2026-08-21 12:30 whatever zone the client asks for (PGTZ).
    const QString table = QStringLiteral("et_ret_ts");
    createHypertable(table, QStringLiteral("timestamp"), QString(), QStringLiteral("2026-08-21 00:00"), QStringLiteral("2026-08-21 23:00"),
                     QStringLiteral("1 hour"), QStringLiteral("1 hour"),
                     QStringLiteral("SELECT add_retention_policy('et_ret_ts', drop_after => now() - '2026-08-21 12:30+00'::timestamptz);"));
    const QString file = csv(QStringLiteral("retts.csv"), {row("2026-08-21 11:00:00", 3), row("2026-08-21 11:59:00", 3),
                                                           row("2026-08-21 12:00:00", 3), row("2026-08-21 15:00:00", 3),
                                                           row("2026-08-21 22:00:00", 3)});
    for (const QString &zone : {QString(), QStringLiteral("Asia/Tokyo"), QStringLiteral("America/New_York")}) {
        const auto r = TestServers::runCli(QStringList(cliBase(table, file)) << QStringLiteral("--dry-run") << QStringLiteral("--json"),
                                           QStringLiteral("sandbox"), zone.isEmpty() ? QStringList() : QStringList{QStringLiteral("PGTZ=") + zone});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject retention = QJsonDocument::fromJson(r.out).object().value(QStringLiteral("retention")).toObject();
        QCOMPARE(retention.value(QStringLiteral("rows_before")).toString(), QStringLiteral("2026-08-21 12:00"));
        QCOMPARE(retention.value(QStringLiteral("rows_in_dropped_chunks")).toInt(), 2);
    }
}

void TestEngineRetention::integerTimeUsesTheIntegerNowFunction()
{
    // Integer time, chunks of 100, "now" is 1000: drop_after 650 puts the cutoff at 350, in chunk
    // [300, 400), so rows below 300 are lost.
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_ret_int CASCADE; "
        "CREATE TABLE et_ret_int (time bigint NOT NULL, device_id int NOT NULL, temperature double precision, "
        "  humidity double precision, status text); "
        "SELECT create_hypertable('et_ret_int', 'time', chunk_time_interval => 100); "
        "CREATE OR REPLACE FUNCTION et_ret_int_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 1000::bigint'; "
        "SELECT set_integer_now_func('et_ret_int', 'et_ret_int_now'); "
        "INSERT INTO et_ret_int SELECT g, 1, 20, 50, 'seed' FROM generate_series(300, 599) g; "
        "ALTER TABLE et_ret_int SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('et_ret_int') c; "
        "SELECT add_retention_policy('et_ret_int', drop_after => 650::bigint);"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("retint.csv"), {"150,2,21,50,ok", "299,2,21,50,ok", "300,2,21,50,ok", "360,2,21,50,ok",
                                                        "700,2,21,50,ok"});
    o.load.table = QStringLiteral("et_ret_int");
    o.planOnly = true;
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.planned, qPrintable(r.message));
    QCOMPARE(r.plan.summary.rowsBeforeRetention, qint64(2));
    QCOMPARE(r.plan.warnings.size(), 1);
    QVERIFY2(r.plan.warnings.first().startsWith(QStringLiteral("2 of the staged rows (those before 300) lie in chunks that end more "
                                                               "than 650 before the hypertable's integer_now function")),
             qPrintable(r.plan.warnings.first()));
}

QTEST_GUILESS_MAIN(TestEngineRetention)
#include "tst_engine_retention.moc"
