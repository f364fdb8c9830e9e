// Faults during a load on the real PostgreSQL 15: the server ends the session mid-upload,
// another session holds a lock on the target.
#include "Database.h"
#include "TestServers.h"

#include <QElapsedTimer>

#include <functional>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

using namespace bfs;

class TestFaults : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void terminatedBackendDuringUploadFailsCleanly();
    void terminatedBackendDuringInsertFailsCleanly();
    void serverRestartDuringUploadFailsCleanly();
    void interruptStopsTheStatementOnTheServer();
    void lockedTableTimesOutNamingTheHolder_data();
    void lockedTableTimesOutNamingTheHolder();

private:
    // Starts a CLI load of the big file, waits until a statement matching `like` runs, then
    // calls `fault`; returns the CLI's exit code and checks nothing was written and a re-run completes.
    void faultDuringLoad(const QString &table, const QStringList &extra, const QString &like, const std::function<void()> &fault);
    QTemporaryDir m_dir;
    QString m_csv;
};

void TestFaults::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QFile csv(m_dir.filePath(QStringLiteral("big.csv")));
    QVERIFY(csv.open(QIODevice::WriteOnly));
    csv.write("time,device_id,v\n");
    QByteArray chunk;
    for (int i = 0; i < 3000000; ++i) {
        chunk += "2026-01-01 00:00:00+00," + QByteArray::number(i) + ",1.5\n";
        if (chunk.size() > (1 << 20)) {
            csv.write(chunk);
            chunk.clear();
        }
    }
    csv.write(chunk);
    csv.close();
    m_csv = csv.fileName();
}

void TestFaults::terminatedBackendDuringUploadFailsCleanly()
{
    faultDuringLoad(QStringLiteral("fault_upload"), {}, QStringLiteral("COPY%"), [] {
        Database admin(TestServers::pg15(QStringLiteral("postgres")));
        DbError e;
        QueryResult r;
        QVERIFY(admin.open(&e));
        QVERIFY(admin.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                                          "'Backfill Studio CLI'"), &r, &e));
    });
}

void TestFaults::terminatedBackendDuringInsertFailsCleanly()
{
    // With duplicates skipped, rows are staged first and then inserted in one statement.
    faultDuringLoad(QStringLiteral("fault_insert"), {QStringLiteral("--on-conflict"), QStringLiteral("skip")},
                    QStringLiteral("INSERT INTO%"), [] {
        Database admin(TestServers::pg15(QStringLiteral("postgres")));
        DbError e;
        QueryResult r;
        QVERIFY(admin.open(&e));
        QVERIFY(admin.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                                          "'Backfill Studio CLI'"), &r, &e));
    });
}

void TestFaults::serverRestartDuringUploadFailsCleanly()
{
    faultDuringLoad(QStringLiteral("fault_restart"), {}, QStringLiteral("COPY%"), [] {
        QProcess restart;
        restart.start(QStringLiteral(BFS_SOURCE_DIR "/tests/fixtures/pg15.sh"),
                      {QStringLiteral("restart"), TestServers::fixtureDir() + QStringLiteral("/pg15")});
        QVERIFY(restart.waitForFinished(120000));
        QVERIFY2(restart.exitCode() == 0, restart.readAllStandardError().constData());
    });
}

void TestFaults::lockedTableTimesOutNamingTheHolder_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::newRow("COPY straight into the table") << QStringList();
    QTest::newRow("staged, duplicates skipped") << QStringList{QStringLiteral("--on-conflict"), QStringLiteral("skip")};
}

