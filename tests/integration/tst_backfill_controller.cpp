// The engine on its worker thread: queued progress and result signals, and cancel.
#include "BackfillController.h"
#include "Database.h"
#include "TestServers.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace bfs;

class TestBackfillController : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void runsOnTheWorkerThreadAndReportsProgress();
    void cancelStopsBetweenChunksAndRestores();

private:
    BackfillEngine::Options options(const QString &table);
    QTemporaryDir m_dir;
};

void TestBackfillController::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

BackfillEngine::Options TestBackfillController::options(const QString &table)
{
    Database db(TestServers::sandbox());
    DbError e;
    if (!db.open(&e) || !db.execScript(QStringLiteral(
                                            "DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, v int, UNIQUE (time)); "
                                            "SELECT create_hypertable('%1', 'time', chunk_time_interval => interval '1 day'); "
                                            "INSERT INTO %1 SELECT t, 0 FROM generate_series('2026-08-01'::timestamptz, '2026-08-05 23:00', '1 hour') t; "
                                            "ALTER TABLE %1 SET (timescaledb.compress); SELECT compress_chunk(c, true) FROM show_chunks('%1') c; "
                                            "SELECT add_compression_policy('%1', compress_after => interval '30 days');")
                                            .arg(table),
                                        &e))
        qWarning("%s", qPrintable(e.toString()));
    const QString path = m_dir.filePath(table + QStringLiteral(".csv"));
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write("time,v\n");
    for (int day = 1; day <= 5; ++day)
        f.write(QStringLiteral("2026-08-0%1 00:30:00+00,%1\n").arg(day).toUtf8());
    f.close();
    BackfillEngine::Options o;
    o.load.csvPath = path;
    o.load.table = table;
    o.journalDirectory = m_dir.filePath(QStringLiteral("journals"));
    return o;
}

void TestBackfillController::runsOnTheWorkerThreadAndReportsProgress()
{
    BackfillController controller;
    QSignalSpy progress(&controller, &BackfillController::progress);
    QSignalSpy statements(&controller, &BackfillController::statement);
    QSignalSpy finished(&controller, &BackfillController::finished);
    QList<QThread *> threads;
    connect(&controller, &BackfillController::progress, this, [&threads] { threads << QThread::currentThread(); });
    controller.start(TestServers::sandbox(), options(QStringLiteral("ct_run")));
    QVERIFY(controller.isRunning()); // start() returned at once
    QVERIFY(finished.wait(60000));
    const auto r = finished.first().first().value<BackfillEngine::Result>();
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    QCOMPARE(r.load.rowsLoaded, qint64(5));
    QVERIFY(r.policyRestored);
    QVERIFY(!controller.isRunning());
    QVERIFY(progress.size() >= 5); // stage, plan, one per chunk, recompress, finish
    QVERIFY(statements.size() > 10);
    for (QThread *t : threads)
        QCOMPARE(t, QThread::currentThread()); // delivered on the GUI (test) thread
    QStringList phases;
    for (const auto &args : progress)
        phases << args.first().value<BackfillEngine::Progress>().phase;
    QVERIFY(phases.contains(QStringLiteral("move")));
    QCOMPARE(phases.last(), QStringLiteral("finish"));
}

void TestBackfillController::cancelStopsBetweenChunksAndRestores()
{
    BackfillController controller;
    QSignalSpy finished(&controller, &BackfillController::finished);
    connect(&controller, &BackfillController::progress, this, [&controller](const BackfillEngine::Progress &p) {
        if (p.phase == QLatin1String("move") && p.chunk == 2)
            controller.cancel();
    });
    controller.start(TestServers::sandbox(), options(QStringLiteral("ct_cancel")));
    QVERIFY(finished.wait(60000));
    const auto r = finished.first().first().value<BackfillEngine::Result>();
    QCOMPARE(r.outcome, CsvLoader::Outcome::Cancelled);
    QVERIFY(r.policyRestored);
    QVERIFY(r.message.startsWith(QLatin1String("Cancelled.")));
    Database db(TestServers::sandbox());
    DbError e;
    QueryResult q;
    QVERIFY(db.open(&e));
    QVERIFY(db.exec(QStringLiteral("SELECT count(*) FILTER (WHERE v > 0), bool_and(j.scheduled) FROM ct_cancel, "
                                   "timescaledb_information.jobs j WHERE j.hypertable_name = 'ct_cancel'"),
                    &q, &e));
    QVERIFY2(q.intValue(0, 0) < 5, "the run stopped before the last chunk");
    QCOMPARE(q.value(0, 1), QStringLiteral("t"));
}

QTEST_GUILESS_MAIN(TestBackfillController)
#include "tst_backfill_controller.moc"
