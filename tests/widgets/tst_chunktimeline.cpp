// The chunk timeline by simulated mouse and keys, offscreen.
#include "ChunkTimeline.h"

#include <QSignalSpy>
#include <QtTest>

using namespace bfs;

namespace {

HypertableInfo ninetyDays(int partitions = 1)
{
    HypertableInfo h;
    h.schema = QStringLiteral("public");
    h.name = QStringLiteral("conditions");
    const QDateTime start(QDate(2026, 8, 3), QTime(0, 0), Qt::UTC);
    for (int d = 0; d < 90; ++d) {
        for (int p = 0; p < partitions; ++p) {
            ChunkInfo c;
            c.schema = QStringLiteral("_timescaledb_internal");
            c.name = QStringLiteral("_hyper_1_%1_chunk").arg(d * partitions + p + 1);
            c.rangeStart = start.addDays(d);
            c.rangeEnd = start.addDays(d + 1);
            c.state = d < 60 ? ChunkInfo::State::Compressed : ChunkInfo::State::Uncompressed;
            c.totalBytes = 65536;
            if (d < 60) {
                c.bytesBefore = 90112;
                c.bytesAfter = 40960;
            }
            h.chunks << c;
        }
    }
    return h;
}

// `count` compressed chunks of an hour each from `start`, named c0, c1, …
QList<ChunkInfo> hourlyChunks(int count, const QDateTime &start)
{
    QList<ChunkInfo> chunks;
    for (int i = 0; i < count; ++i) {
        ChunkInfo c;
        c.name = QStringLiteral("c%1").arg(i);
        c.rangeStart = start.addSecs(qint64(i) * 3600);
        c.rangeEnd = c.rangeStart.addSecs(3600);
        c.state = ChunkInfo::State::Compressed;
        c.totalBytes = 1000;
        chunks << c;
    }
    return chunks;
}

} // namespace

class TestChunkTimeline : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fitAllShowsEveryChunkInOrder();
    void wheelZoomKeepsTheTimeUnderTheCursor();
    void dragPansTheView();
    void clickAndKeysSelectChunks();
    void ticksAdaptFromMonthsToMinutes();
    void toolTipNamesRangeStateSizesAndRatio();
    void planOverlayMarksEachTouchedChunk();
    void newChunksOfThePlanAreShownInView();
    void liveStateUpdateRepaintsTheChunk();
    void spacePartitionsGetLanes();
    void paintsInLightAndDarkPalettes();
    void tenThousandChunksStillShowTheirStates();
    void wideChunksAfterAnIntervalChangeAreDrawnWhole();
    void nanosecondIntegerTimeZoomsInWithoutHanging();
};

void TestChunkTimeline::fitAllShowsEveryChunkInOrder()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    t.setHypertable(ninetyDays());
    const QRectF first = t.chunkRect(0);
    const QRectF last = t.chunkRect(89);
    QVERIFY(first.left() >= 0 && last.right() <= t.width());
    QVERIFY(first.left() < 20);
    QVERIFY(last.right() > t.width() - 20);
    for (int i = 1; i < 90; ++i)
        QVERIFY(t.chunkRect(i).left() > t.chunkRect(i - 1).left());
    QCOMPARE(t.accessibleName(), QStringLiteral("Chunk timeline"));
    QVERIFY(t.accessibleDescription().contains(QLatin1String("90 chunks, 60 compressed")));
}

void TestChunkTimeline::wheelZoomKeepsTheTimeUnderTheCursor()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    t.show();
    t.setHypertable(ninetyDays());
    const QPointF at(300, 120);
    const double before = t.valueAt(at.x());
    const double spanBefore = t.viewEnd() - t.viewStart();
    QWheelEvent in(at, t.mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&t, &in);
    QVERIFY(t.viewEnd() - t.viewStart() < spanBefore * 0.7);
    QVERIFY(std::abs(t.valueAt(at.x()) - before) < 1000.0); // within a second
    QWheelEvent out(at, t.mapToGlobal(at), QPoint(), QPoint(0, -240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&t, &out);
    QVERIFY(std::abs((t.viewEnd() - t.viewStart()) - spanBefore) < 1000.0);
}

