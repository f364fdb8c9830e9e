// The inspector against a real PostgreSQL 15 without TimescaleDB: versions, the typed
// "not installed" result, and one plain-language error per way a connection fails.
#include "Database.h"
#include "InspectorController.h"
#include "ServerInspector.h"
#include "TestServers.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace bfs;

class TestInspectorPg15 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void reportsServerVersionAndIdentity();
    void databaseWithoutTimescaleIsTypedResult();
    void askingForATableWithoutTimescaleIsTypedResult();
    void scramRoleWithRightPasswordConnects();
    void wrongPasswordIsAuthenticationFailed();
    void missingPasswordIsPasswordRequired();
    void closedPortIsUnreachable();
    void missingDatabaseIsNamed();
    void queryErrorsKeepSqlState();
    void controllerGoneWhileConnectingDoesNotWait();
};

void TestInspectorPg15::reportsServerVersionAndIdentity()
{
    const ServerInspection in = ServerInspector::inspect(TestServers::pg15());
    QVERIFY2(in.serverVersionNum >= 150000 && in.serverVersionNum < 160000, qPrintable(in.serverVersion));
    QVERIFY(in.serverVersion.startsWith(QLatin1String("15.")));
    QCOMPARE(in.database, QStringLiteral("appdb"));
    QCOMPARE(in.user, QStringLiteral("bf_trust"));
}

void TestInspectorPg15::databaseWithoutTimescaleIsTypedResult()
{
    const ServerInspection in = ServerInspector::inspect(TestServers::pg15());
    QCOMPARE(in.timescaleInstalled, false);
    QCOMPARE(in.error.kind, DbError::Kind::NotTimescale);
    QVERIFY2(in.error.message.startsWith(QLatin1String("TimescaleDB is not installed in database \"appdb\"")),
             qPrintable(in.error.message));
    QVERIFY(in.hypertables.isEmpty());
    QVERIFY(!in.compressionAvailable());
}

void TestInspectorPg15::askingForATableWithoutTimescaleIsTypedResult()
{
    ServerInspector::Options o;
    o.table = QStringLiteral("conditions");
    const ServerInspection in = ServerInspector::inspect(TestServers::pg15(), o);
    QCOMPARE(in.error.kind, DbError::Kind::NotTimescale);
}

void TestInspectorPg15::scramRoleWithRightPasswordConnects()
{
    ConnectionProfile p = TestServers::pg15(QStringLiteral("bf_scram"));
    p.password = TestServers::pg15ScramPassword();
    QVERIFY(!p.password.isEmpty());
    const ServerInspection in = ServerInspector::inspect(p);
    QCOMPARE(in.user, QStringLiteral("bf_scram"));
    QCOMPARE(in.error.kind, DbError::Kind::NotTimescale); // connected; the database simply has no TimescaleDB
}

void TestInspectorPg15::wrongPasswordIsAuthenticationFailed()
{
    ConnectionProfile p = TestServers::pg15(QStringLiteral("bf_scram"));
    p.password = QStringLiteral("not-the-password");
    const ServerInspection in = ServerInspector::inspect(p);
    QCOMPARE(in.error.kind, DbError::Kind::AuthenticationFailed);
    QVERIFY2(in.error.message.contains(QLatin1String("rejected the user name or password")), qPrintable(in.error.message));
    QVERIFY(!in.error.toString().contains(QLatin1String("not-the-password")));
    QCOMPARE(in.serverVersionNum, 0);
}

void TestInspectorPg15::missingPasswordIsPasswordRequired()
{
    // PGPASSFILE points at a file that does not exist (set by CTest), so libpq has no password.
    ConnectionProfile p = TestServers::pg15(QStringLiteral("bf_scram"));
    qunsetenv("PGPASSWORD");
    const ServerInspection in = ServerInspector::inspect(p);
    QCOMPARE(in.error.kind, DbError::Kind::PasswordRequired);
    QVERIFY(in.error.message.contains(QLatin1String("asks for a password")));
}

void TestInspectorPg15::closedPortIsUnreachable()
{
    ConnectionProfile p = TestServers::pg15();
    p.port = TestServers::closedPort();
    const ServerInspection in = ServerInspector::inspect(p);
    QCOMPARE(in.error.kind, DbError::Kind::Unreachable);
    QVERIFY2(in.error.message.contains(QStringLiteral(":%1").arg(p.port)), qPrintable(in.error.message));
}

void TestInspectorPg15::missingDatabaseIsNamed()
{
    const ServerInspection in = ServerInspector::inspect(TestServers::pg15(QStringLiteral("bf_trust"), QStringLiteral("no_such_db")));
    QCOMPARE(in.error.kind, DbError::Kind::DatabaseMissing);
    QVERIFY2(in.error.server.contains(QLatin1String("no_such_db")), qPrintable(in.error.server));
}

void TestInspectorPg15::queryErrorsKeepSqlState()
{
    Database db(TestServers::pg15());
    DbError error;
    QVERIFY2(db.open(&error), qPrintable(error.toString()));
    QueryResult r;
    QVERIFY(!db.exec(QStringLiteral("SELECT * FROM no_such_table WHERE x = $1"), {QStringLiteral("1")}, &r, &error));
    QCOMPARE(error.kind, DbError::Kind::Query);
    QCOMPARE(error.sqlState, QStringLiteral("42P01"));
    QVERIFY(error.message.contains(QLatin1String("no_such_table")));
    // Values are bound, never spliced: a quote in a value is just data.
    QVERIFY(db.exec(QStringLiteral("SELECT $1::text AS v"), {QStringLiteral("x'); DROP TABLE y; --")}, &r, &error));
    QCOMPARE(r.value(0, QStringLiteral("v")), QStringLiteral("x'); DROP TABLE y; --"));
    QVERIFY(db.exec(QStringLiteral("SELECT $1::text AS n, ''::text AS e"), {QString()}, &r, &error));
    QVERIFY(r.isNull(0, QStringLiteral("n")));
    QVERIFY(!r.isNull(0, QStringLiteral("e")));
}

void TestInspectorPg15::controllerGoneWhileConnectingDoesNotWait()
{
    // "Test connection" to a server that accepts and never answers, then the dialog closes: the
    // controller goes without waiting for the connection timeout (the GUI froze until it expired).
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    ConnectionProfile p;
    p.host = QStringLiteral("127.0.0.1");
    p.port = silent.serverPort();
    p.database = QStringLiteral("x");
    p.user = QStringLiteral("x");
    p.sslMode = QStringLiteral("disable");
    p.connectTimeoutSeconds = 20;
    auto *controller = new InspectorController;
    controller->inspect(p);
    QVERIFY(silent.waitForNewConnection(10000));
    QTcpSocket *socket = silent.nextPendingConnection();
    QVERIFY(socket);
    delete controller;
    // Still connecting: had the destructor waited, libpq would have given up and hung up by now.
    QVERIFY(!socket->waitForDisconnected(300));
    QCOMPARE(socket->state(), QAbstractSocket::ConnectedState);
    socket->abort(); // (the inspection ends: the server went away)
}

QTEST_GUILESS_MAIN(TestInspectorPg15)
#include "tst_inspector_pg15.moc"
