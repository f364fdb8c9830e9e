// Dry runs and the exported psql script (--export-sql) against the TimescaleDB sandbox. A dry run
// prints the plan and changes nothing; the script follows it, and run by psql leaves a hypertable
// as the engine leaves an identical one, stops cleanly when a step fails, and keeps hostile names inert.
#include "EngineSandboxCase.h"
#include "TestServers.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace bfs;

class TestEngineExport : public EngineSandboxCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void dryRunPrintsThePlanAndChangesNothing();
    void exportedSqlFollowsThePlan();
    void exportedScriptLoadsWhatTheRunLoads();
    void exportedScriptResumesThePolicyWhenAStepFails();
    void exportedScriptKeepsHostileNamesInert();
    void integerTimeAggregatesAreRefreshedUpToIntegerNow();
};

void TestEngineExport::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

namespace {
// Two identical hypertables whose names need quotes, with a naive `timestamp` column.
QString createQuotedPair(const QString &a, const QString &b)
{
    QString sql;
    for (const QString &t : {a, b}) {
        const QString q = QLatin1Char('"') + t + QLatin1Char('"');
        sql += QStringLiteral(
                   "DROP TABLE IF EXISTS %1 CASCADE; "
                   "CREATE TABLE %1 (time timestamptz NOT NULL, device_id int NOT NULL, status text, local_ts timestamp, "
                   "  UNIQUE (time, device_id)); "
                   "SELECT create_hypertable('%2', 'time', chunk_time_interval => interval '1 day'); "
                   "INSERT INTO %1 SELECT t, 1, 'seed', NULL FROM generate_series('2026-08-20'::timestamptz, '2026-08-21 23:00', '1 hour') t; "
                   "ALTER TABLE %1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
                   "SELECT compress_chunk(c, true) FROM show_chunks('%2') c; "
                   "SELECT add_compression_policy('%2', compress_after => interval '30 days'); ")
                   .arg(q, QString(q).replace(QLatin1Char('\''), QStringLiteral("''")));
    }
    return TestServers::sandboxScript(sql);
}
} // namespace