void TestChunkTimeline::dragPansTheView()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    t.show();
    t.setHypertable(ninetyDays());
    const double start = t.viewStart();
    const double perPixel = (t.viewEnd() - t.viewStart()) / (t.width() - 24);
    QTest::mousePress(&t, Qt::LeftButton, Qt::NoModifier, QPoint(500, 120));
    QTest::mouseMove(&t, QPoint(600, 120));
    QTest::mouseRelease(&t, Qt::LeftButton, Qt::NoModifier, QPoint(600, 120));
    QVERIFY(std::abs((start - t.viewStart()) - 100 * perPixel) < perPixel * 2);
    QCOMPARE(t.selectedChunk(), -1); // a drag is not a click
}

void TestChunkTimeline::clickAndKeysSelectChunks()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    t.show();
    t.setHypertable(ninetyDays());
    QSignalSpy spy(&t, &ChunkTimeline::chunkSelected);
    const QPoint inTenth = t.chunkRect(10).center().toPoint();
    QTest::mouseClick(&t, Qt::LeftButton, Qt::NoModifier, inTenth);
    QCOMPARE(t.selectedChunk(), 10);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.last().at(1).value<ChunkInfo>().name, QStringLiteral("_hyper_1_11_chunk"));
    QTest::keyClick(&t, Qt::Key_Right);
    QCOMPARE(t.selectedChunk(), 11);
    QTest::keyClick(&t, Qt::Key_Left);
    QTest::keyClick(&t, Qt::Key_Left);
    QCOMPARE(t.selectedChunk(), 9);
    QTest::keyClick(&t, Qt::Key_End);
    QCOMPARE(t.selectedChunk(), 89);
    // Zoomed in, keyboard selection scrolls the chunk into view.
    for (int i = 0; i < 6; ++i)
        QTest::keyClick(&t, Qt::Key_Plus);
    QTest::keyClick(&t, Qt::Key_Home);
    QCOMPARE(t.selectedChunk(), 0);
    QVERIFY(t.chunkRect(0).left() >= 0 && t.chunkRect(0).right() <= t.width());
    QTest::keyClick(&t, Qt::Key_0);
    QVERIFY(t.chunkRect(89).right() <= t.width());
}

void TestChunkTimeline::ticksAdaptFromMonthsToMinutes()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    t.setHypertable(ninetyDays());
    QVERIFY2(t.tickStep() >= 7 * 86400, qPrintable(QString::number(t.tickStep())));
    for (int i = 0; i < 30; ++i)
        t.zoom(1.5, 500);
    QVERIFY2(t.tickStep() <= 3600, qPrintable(QString::number(t.tickStep())));
    QVERIFY(t.viewEnd() - t.viewStart() >= 600000); // never closer than ten minutes
}

void TestChunkTimeline::toolTipNamesRangeStateSizesAndRatio()
{
    ChunkTimeline t;
    t.setHypertable(ninetyDays());
    const QString tip = t.toolTipFor(0);
    QVERIFY(tip.contains(QLatin1String("_timescaledb_internal._hyper_1_1_chunk")));
    QVERIFY2(tip.contains(QStringLiteral("2026-08-03 00:00 … 2026-08-04 00:00 UTC")), qPrintable(tip));
    QVERIFY(tip.contains(QLatin1String("State: compressed")));
    QVERIFY(tip.contains(QLatin1String("Size: 64.0 kB")));
    QVERIFY2(tip.contains(QStringLiteral("(ratio 2.2×)")), qPrintable(tip));
    QVERIFY(!t.toolTipFor(70).contains(QLatin1String("ratio")));
}

