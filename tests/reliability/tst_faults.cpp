// Faults during a load on the real PostgreSQL 15: the server ends the session mid-upload.
#include "Database.h"
#include "TestServers.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace bfs;

class TestFaults : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void terminatedBackendDuringUploadFailsCleanly();
};

void TestFaults::terminatedBackendDuringUploadFailsCleanly()
{
    QTemporaryDir dir;
    QFile csv(dir.filePath(QStringLiteral("big.csv")));
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
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY(db.open(&e));
    QVERIFY(db.execScript(QStringLiteral("DROP TABLE IF EXISTS fault_t; CREATE TABLE fault_t (time timestamptz NOT NULL, "
                                         "device_id int NOT NULL, v float8)"), &e));
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(TestServers::binary(QStringLiteral("backfill-studio-cli")),
            {QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
             QStringLiteral("--table"), QStringLiteral("fault_t"), QStringLiteral("--csv"), csv.fileName()});
    QVERIFY(p.waitForStarted());
    // Wait until the COPY is running, then end that backend from another session.
    QElapsedTimer t;
    t.start();
    qint64 terminated = 0;
    QueryResult r;
    while (t.elapsed() < 30000 && p.state() == QProcess::Running && terminated == 0) {
        if (db.exec(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
                                   "'Backfill Studio CLI' AND query LIKE 'COPY%'"),
                    &r, &e))
            terminated = r.intValue(0, 0);
        QTest::qWait(20);
    }
    QVERIFY2(terminated == 1, "the upload was caught while running");
    QVERIFY(p.waitForFinished(60000));
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 3 || p.exitCode() == 4, err.constData());
    QVERIFY2(err.contains("Nothing was written to public.fault_t"), err.constData());
    QVERIFY(db.exec(QStringLiteral("SELECT count(*) FROM fault_t"), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("0"));
    // A re-run completes.
    const auto again = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
                                            QStringLiteral("--table"), QStringLiteral("fault_t"), QStringLiteral("--csv"), csv.fileName()});
    QCOMPARE(again.exitCode, 0);
    QVERIFY(db.exec(QStringLiteral("SELECT count(*) FROM fault_t"), &r, &e));
    QCOMPARE(r.value(0, 0), QStringLiteral("3000000"));
}

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