void TestEngineExport::dryRunPrintsThePlanAndChangesNothing()
{
    createTable(QStringLiteral("et_dry"));
    const QString file = csv(QStringLiteral("dry.csv"), {row("2026-08-20 00:00:00+00", 1), row("2026-08-21 10:15:00+00", 3)});
    // Conflicts as errors (the default): the existing row would stop the run, and the dry run
    // says so and exits as the run would.
    const auto stop = TestServers::runCli(cliBase(QStringLiteral("et_dry"), file) << QStringLiteral("--dry-run"), QStringLiteral("sandbox"));
    QCOMPARE(stop.exitCode, 4);
    QVERIFY2(stop.out.contains("BLOCKED: 1 staged rows have a key that is already in public.et_dry or on an earlier line of the file: "
                               "with conflicts as errors the run would stop at the chunk of the first (use skip or update)"),
             stop.out.constData());
    QVERIFY2(stop.out.contains("Dry run: 2 rows staged, but the run would be refused: 1 staged rows have a key that is already in "
                               "public.et_dry"),
             stop.out.constData());
    const auto r = TestServers::runCli(cliBase(QStringLiteral("et_dry"), file) << QStringLiteral("--dry-run") << QStringLiteral("--on-conflict")
                                                                               << QStringLiteral("skip"),
                                       QStringLiteral("sandbox"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("Plan for public.et_dry (TimescaleDB 2.23.0-dev)"), r.out.constData());
    QVERIFY(r.out.contains("1 staged rows already exist under the unique key"));
    // Its last sentence accounts for every row as the run would treat it.
    QVERIFY2(r.out.contains("Dry run: 1 rows would be loaded into public.et_dry and 1 skipped as duplicates (1 already there, 0 "
                            "repeating an earlier line); nothing was changed."),
             r.out.constData());
    QVERIFY(!r.out.contains("BLOCKED"));
    QVERIFY(r.out.contains("direct insert"));
    QVERIFY(r.out.contains("compression policy job"));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_dry")), qint64(288));
    QVERIFY(policyScheduled(QStringLiteral("et_dry")));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_dry")), qint64(0));
}

void TestEngineExport::exportedSqlFollowsThePlan()
{
    createTable(QStringLiteral("et_sql"));
    const QString file = csv(QStringLiteral("sql.csv"), {row("2026-08-17 00:00:00+00", 1), row("2026-08-21 10:15:00+00", 3)});
    const QString script = m_dir.filePath(QStringLiteral("plan.sql"));
    const auto r = TestServers::runCli(cliBase(QStringLiteral("et_sql"), file)
                                           << QStringLiteral("--decompress") << QStringLiteral("--export-sql") << script
                                           << QStringLiteral("--json"),
                                       QStringLiteral("sandbox"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile f(script);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString sql = QString::fromUtf8(f.readAll());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    const QJsonArray chunks = o.value(QStringLiteral("chunks")).toArray();
    QCOMPARE(chunks.size(), 1);
    const QString chunk = chunks.first().toObject().value(QStringLiteral("name")).toString();
    QCOMPARE(chunks.first().toObject().value(QStringLiteral("action")).toString(), QStringLiteral("decompress, insert, recompress"));
    // One step per chunk range, its statements sent together (psql's \\;).
    QVERIFY2(sql.contains(QStringLiteral("BEGIN \\;\nSELECT decompress_chunk('%1', true) \\;").arg(chunk)), qPrintable(sql));
    QVERIFY(sql.contains(QStringLiteral("SELECT compress_chunk('%1', true) \\;\nCOMMIT;").arg(chunk)));
    // A dry run pauses nothing; the job it names is the one the script (and a run) pauses.
    const QJsonObject policy = o.value(QStringLiteral("policy")).toObject();
    const int jobId = policy.value(QStringLiteral("job_id")).toInt();
    QVERIFY(jobId >= 1000);
    QCOMPARE(policy.value(QStringLiteral("paused")).toBool(), false);
    QVERIFY2(sql.contains(QStringLiteral("SELECT alter_job(%1, scheduled => false)").arg(jobId)), qPrintable(sql));
    QVERIFY(sql.indexOf(QLatin1String("scheduled => false")) < sql.indexOf(QLatin1String("decompress_chunk")));
    QVERIFY(sql.lastIndexOf(QLatin1String("scheduled => true")) > sql.lastIndexOf(QLatin1String("compress_chunk")));
    QVERIFY(sql.contains(QLatin1String("ON CONFLICT")) == false); // conflict mode error: plain INSERT
    QVERIFY(sql.contains(QLatin1String("SET lock_timeout = '5000ms';")));
    // The staged rows, as the run converted them, in the file's order.
    QVERIFY2(sql.contains(QLatin1String("(2, '2026-08-17 00:00:00+00', '1', '21.5', '50', 'ok'),\n(3, '2026-08-21 10:15:00+00', '3', ")),
             qPrintable(sql));
    QVERIFY(sql.contains(QLatin1String("-- ") + QStringLiteral("4. 1 rows fall outside every existing chunk")));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_sql")), qint64(288)); // … and changes nothing
}

void TestEngineExport::exportedScriptLoadsWhatTheRunLoads()
{
    // The exported script, run by psql, leaves its hypertable as the engine leaves an identical
    // one: the same rows with the same values (the run's conversions: NULL tokens, a quoted empty
    // cell, trimmed and quoted spaces, an offset into a naive timestamp read in the run's zone, a
    // column the table does not have), the same chunks compressed, the policy scheduled.
    QVERIFY2(createQuotedPair(QStringLiteral("Et Script"), QStringLiteral("Et Run")).isEmpty(), "set-up failed");
    QFile f(m_dir.filePath(QStringLiteral("values.csv")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,note,device_id,status,local_ts\n"
            "2026-08-20 05:00:00+00,a,1,dup,\n"                         // exists: skipped
            "2026-08-20 05:30:00+00,b,2,NULL,2026-08-02 16:00:00+05\n"  // NULL token; offset → Berlin wall clock
            "2026-08-21 05:00:00+00,c,2,\"\",NA\n"                      // quoted empty cell: NULL, as the run reads it
            "2026-08-21 06:00:00+00,d,2,\"  padded, \"\"q\"\"\n  \",\n" // quoted: spaces, quotes and a line break kept
            "2026-08-21 07:00:00+00,e,2,  trimmed  ,2026-08-01 12:00\n"
            "2026-08-21 08:00:00+00,g,2,back\\slash \\x41 \xc3\xa9 \xf0\x9f\x98\x80 $$,\n"  // backslashes, UTF-8, a dollar quote
            "2026-08-10 07:00:00+00,f,3,new chunk,\n");                 // a new chunk, older than compress_after
    f.close();
    auto args = [&](const QString &table) {
        return QStringList(cliBase(QLatin1Char('"') + table + QLatin1Char('"'), f.fileName()))
            << QStringLiteral("--on-conflict") << QStringLiteral("skip") << QStringLiteral("--timezone") << QStringLiteral("Europe/Berlin");
    };
    const QString script = m_dir.filePath(QStringLiteral("values.sql"));
    const auto exported = TestServers::runCli(args(QStringLiteral("Et Script")) << QStringLiteral("--export-sql") << script,
                                              QStringLiteral("sandbox"));
    QVERIFY2(exported.exitCode == 0, exported.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM \"Et Script\"")), qint64(48)); // exporting changes nothing
    {
        // Names resolve as in the exporting session, whoever runs the script; what it sets for its
        // steps is reset at its end (for a script run with \i inside a longer session).
        QFile sql(script);
        QVERIFY(sql.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(sql.readAll());
        QVERIFY2(text.contains(QLatin1String("\nSET search_path = public;\n")), "the search path of the exporting session");
        const qsizetype end = text.lastIndexOf(QLatin1String("DROP TABLE bfs_stage;"));
        QVERIFY(end > 0);
        for (const char *reset : {"RESET lock_timeout;", "RESET search_path;", "RESET DateStyle;", "RESET client_encoding;"})
            QVERIFY2(text.indexOf(QLatin1String(reset), end) > end, reset);
    }
    const auto psql = TestServers::runPsqlOnSandbox(script);
    QVERIFY2(psql.exitCode == 0, psql.err.constData());
    const auto ran = TestServers::runCli(args(QStringLiteral("Et Run")), QStringLiteral("sandbox"));
    QVERIFY2(ran.exitCode == 0, ran.err.constData());

    const QString rows = QStringLiteral("SELECT string_agg(concat_ws('|', time, device_id, coalesce(status, '<null>'), "
                                        "coalesce(local_ts::text, '<null>')), E'\\n' ORDER BY time, device_id) FROM \"%1\"");
    auto text = [](const QString &sql) {
        Database db(TestServers::sandbox());
        DbError e;
        QueryResult r;
        return db.open(&e) && db.exec(sql, {}, &r, &e) ? r.value(0, 0) : QStringLiteral("(%1)").arg(e.message);
    };
    const QString viaScript = text(rows.arg(QStringLiteral("Et Script")));
    QCOMPARE(viaScript, text(rows.arg(QStringLiteral("Et Run"))));
    QVERIFY2(viaScript.contains(QLatin1String("|2|<null>|2026-08-02 13:00:00")), qPrintable(viaScript));
    QVERIFY2(viaScript.contains(QLatin1String("|2|<null>|<null>")), qPrintable(viaScript));
    QVERIFY2(viaScript.contains(QLatin1String("|2|  padded, \"q\"\n  |<null>")), qPrintable(viaScript));
    QVERIFY2(viaScript.contains(QLatin1String("|2|trimmed|2026-08-01 12:00:00")), qPrintable(viaScript));
    QVERIFY2(viaScript.contains(QString::fromUtf8("|2|back\\slash \\x41 \xc3\xa9 \xf0\x9f\x98\x80 $$|<null>")), qPrintable(viaScript));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM \"Et Script\" WHERE status = 'dup'")), qint64(0));
    const QString states = QStringLiteral("SELECT string_agg(to_char(range_start AT TIME ZONE 'UTC', 'MM-DD') || ':' || is_compressed, ' ' "
                                          "ORDER BY range_start) FROM timescaledb_information.chunks WHERE hypertable_name = '%1'");
    const QString scriptStates = text(states.arg(QStringLiteral("Et Script")));
    QCOMPARE(scriptStates, QStringLiteral("08-10:true 08-20:true 08-21:true"));
    QCOMPARE(scriptStates, text(states.arg(QStringLiteral("Et Run"))));
    QVERIFY(policyScheduled(QStringLiteral("Et Script")));
}

