#include "TestServers.h"

#include "Database.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTcpServer>
#include <QtTest>

namespace TestServers {

namespace {

QString readFixtureFile(const QString &relative)
{
    QFile f(fixtureDir() + QLatin1Char('/') + relative);
    if (!f.open(QIODevice::ReadOnly)) {
        qCritical("fixture file %s missing: run the test through ctest so its fixture starts the server",
                  qPrintable(f.fileName()));
        return QString();
    }
    return QString::fromUtf8(f.readAll()).trimmed();
}

} // namespace

QString fixtureDir()
{
    const QString env = qEnvironmentVariable("BFS_FIXTURE_DIR");
    return env.isEmpty() ? QStringLiteral(BFS_FIXTURE_DIR) : env;
}

QString createCompressedHypertable(const QString &name, bool uniqueKey, int days)
{
    const QString sql = QStringLiteral(
        "DROP TABLE IF EXISTS %1 CASCADE; "
        "CREATE TABLE %1 (time timestamptz NOT NULL, device_id int NOT NULL, temperature double precision, "
        "  humidity double precision, status text%2); "
        "SELECT create_hypertable('%1', 'time', chunk_time_interval => interval '1 day'); "
        "INSERT INTO %1 SELECT t, d, 20, 50, 'seed' FROM generate_series('2026-08-20 00:00+00'::timestamptz, "
        "  '2026-08-20 00:00+00'::timestamptz + interval '%3 days' - interval '30 minutes', '30 minutes') t, generate_series(1, 2) d; "
        "ALTER TABLE %1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
        "SELECT compress_chunk(c, true) FROM show_chunks('%1') c; "
        "SELECT add_compression_policy('%1', compress_after => interval '30 days');")
                            .arg(name, uniqueKey ? QStringLiteral(", UNIQUE (time, device_id)") : QString())
                            .arg(days);
    return sandboxScript(sql);
}

QString sandboxScript(const QString &sql)
{
    bfs::Database db(sandbox());
    bfs::DbError e;
    if (!db.open(&e) || !db.execScript(sql, &e))
        return e.toString();
    return QString();
}

qint64 sandboxScalar(const QString &sql, const QStringList &params)
{
    bfs::Database db(sandbox());
    bfs::DbError e;
    bfs::QueryResult r;
    if (!db.open(&e) || !db.exec(sql, params, &r, &e) || r.rowCount() == 0) {
        qWarning("%s", qPrintable(e.toString()));
        return -1;
    }
    return r.value(0, 0) == QLatin1String("t") ? 1 : r.value(0, 0) == QLatin1String("f") ? 0 : r.intValue(0, 0);
}

qint64 policyScheduledFlag(const QString &table)
{
    return sandboxScalar(QStringLiteral("SELECT scheduled FROM timescaledb_information.jobs WHERE hypertable_name = $1 "
                                        "AND proc_name = 'policy_compression'"),
                         {table});
}

qint64 chunksNotFullyCompressed(const QString &table)
{
    return sandboxScalar(QStringLiteral("SELECT CASE WHEN count(*) = 0 THEN -1 ELSE count(*) FILTER (WHERE NOT (c.is_compressed AND "
                                        "_timescaledb_functions.chunk_status(format('%I.%I', c.chunk_schema, c.chunk_name)::regclass) & 8 = 0)) END "
                                        "FROM timescaledb_information.chunks c WHERE hypertable_name = $1 "
                                        "AND range_end <= now() - interval '30 days'"),
                         {table});
}

int pg15Port()
{
    return readFixtureFile(QStringLiteral("pg15/port")).toInt();
}

QString pg15ScramPassword()
{
    return readFixtureFile(QStringLiteral("pg15/scram_password"));
}

bfs::ConnectionProfile pg15(const QString &user, const QString &database)
{
    bfs::ConnectionProfile p;
    p.name = QStringLiteral("pg15");
    p.host = QStringLiteral("127.0.0.1");
    p.port = pg15Port();
    p.user = user;
    p.database = database;
    p.sslMode = QStringLiteral("disable");
    p.connectTimeoutSeconds = 10;
    return p;
}

int sandboxPort()
{
    return readFixtureFile(QStringLiteral("sandbox/port")).toInt();
}

bfs::ConnectionProfile sandbox()
{
    bfs::ConnectionProfile p;
    p.name = QStringLiteral("sandbox");
    p.host = QStringLiteral("127.0.0.1");
    p.port = sandboxPort();
    p.user = QStringLiteral("postgres");
    p.database = QStringLiteral("postgres");
    p.password = QStringLiteral("sandbox");
    p.sslMode = QStringLiteral("disable");
    p.connectTimeoutSeconds = 30;
    return p;
}

QString conninfo(const bfs::ConnectionProfile &profile)
{
    return profile.toConnInfo();
}

int closedPort()
{
    // Bind, read the port, close: nothing listens there afterwards.
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 1;
    const int port = s.serverPort();
    s.close();
    return port;
}

QString binary(const QString &name)
{
    return QStringLiteral(BFS_BIN_DIR) + QLatin1Char('/') + name;
}

namespace {
CliRun runProcess(const QString &program, const QStringList &args, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(program, args);
    CliRun r;
    if (!p.waitForFinished(300000)) {
        qWarning("%s did not finish", qPrintable(program));
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}
} // namespace

CliRun runCli(const QStringList &args, const QString &password, const QStringList &environment)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("PGPASSWORD"));
    if (!password.isEmpty())
        env.insert(QStringLiteral("PGPASSWORD"), password);
    for (const QString &kv : environment)
        env.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    return runProcess(binary(QStringLiteral("backfill-studio-cli")), args, env);
}

CliRun runPsqlOnSandbox(const QString &scriptFile)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PGPASSWORD"), QStringLiteral("sandbox"));
    env.remove(QStringLiteral("PSQLRC"));
    env.insert(QStringLiteral("PGSSLMODE"), QStringLiteral("disable")); // the sandbox refuses TLS
    const QString pgbin = env.value(QStringLiteral("PGBIN"), QStringLiteral("/usr/lib/postgresql/15/bin"));
    const QString psql = QFileInfo::exists(pgbin + QStringLiteral("/psql")) ? pgbin + QStringLiteral("/psql") : QStringLiteral("psql");
    return runProcess(psql, {QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-d"), conninfo(sandbox()), QStringLiteral("-f"), scriptFile},
                      env);
}

} // namespace TestServers
