// The desktop application finishes an interrupted backfill when it connects: a CLI backfill dies
// near its end (policy paused, a new chunk not compressed yet), then backfill-studio starts with
// --connect and, without a click, compresses that chunk as the policy would, resumes the policy and
// keeps the completed ranges as a ledger, so re-running the same backfill loads nothing twice.
#include "TestServers.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

class TestAppRecovery : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void interruptedBackfillIsFinishedWhenTheAppConnects();
};

void TestAppRecovery::interruptedBackfillIsFinishedWhenTheAppConnects()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString table = QStringLiteral("app_recover");
    const QString created = TestServers::createCompressedHypertable(table, false);
    QVERIFY2(created.isEmpty(), qPrintable(created));
    const QString csv = dir.filePath(QStringLiteral("rows.csv"));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,device_id,temperature,humidity,status\n2026-08-18 10:15:00+00,3,21.5,50,ok\n"
            "2026-08-20 10:15:00+00,3,21.5,50,ok\n2026-08-21 10:15:00+00,3,21.5,50,ok\n2026-08-22 10:15:00+00,3,21.5,50,ok\n");
    f.close();
    const QString journals = dir.filePath(QStringLiteral("journals"));
    const QStringList backfill{QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                               QStringLiteral("--table"), table, QStringLiteral("--csv"), csv, QStringLiteral("--decompress"),
                               QStringLiteral("--journal-dir"), journals};

    // The CLI dies like kill -9 once every row is in, before compressing the new chunk (2026-08-18).
    const auto crashed = TestServers::runCli(backfill, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=compress_new")});
    QCOMPARE(crashed.exitCode, 137);
    QCOMPARE(TestServers::policyScheduledFlag(table), qint64(0));
    QCOMPARE(TestServers::chunksNotFullyCompressed(table), qint64(1));
    QCOMPARE(QDir(journals).entryList({QStringLiteral("*.journal")}, QDir::Files).size(), 1);

    // The application, started by a user who knows nothing of it, connects to the same server.
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("BFS_JOURNAL_DIR"), journals);
    env.insert(QStringLiteral("PGPASSWORD"), QStringLiteral("sandbox"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
    app.setProcessEnvironment(env);
    app.setProcessChannelMode(QProcess::MergedChannels);
    app.start(TestServers::binary(QStringLiteral("backfill-studio")), {QStringLiteral("--connect"), TestServers::sandbox().toConnInfo()});
    QVERIFY(app.waitForStarted());
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 90000 && app.state() == QProcess::Running
           && !QDir(journals).entryList({QStringLiteral("*.journal")}, QDir::Files).isEmpty())
        QTest::qWait(100);
    const bool stillRunning = app.state() == QProcess::Running;
    app.terminate();
    if (!app.waitForFinished(10000)) {
        app.kill();
        app.waitForFinished();
    }
    QVERIFY2(stillRunning, app.readAll().constData());
    QVERIFY2(QDir(journals).entryList({QStringLiteral("*.journal")}, QDir::Files).isEmpty(), app.readAll().constData());
    QCOMPARE(QDir(journals).entryList({QStringLiteral("*.recovered")}, QDir::Files).size(), 1);
    QVERIFY(TestServers::policyScheduled(table));
    QCOMPARE(TestServers::chunksNotFullyCompressed(table), qint64(0));

    // The same backfill again: every range was loaded before the crash, so nothing is loaded twice
    // (the table has no unique key: only the ledger prevents it).
    const auto rerun = TestServers::runCli(backfill, QStringLiteral("sandbox"));
    QVERIFY2(rerun.exitCode == 0, rerun.err.constData());
    QCOMPARE(TestServers::sandboxScalar(QStringLiteral("SELECT count(*) FROM app_recover WHERE device_id = 3")), qint64(4));
    QCOMPARE(TestServers::sandboxScalar(QStringLiteral("SELECT count(*) FROM app_recover")), qint64(292));
    QVERIFY(TestServers::policyScheduled(table));
    QCOMPARE(TestServers::chunksNotFullyCompressed(table), qint64(0));
    QVERIFY(QDir(journals).entryList(QDir::Files).isEmpty());
}

QTEST_GUILESS_MAIN(TestAppRecovery)
#include "tst_app_recovery.moc"
