#include "TestServers.h"

#include <QFile>
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

CliRun runCli(const QStringList &args, const QString &password, const QStringList &environment)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("PGPASSWORD"));
    if (!password.isEmpty())
        env.insert(QStringLiteral("PGPASSWORD"), password);
    for (const QString &kv : environment)
        env.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(binary(QStringLiteral("backfill-studio-cli")), args);
    CliRun r;
    if (!p.waitForFinished(300000)) {
        qWarning("backfill-studio-cli did not finish");
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace TestServers
