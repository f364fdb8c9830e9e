// Benchmark (run by hand): painting the chunk timeline and loading chunk metadata.
//   bench_timeline [SANDBOX_PORT]
// Prints the time per frame for 10,000 chunks in a 1600×900 view (goal ≤ 8 ms) next to
// an empty timeline painted in the same process (the baseline), and, given a sandbox
// port, the time to inspect a 1,000-chunk hypertable (goal ≤ 1 s).
#include "ChunkTimeline.h"
#include "Database.h"
#include "ServerInspector.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>

#include <cstdio>

using namespace bfs;

static double msPerFrame(ChunkTimeline &t, int frames)
{
    QImage image(t.size(), QImage::Format_ARGB32_Premultiplied);
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < frames; ++i) {
        QPainter p(&image);
        t.render(&p);
    }
    return timer.nsecsElapsed() / 1e6 / frames;
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    HypertableInfo h;
    const QDateTime start(QDate(2020, 1, 1), QTime(0, 0), Qt::UTC);
    for (int i = 0; i < 10000; ++i) {
        ChunkInfo c;
        c.schema = QStringLiteral("_timescaledb_internal");
        c.name = QStringLiteral("_hyper_1_%1_chunk").arg(i);
        c.rangeStart = start.addSecs(qint64(i) * 6 * 3600);
        c.rangeEnd = c.rangeStart.addSecs(6 * 3600);
        c.state = i % 7 == 0 ? ChunkInfo::State::PartiallyCompressed : ChunkInfo::State::Compressed;
        c.totalBytes = 50000 + (i % 100) * 1000;
        h.chunks << c;
    }
    ChunkTimeline empty;
    empty.resize(1600, 900);
    empty.setHypertable(HypertableInfo());
    ChunkTimeline full;
    full.resize(1600, 900);
    full.setHypertable(h);
    msPerFrame(full, 3); // warm-up
    const double base = msPerFrame(empty, 50);
    const double all = msPerFrame(full, 50);
    std::printf("timeline, 10,000 chunks, 1600x900: %.2f ms/frame (empty timeline %.2f ms; ratio %.1fx; goal <= 8 ms)\n", all, base, all / base);
    full.zoom(20, 800);
    std::printf("timeline zoomed in 20x:            %.2f ms/frame\n", msPerFrame(full, 50));

    if (argc > 1) {
        ConnectionProfile p;
        p.host = QStringLiteral("127.0.0.1");
        p.port = QString::fromLocal8Bit(argv[1]).toInt();
        p.user = QStringLiteral("postgres");
        p.password = QStringLiteral("sandbox");
        p.sslMode = QStringLiteral("disable");
        {
            Database db(p);
            DbError e;
            if (!db.open(&e) || !db.execScript(QStringLiteral(
                                    "DROP TABLE IF EXISTS bench_1000; CREATE TABLE bench_1000 (time timestamptz NOT NULL, v int); "
                                    "SELECT create_hypertable('bench_1000', 'time', chunk_time_interval => interval '1 hour'); "
                                    "INSERT INTO bench_1000 SELECT t, 1 FROM generate_series('2026-01-01'::timestamptz, "
                                    "'2026-01-01'::timestamptz + interval '999 hours', '1 hour') t;"),
                                &e)) {
                std::fprintf(stderr, "%s\n", qPrintable(e.toString()));
                return 1;
            }
        }
        ServerInspector::Options o;
        o.table = QStringLiteral("bench_1000");
        QElapsedTimer timer;
        timer.start();
        const ServerInspection in = ServerInspector::inspect(p, o);
        const double ms = timer.nsecsElapsed() / 1e6;
        ServerInspector::Options versions;
        versions.withChunks = false;
        versions.table = QStringLiteral("bench_1000");
        timer.restart();
        ServerInspector::inspect(p, versions);
        const double baseMs = timer.nsecsElapsed() / 1e6;
        std::printf("inspect 1,000-chunk hypertable on the sandbox: %.0f ms for %lld chunks (without chunks %.0f ms; goal <= 1000 ms)\n",
                    ms, qint64(in.hypertables.value(0).chunks.size()), baseMs);
    }
    return 0;
}