void TestChunkTimeline::planOverlayMarksEachTouchedChunk()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    const HypertableInfo h = ninetyDays();
    t.setHypertable(h);
    BackfillPlan plan;
    BackfillPlan::ChunkStep direct;
    direct.chunk = h.chunks.at(7);
    direct.action = BackfillPlan::Action::DirectInsert;
    BackfillPlan::ChunkStep decompress;
    decompress.chunk = h.chunks.at(8);
    decompress.action = BackfillPlan::Action::DecompressInsertRecompress;
    plan.chunks << direct << decompress;
    plan.summary.minTime = h.chunks.at(7).rangeStart;
    plan.summary.maxTime = h.chunks.at(8).rangeEnd;
    t.setPlan(plan);
    BackfillPlan::Action a;
    QVERIFY(t.plannedAction(7, &a));
    QCOMPARE(a, BackfillPlan::Action::DirectInsert);
    QVERIFY(t.plannedAction(8, &a));
    QCOMPARE(a, BackfillPlan::Action::DecompressInsertRecompress);
    QVERIFY(!t.plannedAction(9, &a));
    QVERIFY(t.toolTipFor(8).contains(QLatin1String("Planned: decompress")));
    QVERIFY(t.accessibleDescription().contains(QLatin1String("backfill touches 2 chunks")));
    // The overlay frame is drawn in the action's colour around the chunk.
    const QImage img = t.grab().toImage();
    const QRectF r = t.chunkRect(8);
    const QColor edge = img.pixelColor(QPoint(int(r.center().x()), int(r.top()) + 1));
    QVERIFY2(edge.red() > 150 && edge.blue() < 100, qPrintable(edge.name()));
    t.clearPlan();
    QVERIFY(!t.plannedAction(8, &a));
}

void TestChunkTimeline::newChunksOfThePlanAreShownInView()
{
    // Rows two weeks before the first chunk: the plan makes new chunks there. The view widens to
    // show them, and they are marked in the new-chunk colour (the legend names it).
    ChunkTimeline t;
    t.resize(1000, 240);
    const HypertableInfo h = ninetyDays();
    t.setHypertable(h);
    const QDateTime lo = h.chunks.first().rangeStart.addDays(-14), hi = h.chunks.first().rangeStart.addDays(-12);
    BackfillPlan plan;
    plan.summary.minTime = lo;
    plan.summary.maxTime = hi;
    plan.summary.rowsOutsideChunks = 10;
    plan.summary.outsideSpans << qMakePair(lo.toMSecsSinceEpoch(), hi.toMSecsSinceEpoch());
    t.setPlan(plan);
    const QRectF first = t.chunkRect(0);
    const double pxPerDay = t.chunkRect(1).left() - first.left();
    QVERIFY2(first.left() > 13 * pxPerDay, qPrintable(QString::number(first.left())));
    // (the action strip above the chunks, somewhere in that column)
    const auto marked = [&](const QImage &img) {
        const int x = int(first.left() - 13 * pxPerDay);
        for (int y = 0; y < int(first.bottom()); ++y)
            if (img.pixelColor(x, y) == ChunkTimeline::actionColor(BackfillPlan::Action::NewChunk))
                return true;
        return false;
    };
    QVERIFY(marked(t.grab().toImage()));
    t.clearPlan();
    QVERIFY(!marked(t.grab().toImage()));
}

void TestChunkTimeline::liveStateUpdateRepaintsTheChunk()
{
    ChunkTimeline t;
    t.resize(1000, 240);
    t.setHypertable(ninetyDays());
    const QRectF r = t.chunkRect(5);
    const QPoint inside(int(r.center().x()), int(r.bottom()) - 3);
    const QColor before = t.grab().toImage().pixelColor(inside);
    QCOMPARE(before, ChunkTimeline::stateColor(ChunkInfo::State::Compressed, t.palette()));
    t.setChunkState(QStringLiteral("_timescaledb_internal._hyper_1_6_chunk"), ChunkInfo::State::PartiallyCompressed);
    QCOMPARE(t.hypertable().chunks.at(5).state, ChunkInfo::State::PartiallyCompressed);
    QCOMPARE(t.grab().toImage().pixelColor(inside), ChunkTimeline::stateColor(ChunkInfo::State::PartiallyCompressed, t.palette()));
}