void TestEngineExport::exportedScriptResumesThePolicyWhenAStepFails()
{
    // A CHECK that a row of the second range breaks fails its step: the script rolls that step
    // back, schedules the policy again and stops with psql's error status, saying so.
    createTable(QStringLiteral("et_sqlfail"));
    createDailyAggregate(QStringLiteral("et_sqlfail"));
    QVERIFY(TestServers::sandboxScript(QStringLiteral("ALTER TABLE et_sqlfail ADD CONSTRAINT et_sqlfail_warm CHECK (temperature > -100)")).isEmpty());
    const QString file = csv(QStringLiteral("fail.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:00:00+00", 3, -300)});
    const QString script = m_dir.filePath(QStringLiteral("fail.sql"));
    const auto exported = TestServers::runCli(cliBase(QStringLiteral("et_sqlfail"), file) << QStringLiteral("--export-sql") << script,
                                              QStringLiteral("sandbox"));
    QVERIFY2(exported.exitCode == 0, exported.err.constData());
    const auto psql = TestServers::runPsqlOnSandbox(script);
    QCOMPARE(psql.exitCode, 3);
    QVERIFY2(psql.err.contains("Backfill stopped: step 4"), psql.err.constData());
    QVERIFY(policyScheduled(QStringLiteral("et_sqlfail")));
    // The step before stays done (its chunk compressed again); the failed one left nothing.
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_sqlfail WHERE device_id = 3")), qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_sqlfail")), qint64(289));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_sqlfail")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_sqlfail_daily WHERE device_id = 3")), qint64(1)); // the aggregate shows it
}

