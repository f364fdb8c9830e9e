// Credentials never leak into what the application writes; TLS verification; hostile
// identifiers are quoted everywhere.
#include "ConnectionManagerDialog.h"
#include "Database.h"
#include "ServerInspector.h"
#include "TestServers.h"

#include <QDirIterator>
#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using namespace bfs;

class TestSecurity : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void noPasswordInAnyFileTheApplicationWrites();
    void verifyFullSucceedsWithTheRightHostName();
    void verifyFullFailsClearlyOnAWrongHostName();
    void tlsOnlyRoleWithoutTlsIsExplained();
    void hostileIdentifiersAreQuoted();

private:
    QString tlsRoot() const { return TestServers::fixtureDir() + QStringLiteral("/pg15/tls/ca.crt"); }
    QTemporaryDir m_dir;
};

void TestSecurity::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestSecurity::noPasswordInAnyFileTheApplicationWrites()
{
    const QString secret = QStringLiteral("Sekrit-Pa55-%1").arg(QCoreApplication::applicationPid());
    const QString home = m_dir.filePath(QStringLiteral("home"));
    QDir().mkpath(home);
    // A backfill on the sandbox (it accepts any password) with every output switched on,
    // the password given in the URI.
    Database db(TestServers::sandbox());
    DbError e;
    QVERIFY(db.open(&e));
    QVERIFY(db.execScript(QStringLiteral(
                              "DROP TABLE IF EXISTS sec_t; CREATE TABLE sec_t (time timestamptz NOT NULL, v int, UNIQUE (time)); "
                              "SELECT create_hypertable('sec_t', 'time', chunk_time_interval => interval '1 day'); "
                              "INSERT INTO sec_t VALUES ('2026-08-01 00:00+00', 1); ALTER TABLE sec_t SET (timescaledb.compress); "
                              "SELECT compress_chunk(c, true) FROM show_chunks('sec_t') c; "
                              "SELECT add_compression_policy('sec_t', compress_after => interval '30 days');"),
                          &e));
    db.close();
    QFile csv(m_dir.filePath(QStringLiteral("sec.csv")));
    QVERIFY(csv.open(QIODevice::WriteOnly));
    csv.write("time,v\n2026-08-01 01:00:00+00,2\nnot a time,3\n");
    csv.close();
    const QString uri = QStringLiteral("postgresql://postgres:%1@127.0.0.1:%2/postgres?sslmode=disable").arg(secret).arg(TestServers::sandboxPort());
    const QString journals = m_dir.filePath(QStringLiteral("journals"));
    const QStringList base{QStringLiteral("backfill"), QStringLiteral("--db"), uri, QStringLiteral("--table"), QStringLiteral("sec_t"),
                           QStringLiteral("--csv"), csv.fileName(), QStringLiteral("--journal-dir"), journals,
                           QStringLiteral("--rejects"), m_dir.filePath(QStringLiteral("sec.rejects.csv"))};
    const QStringList env{QStringLiteral("HOME=") + home, QStringLiteral("XDG_DATA_HOME=") + home + QStringLiteral("/data"),
                          QStringLiteral("XDG_CONFIG_HOME=") + home + QStringLiteral("/config")};
    const auto plan = TestServers::runCli(base + QStringList{QStringLiteral("--export-sql"), m_dir.filePath(QStringLiteral("plan.sql")),
                                                             QStringLiteral("--verbose"), QStringLiteral("--json")},
                                          QString(), env);
    QCOMPARE(plan.exitCode, 1);
    const auto run = TestServers::runCli(base + QStringList{QStringLiteral("--verbose"), QStringLiteral("--json")}, QString(), env);
    QCOMPARE(run.exitCode, 1);
    // A crashed run leaves its journal behind: it must not hold the password either.
    const auto crashed = TestServers::runCli(base, QString(), env + QStringList{QStringLiteral("BFS_CRASH_AT=chunk_begin")});
    QCOMPARE(crashed.exitCode, 137);
    const auto wrong = TestServers::runCli({QStringLiteral("inspect"), QStringLiteral("--db"),
                                            QStringLiteral("postgresql://bf_scram:%1@127.0.0.1:%2/appdb?sslmode=disable").arg(secret).arg(TestServers::pg15Port())},
                                           QString(), env);
    QCOMPARE(wrong.exitCode, 3);
    for (const QByteArray &output : {plan.out, plan.err, run.out, run.err, crashed.out, crashed.err, wrong.out, wrong.err})
        QVERIFY2(!output.contains(secret.toUtf8()), output.constData());
    // The GUI's settings, with the password typed into the connection manager.
    {
        QSettings settings(home + QStringLiteral("/config/gui.ini"), QSettings::IniFormat);
        ConnectionManagerDialog d(&settings);
        ConnectionProfile p = TestServers::sandbox();
        p.name = QStringLiteral("with password");
        p.password = secret;
        d.addProfile(p);
        d.save();
    }
    int files = 0;
    for (const QString &root : {m_dir.path()}) {
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray content = f.readAll();
            QVERIFY2(!content.contains(secret.toUtf8()), qPrintable(path));
            ++files;
        }
    }
    QVERIFY2(files >= 5, qPrintable(QString::number(files)));
    // Every kind of file was written and checked: rejects, exported SQL, journal, settings.
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("sec.rejects.csv"))));
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("plan.sql"))));
    QVERIFY(QFile::exists(home + QStringLiteral("/config/gui.ini")));
    QVERIFY(QDir(journals).entryList(QDir::Files).size() >= 1);
    // Leave the sandbox as found: finish the crashed run.
    QCOMPARE(TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                  QStringLiteral("--journal-dir"), journals}, QStringLiteral("sandbox"))
                 .exitCode,
             0);
}