void TestChunkTimeline::spacePartitionsGetLanes()
{
    ChunkTimeline t;
    t.resize(1000, 300);
    t.setHypertable(ninetyDays(2));
    const QRectF a = t.chunkRect(0);
    const QRectF b = t.chunkRect(1);
    QCOMPARE(a.left(), b.left());
    QVERIFY(b.top() > a.bottom() - 1); // second lane below the first
    QCOMPARE(t.chunkAt(b.center().toPoint()), 1);
}

void TestChunkTimeline::paintsInLightAndDarkPalettes()
{
    for (bool dark : {false, true}) {
        ChunkTimeline t;
        QPalette pal;
        pal.setColor(QPalette::Window, dark ? QColor(30, 30, 30) : QColor(240, 240, 240));
        pal.setColor(QPalette::Base, dark ? QColor(20, 20, 20) : Qt::white);
        pal.setColor(QPalette::Text, dark ? Qt::white : Qt::black);
        t.setPalette(pal);
        t.resize(800, 200);
        t.setHypertable(ninetyDays());
        const QImage img = t.grab().toImage();
        const QColor base = pal.color(QPalette::Base);
        for (auto s : {ChunkInfo::State::Uncompressed, ChunkInfo::State::Compressed, ChunkInfo::State::PartiallyCompressed}) {
            const QColor c = ChunkTimeline::stateColor(s, pal);
            const int contrast = std::abs(c.lightness() - base.lightness());
            QVERIFY2(contrast > 40, qPrintable(QStringLiteral("%1 on %2").arg(c.name(), base.name())));
        }
        QVERIFY(img.pixelColor(t.chunkRect(0).center().toPoint()) != base);
    }
}

void TestChunkTimeline::tenThousandChunksStillShowTheirStates()
{
    HypertableInfo h;
    h.chunks = hourlyChunks(10000, QDateTime(QDate(2020, 1, 1), QTime(0, 0), Qt::UTC));
    for (int i = 5000; i < 5400; ++i)
        h.chunks[i].state = ChunkInfo::State::PartiallyCompressed;
    ChunkTimeline t;
    t.resize(824, 200);
    t.setHypertable(h);
    const QImage img = t.grab().toImage();
    // Sub-pixel chunks are drawn per pixel column: the partial block in the middle shows.
    const QRectF middle = t.chunkRect(5200);
    const QRectF early = t.chunkRect(1000);
    QCOMPARE(img.pixelColor(QPoint(int(middle.left()), int(middle.bottom()) - 2)),
             ChunkTimeline::stateColor(ChunkInfo::State::PartiallyCompressed, t.palette()));
    QCOMPARE(img.pixelColor(QPoint(int(early.left()), int(early.bottom()) - 2)),
             ChunkTimeline::stateColor(ChunkInfo::State::Compressed, t.palette()));
    QTest::mouseClick(&t, Qt::LeftButton, Qt::NoModifier, middle.center().toPoint());
    QVERIFY(t.selectedChunk() >= 5150 && t.selectedChunk() <= 5250);
}