void TestEngineExport::exportedScriptKeepsHostileNamesInert()
{
    // A table name with a dot, a dollar quote and a line break followed by a psql command: the
    // script names the right table, and psql runs no command of the name's.
    const QString pwned = m_dir.filePath(QStringLiteral("pwned"));
    const QString name = QStringLiteral("Et.ird $bfs$ x\r\\! touch ") + pwned; // (psql ends a line at a lone CR too)
    const QString ident = QLatin1Char('"') + QString(name).replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    const QString lit = QString(ident).replace(QLatin1Char('\''), QStringLiteral("''"));
    const QString error = TestServers::sandboxScript(
        QStringLiteral("DROP TABLE IF EXISTS %1 CASCADE; "
                       "CREATE TABLE %1 (time timestamptz NOT NULL, device_id int NOT NULL, status text, UNIQUE (time, device_id)); "
                       "SELECT create_hypertable('%2', 'time', chunk_time_interval => interval '1 day'); "
                       "INSERT INTO %1 SELECT t, 1, 'seed' FROM generate_series('2026-08-20'::timestamptz, '2026-08-20 23:00', '1 hour') t; "
                       "ALTER TABLE %1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
                       "SELECT compress_chunk(c, true) FROM show_chunks('%2') c; "
                       "SELECT add_compression_policy('%2', compress_after => interval '30 days');")
            .arg(ident, lit));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QFile f(m_dir.filePath(QStringLiteral("hostile.csv")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,device_id,status\n2026-08-20 05:30:00+00,2,a\n2026-08-10 05:30:00+00,2,b\n");
    f.close();
    const QString script = m_dir.filePath(QStringLiteral("hostile.sql"));
    const auto exported = TestServers::runCli(QStringList(cliBase(ident, f.fileName())) << QStringLiteral("--export-sql") << script,
                                              QStringLiteral("sandbox"));
    QVERIFY2(exported.exitCode == 0, exported.err.constData());
    const auto psql = TestServers::runPsqlOnSandbox(script);
    QVERIFY2(psql.exitCode == 0, psql.err.constData());
    QVERIFY(!QFile::exists(pwned));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM %1 WHERE device_id = 2").arg(ident)), qint64(2));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = $1 AND NOT is_compressed"),
                    {name}),
             qint64(0));
}