void TestSecurity::verifyFullSucceedsWithTheRightHostName()
{
    ConnectionProfile p = TestServers::pg15();
    p.host = QStringLiteral("localhost");
    p.hostAddress = QStringLiteral("127.0.0.1");
    p.sslMode = QStringLiteral("verify-full");
    p.sslRootCert = tlsRoot();
    Database db(p);
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    QueryResult r;
    QVERIFY(db.exec(QStringLiteral("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("t"));
}

void TestSecurity::verifyFullFailsClearlyOnAWrongHostName()
{
    ConnectionProfile p = TestServers::pg15();
    p.host = QStringLiteral("db.wrong-name.test");
    p.hostAddress = QStringLiteral("127.0.0.1");
    p.sslMode = QStringLiteral("verify-full");
    p.sslRootCert = tlsRoot();
    const ServerInspection in = ServerInspector::inspect(p);
    QCOMPARE(in.error.kind, DbError::Kind::SslFailed);
    QVERIFY2(in.error.message.contains(QLatin1String("not valid for the host name")), qPrintable(in.error.message));
    QVERIFY2(in.error.message.contains(QLatin1String("db.wrong-name.test")), qPrintable(in.error.message));
    // And with an unknown CA, verify-ca refuses too.
    p.host = QStringLiteral("localhost");
    p.sslMode = QStringLiteral("verify-ca");
    p.sslRootCert = QStringLiteral(BFS_SOURCE_DIR "/packaging/icons/backfill-studio.svg"); // not a CA certificate
    QCOMPARE(ServerInspector::inspect(p).error.kind, DbError::Kind::SslFailed);
}

void TestSecurity::tlsOnlyRoleWithoutTlsIsExplained()
{
    ConnectionProfile p = TestServers::pg15(QStringLiteral("bf_ssl"));
    p.sslMode = QStringLiteral("disable");
    const ServerInspection in = ServerInspector::inspect(p);
    QCOMPARE(in.error.kind, DbError::Kind::SslRequired);
    QVERIFY(in.error.message.contains(QLatin1String("only accepts encrypted connections")));
    p.sslMode = QStringLiteral("require");
    QCOMPARE(ServerInspector::inspect(p).error.kind, DbError::Kind::NotTimescale); // connected over TLS
}

void TestSecurity::hostileIdentifiersAreQuoted()
{
    const QString table = QStringLiteral("x\"; DROP TABLE y; --");
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY(db.open(&e));
    QVERIFY(db.execScript(QStringLiteral("DROP TABLE IF EXISTS y; CREATE TABLE y (keep int); INSERT INTO y VALUES (1); "
                                         "DROP TABLE IF EXISTS %1; CREATE TABLE %1 (\"Zeit stempel\" timestamptz NOT NULL, "
                                         "\"select\" int, \"Größe\" float8, \"a\"\"b\" text)")
                              .arg(db.quoteIdentifier(table)),
                          &e));
    QFile csv(m_dir.filePath(QStringLiteral("ident.csv")));
    QVERIFY(csv.open(QIODevice::WriteOnly));
    csv.write("Zeit stempel,select,Größe,\"a\"\"b\"\n2026-01-01 00:00:00+00,1,1.5,quoted\n");
    csv.close();
    for (const QString &mode : {QStringLiteral("error"), QStringLiteral("skip")}) {
        const auto r = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
                                            QStringLiteral("--table"), QStringLiteral("public.\"x\"\"; DROP TABLE y; --\""),
                                            QStringLiteral("--csv"), csv.fileName(), QStringLiteral("--on-conflict"), mode});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    QueryResult r;
    QVERIFY(db.exec(QStringLiteral("SELECT count(*), min(\"a\"\"b\"), min(\"Größe\") FROM %1").arg(db.quoteIdentifier(table)), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("2"));
    QCOMPARE(r.value(0, 1), QStringLiteral("quoted"));
    QVERIFY(db.exec(QStringLiteral("SELECT count(*) FROM y"), &r, &e)); // still there
    QCOMPARE(r.value(0, 0), QStringLiteral("1"));
}

QTEST_MAIN(TestSecurity)
#include "tst_security.moc"