void TestChunkTimeline::wideChunksAfterAnIntervalChangeAreDrawnWhole()
{
    // chunk_time_interval raised from an hour to 30 days: thousands of sub-pixel chunks, then wide
    // ones. Each wide chunk fills its whole width (it was drawn as a one-pixel sliver).
    HypertableInfo h;
    h.chunks = hourlyChunks(5000, QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC));
    const QDateTime wideStart = h.chunks.last().rangeEnd;
    for (int i = 0; i < 6; ++i) {
        ChunkInfo c;
        c.name = QStringLiteral("m%1").arg(i);
        c.rangeStart = wideStart.addDays(30 * i);
        c.rangeEnd = c.rangeStart.addDays(30);
        c.state = ChunkInfo::State::Uncompressed;
        c.totalBytes = 1000;
        h.chunks << c;
    }
    ChunkTimeline t;
    t.resize(824, 200);
    t.setHypertable(h);
    const QImage img = t.grab().toImage();
    const QColor uncompressed = ChunkTimeline::stateColor(ChunkInfo::State::Uncompressed, t.palette());
    for (int i = 5000; i < 5006; ++i) {
        const QRectF r = t.chunkRect(i);
        QVERIFY2(r.width() > 20, qPrintable(QString::number(r.width())));
        for (const double x : {r.left() + 2, r.center().x(), r.right() - 2})
            QCOMPARE(img.pixelColor(QPoint(int(x), int(r.bottom()) - 2)), uncompressed);
    }

    // The other way round (lowered from 30 days to an hour): the wide chunks come first, and the
    // narrow ones after them still show, every pixel column of them.
    HypertableInfo lowered;
    lowered.chunks = h.chunks.mid(5000);
    for (int i = 0; i < 6; ++i)
        lowered.chunks[i].rangeStart = lowered.chunks[i].rangeStart.addDays(-400), lowered.chunks[i].rangeEnd = lowered.chunks[i].rangeEnd.addDays(-400);
    lowered.chunks += hourlyChunks(5000, lowered.chunks.last().rangeEnd);
    t.setHypertable(lowered);
    const QImage after = t.grab().toImage();
    const QColor compressed = ChunkTimeline::stateColor(ChunkInfo::State::Compressed, t.palette());
    QCOMPARE(after.pixelColor(QPoint(int(t.chunkRect(2).center().x()), int(t.chunkRect(2).bottom()) - 2)), uncompressed);
    const int narrowFrom = int(std::ceil(t.chunkRect(6).left())), narrowTo = int(t.chunkRect(lowered.chunks.size() - 1).right());
    QVERIFY(narrowTo - narrowFrom > 100);
    for (int x = narrowFrom + 1; x < narrowTo - 1; ++x)
        QCOMPARE(after.pixelColor(QPoint(x, int(t.chunkRect(6).bottom()) - 2)), compressed);
}

void TestChunkTimeline::nanosecondIntegerTimeZoomsInWithoutHanging()
{
    // Integer time in nanoseconds (near 1.7e18, where a double's step is 256): zooming in as far
    // as it goes still paints (ticks once never ended), and the view keeps a span it can tell apart.
    HypertableInfo h;
    h.schema = QStringLiteral("public");
    h.name = QStringLiteral("ns");
    for (int i = 0; i < 4; ++i) {
        ChunkInfo c;
        c.schema = QStringLiteral("_timescaledb_internal");
        c.name = QStringLiteral("_hyper_9_%1_chunk").arg(i + 1);
        c.integerRange = true;
        c.rangeStartInteger = 1700000000000000000LL + qint64(i) * 86400000000000LL;
        c.rangeEndInteger = c.rangeStartInteger + 86400000000000LL;
        h.chunks << c;
    }
    ChunkTimeline t;
    t.resize(1000, 240);
    t.show();
    t.setHypertable(h);
    for (int i = 0; i < 200; ++i) {
        QWheelEvent in(QPointF(500, 120), t.mapToGlobal(QPointF(500, 120)), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                       Qt::NoScrollPhase, false);
        QApplication::sendEvent(&t, &in);
    }
    QVERIFY(t.viewEnd() - t.viewStart() >= 1e-12 * t.viewStart());
    const QImage shot = t.grab().toImage(); // paints the axis: returns
    QVERIFY(!shot.isNull());
}

QTEST_MAIN(TestChunkTimeline)
#include "tst_chunktimeline.moc"