void TestFaults::lockedTableTimesOutNamingTheHolder()
{
    QFETCH(QStringList, extra);
    const QString table = QStringLiteral("fault_locked");
    ConnectionProfile holderProfile = TestServers::pg15(QStringLiteral("bf_owner"));
    holderProfile.applicationName = QStringLiteral("nightly-maintenance");
    Database holder(holderProfile);
    DbError e;
    QueryResult r;
    QVERIFY2(holder.open(&e), qPrintable(e.toString()));
    QVERIFY(holder.execScript(QStringLiteral("DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, "
                                             "device_id int NOT NULL, v float8, UNIQUE (time, device_id))").arg(table), &e));
    QVERIFY(holder.exec(QStringLiteral("SELECT pg_backend_pid()"), &r, &e));
    const QString holderPid = r.value(0, 0);
    // Another session keeps the table locked against writes.
    QVERIFY(holder.execScript(QStringLiteral("BEGIN; LOCK TABLE %1 IN SHARE MODE").arg(table), &e));

    const QString file = m_dir.filePath(QStringLiteral("locked.csv"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,device_id,v\n2026-01-01 00:00:00+00,1,1.5\n2026-01-01 00:01:00+00,1,2.5\n2026-01-01 00:02:00+00,1,3.5\n");
    f.close();
    const QStringList args = QStringList{QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
                                         QStringLiteral("--table"), table, QStringLiteral("--csv"), file, QStringLiteral("--lock-timeout"),
                                         QStringLiteral("300")}
        + extra;
    QElapsedTimer t;
    t.start();
    const auto locked = TestServers::runCli(args);
    QVERIFY2(t.elapsed() < 60000, "the load waited for the lock instead of timing out");
    QCOMPARE(locked.exitCode, 4);
    const QString err = QString::fromUtf8(locked.err);
    QVERIFY2(err.contains(QStringLiteral("public.fault_locked is locked by another session (backend %1 (bf_owner, nightly-maintenance) "
                                         "running: BEGIN; LOCK TABLE fault_locked IN SHARE MODE)").arg(holderPid)),
             qPrintable(err));
    QVERIFY2(err.contains(QLatin1String("lock_timeout (300 ms) expired. Nothing was written to public.fault_locked.")), qPrintable(err));

    // Nothing half-done: once the other session lets go, the same load completes.
    QVERIFY(holder.execScript(QStringLiteral("COMMIT"), &e));
    QVERIFY(holder.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("0"));
    const auto again = TestServers::runCli(args);
    QVERIFY2(again.exitCode == 0, again.err.constData());
    QVERIFY(holder.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("3"));
}

void TestFaults::interruptStopsTheStatementOnTheServer()
{
    // Ctrl+C while the server works on the load (here a trigger that takes 30 s a row): the CLI
    // asks the server to cancel the statement instead of waiting for it, writes nothing and
    // exits 5.
    const QString table = QStringLiteral("fault_interrupt");
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY(db.open(&e));
    QVERIFY2(db.execScript(QStringLiteral("DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, device_id int, v float8); "
                                          "CREATE OR REPLACE FUNCTION %1_slow() RETURNS trigger LANGUAGE plpgsql AS "
                                          "$$BEGIN PERFORM pg_sleep(30); RETURN NEW; END$$; "
                                          "CREATE TRIGGER slow BEFORE INSERT ON %1 FOR EACH ROW EXECUTE FUNCTION %1_slow()").arg(table),
                           &e),
             qPrintable(e.toString()));
    const QString file = m_dir.filePath(QStringLiteral("interrupt.csv"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,device_id,v\n2026-01-01 00:00:00+00,1,1.5\n2026-01-01 00:01:00+00,1,2.5\n");
    f.close();
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(TestServers::binary(QStringLiteral("backfill-studio-cli")),
            {QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
             QStringLiteral("--table"), table, QStringLiteral("--csv"), file});
    QVERIFY(p.waitForStarted());
    QElapsedTimer t;
    t.start();
    bool sleeping = false;
    QueryResult r;
    while (t.elapsed() < 20000 && p.state() == QProcess::Running && !sleeping) {
        sleeping = db.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'Backfill Studio CLI' "
                                          "AND state = 'active' AND wait_event = 'PgSleep' AND query LIKE $1"),
                           {QStringLiteral("%") + table + QStringLiteral("%")}, &r, &e)
            && r.intValue(0, 0) > 0;
        if (!sleeping)
            QTest::qWait(20);
    }
    QVERIFY2(sleeping, "the load was caught in the server's trigger");
    QCOMPARE(::kill(pid_t(p.processId()), SIGINT), 0);
    // Well before the first row's 30 s are over (without the cancel request: 60 s).
    QVERIFY2(p.waitForFinished(20000), "the CLI waited for the statement instead of cancelling it");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 5, err.constData());
    QVERIFY2(err.contains("Cancelled"), err.constData());
    QVERIFY(db.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("0"));
    QVERIFY(db.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()"),
                    {QStringLiteral("%") + table + QStringLiteral("%")}, &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("0"));
}

void TestFaults::faultDuringLoad(const QString &table, const QStringList &extra, const QString &like, const std::function<void()> &fault)
{
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY(db.open(&e));
    QVERIFY(db.execScript(QStringLiteral("DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, "
                                         "device_id int NOT NULL, v float8, UNIQUE (device_id))").arg(table), &e));
    db.close();
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(TestServers::binary(QStringLiteral("backfill-studio-cli")),
            QStringList{QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
                        QStringLiteral("--table"), table, QStringLiteral("--csv"), m_csv} + extra);
    QVERIFY(p.waitForStarted());
    // Wait until the statement runs, then make the fault happen.
    QElapsedTimer t;
    t.start();
    bool seen = false;
    while (t.elapsed() < 60000 && p.state() == QProcess::Running && !seen) {
        Database watch(TestServers::pg15(QStringLiteral("postgres")));
        QueryResult r;
        if (watch.open(&e) && watch.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                                        "'Backfill Studio CLI' AND state = 'active' AND query LIKE $1"),
                                         {like}, &r, &e))
            seen = r.intValue(0, 0) > 0;
        if (!seen)
            QTest::qWait(20);
    }
    QVERIFY2(seen, qPrintable(QStringLiteral("the load was caught while running %1").arg(like)));
    fault();
    QVERIFY(p.waitForFinished(120000));
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 3 || p.exitCode() == 4, err.constData());
    QVERIFY2(err.contains("Nothing was written to public." + table.toUtf8()), err.constData());
    Database check(TestServers::pg15(QStringLiteral("bf_owner")));
    QueryResult r;
    QVERIFY2(check.open(&e), qPrintable(e.toString()));
    QVERIFY(check.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("0"));
    // A re-run completes.
    const auto again = TestServers::runCli(QStringList{QStringLiteral("backfill"), QStringLiteral("--db"),
                                                       TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
                                                       QStringLiteral("--table"), table, QStringLiteral("--csv"), m_csv} + extra);
    QVERIFY2(again.exitCode == 0, again.err.constData());
    QVERIFY(check.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("3000000"));
}

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