void TestEngineExport::integerTimeAggregatesAreRefreshedUpToIntegerNow()
{
    // Integer time with a continuous aggregate ("now" is 100000 by its integer_now function):
    // the run and the script refresh it up to now (a window of NULL to NULL fails on the server:
    // "timestamp out of range", and every run ended in error with the aggregate stale).
    const QString error = TestServers::sandboxScript(QStringLiteral(
        "DROP TABLE IF EXISTS et_icagg CASCADE; "
        "CREATE TABLE et_icagg (time bigint NOT NULL, device_id int NOT NULL, temperature double precision, humidity double precision, "
        "  status text, UNIQUE (time, device_id)); "
        "SELECT create_hypertable('et_icagg', 'time', chunk_time_interval => 1000); "
        "CREATE OR REPLACE FUNCTION et_icagg_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 100000::bigint'; "
        "SELECT set_integer_now_func('et_icagg', 'et_icagg_now'); "
        "INSERT INTO et_icagg SELECT t, 1, 20, 50, 'seed' FROM generate_series(0, 2990, 10) t; "
        "CREATE MATERIALIZED VIEW et_icagg_b WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
        "  SELECT time_bucket(100::bigint, time) AS b, device_id, count(*) AS n FROM et_icagg GROUP BY 1, 2 WITH NO DATA;"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(TestServers::sandboxScript(QStringLiteral("CALL refresh_continuous_aggregate('et_icagg_b', NULL, 50000)")).isEmpty());
    QVERIFY(TestServers::sandboxScript(QStringLiteral(
        "ALTER TABLE et_icagg SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('et_icagg') c; "
        "SELECT add_compression_policy('et_icagg', compress_after => 5000::bigint);")).isEmpty());
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_icagg_b")), qint64(300));
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("icagg.csv"), {"5,3,21,50,ok", "1005,3,21,50,ok", "9000,3,21,50,ok"});
    o.load.table = QStringLiteral("et_icagg");
    const BackfillEngine::Result r = run(o);
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.aggregatesRefreshed, QStringList{QStringLiteral("public.et_icagg_b")});
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_icagg_b WHERE device_id = 3")), qint64(3));

    // The script of a second file does the same.
    const QString file = csv(QStringLiteral("icagg2.csv"), {"15,4,21,50,ok", "9010,4,21,50,ok"});
    const QString script = m_dir.filePath(QStringLiteral("icagg.sql"));
    const auto exported = TestServers::runCli(cliBase(QStringLiteral("et_icagg"), file) << QStringLiteral("--export-sql") << script,
                                              QStringLiteral("sandbox"));
    QVERIFY2(exported.exitCode == 0, exported.err.constData());
    const auto psql = TestServers::runPsqlOnSandbox(script);
    QVERIFY2(psql.exitCode == 0, psql.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_icagg_b WHERE device_id = 4")), qint64(2));
}

QTEST_GUILESS_MAIN(TestEngineExport)
#include "tst_engine_export.moc"
