// Benchmark (run by hand): the longest GUI event-loop stall while the import wizard
// plans and runs a large backfill.   bench_wizard_stall SANDBOX_PORT [ROWS]
// A 5 ms timer measures the gaps between its ticks: first with the wizard idle (the
// baseline), then through planning and running ROWS rows (default 1,000,000).
// Goal (issue 6): no stall over 100 ms.
#include "Database.h"
#include "ImportRunPages.h"
#include "ImportSession.h"
#include "ImportSetupPages.h"
#include "ImportWizard.h"
#include "ServerInspector.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cstdio>

using namespace bfs;

struct StallMeter
{
    QElapsedTimer clock;
    qint64 last = 0;
    qint64 worst = 0;
    QTimer timer;
    StallMeter()
    {
        timer.setInterval(5);
        QObject::connect(&timer, &QTimer::timeout, [this] {
            const qint64 now = clock.elapsed();
            worst = qMax(worst, now - last);
            last = now;
        });
    }
    void start()
    {
        clock.start();
        last = 0;
        worst = 0;
        timer.start();
    }
};

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_wizard_stall SANDBOX_PORT [ROWS]\n");
        return 2;
    }
    const int rows = argc > 2 ? QString::fromLocal8Bit(argv[2]).toInt() : 1000000;
    ConnectionProfile p;
    p.host = QStringLiteral("127.0.0.1");
    p.port = QString::fromLocal8Bit(argv[1]).toInt();
    p.user = QStringLiteral("postgres");
    p.password = QStringLiteral("sandbox");
    p.sslMode = QStringLiteral("disable");
    QTemporaryDir dir;
    {
        Database db(p);
        DbError e;
        if (!db.open(&e) || !db.execScript(QStringLiteral(
                                "DROP TABLE IF EXISTS bench_stall; CREATE TABLE bench_stall (time timestamptz NOT NULL, device_id int NOT NULL, "
                                "v double precision, UNIQUE (time, device_id)); "
                                "SELECT create_hypertable('bench_stall', 'time', chunk_time_interval => interval '1 day'); "
                                "INSERT INTO bench_stall SELECT t, 0, 0 FROM generate_series('2026-06-01'::timestamptz, '2026-07-31', '1 hour') t; "
                                "ALTER TABLE bench_stall SET (timescaledb.compress); SELECT compress_chunk(c, true) FROM show_chunks('bench_stall') c; "
                                "SELECT add_compression_policy('bench_stall', compress_after => interval '30 days');"),
                            &e)) {
            std::fprintf(stderr, "%s\n", qPrintable(e.toString()));
            return 1;
        }
    }
    QFile csv(dir.filePath(QStringLiteral("rows.csv")));
    csv.open(QIODevice::WriteOnly);
    csv.write("time,device_id,v\n");
    const QDateTime start(QDate(2026, 6, 1), QTime(0, 0), Qt::UTC);
    for (int i = 0; i < rows; ++i)
        csv.write(start.addSecs(qint64(i % 5000) * 60 * 17).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss+00")).toUtf8() + ','
                  + QByteArray::number(1 + i / 5000) + ",1.5\n");
    csv.close();
    ServerInspector::Options o;
    o.table = QStringLiteral("bench_stall");
    const ServerInspection in = ServerInspector::inspect(p, o);
    ImportWizard w(p, in.hypertables.value(0));
    w.setJournalDirectory(dir.filePath(QStringLiteral("journals")));
    w.show();
    w.setFile(csv.fileName());
    StallMeter meter;
    meter.start();
    QTest::qWait(2000);
    const qint64 baseline = meter.worst;
    QTest::qWait(10);
    meter.start();
    QElapsedTimer total;
    total.start();
    while (!w.session()->targetLoaded || !w.sourcePage()->isComplete())
        QTest::qWait(20);
    w.next();
    while (!w.formatPage()->isComplete())
        QTest::qWait(20);
    w.next();
    while (!w.columnsPage()->isComplete())
        QTest::qWait(20);
    QSignalSpy planned(w.planPage(), &ImportPlanPage::planReady);
    w.next();
    planned.wait(3600000);
    QSignalSpy finished(w.runPage(), &ImportRunPage::runFinished);
    w.next();
    finished.wait(3600000);
    std::printf("%d rows in %.1f s: %lld rows loaded; longest GUI stall %lld ms (idle baseline %lld ms, ratio %.1fx; goal <= 100 ms)\n",
                rows, total.elapsed() / 1000.0, w.session()->runResult.load.rowsLoaded, meter.worst, baseline,
                double(meter.worst) / double(qMax<qint64>(1, baseline)));
    return 0;
}
