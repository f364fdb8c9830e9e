#include "ChunkTimeline.h"

#include "ChunkTableModel.h"

#include <QAccessible>
#include <QDateTime>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace bfs {

namespace {

constexpr int kAxisHeight = 34;
constexpr int kLegendHeight = 22;
constexpr int kMargin = 12;

QString actionLabel(BackfillPlan::Action a)
{
    switch (a) {
    case BackfillPlan::Action::DirectInsert: return QStringLiteral("direct insert");
    case BackfillPlan::Action::DecompressInsertRecompress: return QStringLiteral("decompress");
    case BackfillPlan::Action::NewChunk: return QStringLiteral("new chunk");
    case BackfillPlan::Action::Blocked: return QStringLiteral("blocked");
    }
    return QString();
}

} // namespace

ChunkTimeline::ChunkTimeline(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("chunkTimeline"));
    setAccessibleName(QStringLiteral("Chunk timeline"));
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    updateAccessibleDescription();
}

QColor ChunkTimeline::actionColor(BackfillPlan::Action a)
{
    switch (a) {
    case BackfillPlan::Action::DirectInsert: return QColor(0x2c, 0xa0, 0x2c);
    case BackfillPlan::Action::DecompressInsertRecompress: return QColor(0xd6, 0x27, 0x28);
    case BackfillPlan::Action::NewChunk: return QColor(0x94, 0x67, 0xbd);
    case BackfillPlan::Action::Blocked: return QColor(0x7f, 0x7f, 0x7f);
    }
    return Qt::black;
}

QColor ChunkTimeline::stateColor(ChunkInfo::State state, const QPalette &palette)
{
    // Colour-blind-safe hues that stay readable on light and dark window colours.
    const bool dark = palette.color(QPalette::Window).lightness() < 128;
    switch (state) {
    case ChunkInfo::State::Uncompressed: return dark ? QColor(0x6b, 0xae, 0xd6) : QColor(0x9e, 0xca, 0xe1);
    case ChunkInfo::State::Compressed: return dark ? QColor(0x2b, 0x8c, 0xbe) : QColor(0x08, 0x51, 0x9c);
    case ChunkInfo::State::PartiallyCompressed: return dark ? QColor(0xfd, 0xae, 0x6b) : QColor(0xe6, 0x55, 0x0d);
    case ChunkInfo::State::Frozen: return dark ? QColor(0xbd, 0xbd, 0xbd) : QColor(0x63, 0x63, 0x63);
    }
    return Qt::gray;
}

double ChunkTimeline::chunkStart(const ChunkInfo &c) const
{
    return c.integerRange ? double(c.rangeStartInteger) : double(c.rangeStart.toMSecsSinceEpoch());
}

double ChunkTimeline::chunkEnd(const ChunkInfo &c) const
{
    return c.integerRange ? double(c.rangeEndInteger) : double(c.rangeEnd.toMSecsSinceEpoch());
}

void ChunkTimeline::setHypertable(const HypertableInfo &hypertable)
{
    m_ht = hypertable;
    m_integer = !m_ht.chunks.isEmpty() && m_ht.chunks.first().integerRange;
    // Lanes: chunks that share a time range (space partitions) stack.
    m_lane.clear();
    m_lanes = 1;
    m_maxBytes = 1;
    QHash<QString, int> perRange;
    for (const ChunkInfo &c : std::as_const(m_ht.chunks)) {
        const QString key = QString::number(chunkStart(c), 'f', 0) + QLatin1Char('-') + QString::number(chunkEnd(c), 'f', 0);
        const int lane = perRange.value(key, 0);
        perRange.insert(key, lane + 1);
        m_lane << lane;
        m_lanes = qMax(m_lanes, lane + 1);
        m_maxBytes = qMax(m_maxBytes, qMax(c.totalBytes, c.bytesBefore));
    }
    m_selected = -1;
    clearPlan();
    fitAll();
    updateAccessibleDescription();
}

void ChunkTimeline::setPlan(const BackfillPlan &plan)
{
    m_actions.clear();
    for (const BackfillPlan::ChunkStep &s : plan.chunks)
        m_actions.insert(s.chunk.qualifiedName(), s.action);
    m_hasPlan = true;
    m_newSpans = plan.summary.outsideSpans;
    if (std::any_of(m_newSpans.cbegin(), m_newSpans.cend(),
                    [this](const auto &s) { return double(s.first) < m_viewStart || double(s.second) > m_viewEnd; }))
        fitAll(); // (rows before the first chunk, say: in view)
    if (plan.summary.integerTime) {
        m_planStart = double(plan.summary.minInteger);
        m_planEnd = double(plan.summary.maxInteger);
    } else if (plan.summary.minTime.isValid()) {
        m_planStart = double(plan.summary.minTime.toMSecsSinceEpoch());
        m_planEnd = double(plan.summary.maxTime.toMSecsSinceEpoch());
    }
    updateAccessibleDescription();
    update();
}

void ChunkTimeline::clearPlan()
{
    m_actions.clear();
    m_newSpans.clear();
    m_hasPlan = false;
    update();
}

void ChunkTimeline::setChunkState(const QString &qualifiedName, ChunkInfo::State state)
{
    for (ChunkInfo &c : m_ht.chunks) {
        if (c.qualifiedName() == qualifiedName && c.state != state) {
            c.state = state;
            update();
        }
    }
}

bool ChunkTimeline::plannedAction(int index, BackfillPlan::Action *action) const
{
    if (index < 0 || index >= m_ht.chunks.size())
        return false;
    const auto it = m_actions.constFind(m_ht.chunks.at(index).qualifiedName());
    if (it == m_actions.constEnd())
        return false;
    *action = *it;
    return true;
}

QRectF ChunkTimeline::plotRect() const
{
    // Below the legend: a strip for the planned actions, then the chunks.
    return QRectF(kMargin, kLegendHeight + 14, qMax(1, width() - 2 * kMargin), qMax(1, height() - kAxisHeight - kLegendHeight - 18));
}

double ChunkTimeline::valueAt(double x) const
{
    const QRectF p = plotRect();
    return m_viewStart + (x - p.left()) / p.width() * (m_viewEnd - m_viewStart);
}

double ChunkTimeline::xFor(double value) const
{
    const QRectF p = plotRect();
    return p.left() + (value - m_viewStart) / (m_viewEnd - m_viewStart) * p.width();
}

void ChunkTimeline::fitAll()
{
    if (m_ht.chunks.isEmpty() && !m_newSpans.isEmpty()) {
        m_viewStart = double(m_newSpans.first().first);
        m_viewEnd = double(m_newSpans.first().second);
    } else if (m_ht.chunks.isEmpty()) {
        const double now = double(QDateTime::currentMSecsSinceEpoch());
        m_viewStart = now - 86400000.0 * 30;
        m_viewEnd = now;
    } else {
        m_viewStart = chunkStart(m_ht.chunks.first());
        m_viewEnd = chunkEnd(m_ht.chunks.first());
        for (const ChunkInfo &c : std::as_const(m_ht.chunks)) {
            m_viewStart = qMin(m_viewStart, chunkStart(c));
            m_viewEnd = qMax(m_viewEnd, chunkEnd(c));
        }
    }
    for (const auto &[lo, hi] : std::as_const(m_newSpans)) { // (and where new chunks will go)
        m_viewStart = qMin(m_viewStart, double(lo));
        m_viewEnd = qMax(m_viewEnd, double(hi));
    }
    if (m_viewEnd <= m_viewStart)
        m_viewEnd = m_viewStart + 1;
    update();
}

void ChunkTimeline::zoom(double factor, double anchorX)
{
    const double anchor = valueAt(anchorX);
    const double span = (m_viewEnd - m_viewStart) / factor;
    // Ten units / ten minutes, and never below what a double tells apart at these values
    // (integer time in nanoseconds is near 2^60, where one step of a double is 256).
    const double minSpan = qMax(m_integer ? 10.0 : 60000.0 * 10, 1e-12 * qMax(std::abs(m_viewStart), std::abs(m_viewEnd)));
    if (span < minSpan)
        return;
    const double ratio = (anchorX - plotRect().left()) / plotRect().width();
    m_viewStart = anchor - ratio * span;
    m_viewEnd = m_viewStart + span;
    update();
}

QRectF ChunkTimeline::chunkRect(int index) const
{
    if (index < 0 || index >= m_ht.chunks.size())
        return QRectF();
    const ChunkInfo &c = m_ht.chunks.at(index);
    const QRectF p = plotRect();
    const double laneHeight = p.height() / m_lanes;
    const qint64 bytes = qMax(c.totalBytes, c.bytesBefore);
    const double share = bytes > 0 ? std::sqrt(double(bytes) / double(m_maxBytes)) : 0.5;
    const double h = laneHeight * (0.35 + 0.6 * share);
    const double x1 = xFor(chunkStart(c));
    const double x2 = xFor(chunkEnd(c));
    const double top = p.top() + laneHeight * m_lane.value(index) + (laneHeight - h);
    return QRectF(x1 + 0.5, top, qMax(1.0, x2 - x1 - 1.0), h - 1);
}

int ChunkTimeline::chunkAt(const QPoint &pos) const
{
    const QRectF p = plotRect();
    const double laneHeight = p.height() / m_lanes;
    for (int i = 0; i < m_ht.chunks.size(); ++i) {
        const QRectF r = chunkRect(i);
        const QRectF lane(r.left(), p.top() + laneHeight * m_lane.value(i), r.width(), laneHeight);
        if (lane.contains(pos))
            return i;
    }
    return -1;
}

void ChunkTimeline::setSelectedChunk(int index)
{
    if (index < -1 || index >= m_ht.chunks.size() || index == m_selected)
        return;
    m_selected = index;
    if (index >= 0) {
        // Keep the selection in view.
        const ChunkInfo &c = m_ht.chunks.at(index);
        const double span = m_viewEnd - m_viewStart;
        if (chunkStart(c) < m_viewStart) {
            m_viewStart = chunkStart(c) - span * 0.05;
            m_viewEnd = m_viewStart + span;
        } else if (chunkEnd(c) > m_viewEnd) {
            m_viewEnd = chunkEnd(c) + span * 0.05;
            m_viewStart = m_viewEnd - span;
        }
        Q_EMIT chunkSelected(index, c);
    }
    updateAccessibleDescription();
    update();
}

QString ChunkTimeline::toolTipFor(int index) const
{
    if (index < 0 || index >= m_ht.chunks.size())
        return QString();
    const ChunkInfo &c = m_ht.chunks.at(index);
    const QString range = c.integerRange
        ? QStringLiteral("%1 … %2").arg(c.rangeStartInteger).arg(c.rangeEndInteger)
        : QStringLiteral("%1 … %2 UTC").arg(c.rangeStart.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                                            c.rangeEnd.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    QStringList lines{QStringLiteral("<b>%1</b>").arg(c.qualifiedName().toHtmlEscaped()), range,
                      QStringLiteral("State: %1").arg(ChunkInfo::stateName(c.state))};
    if (c.totalBytes >= 0)
        lines << QStringLiteral("Size: %1").arg(ChunkTableModel::formatBytes(c.totalBytes));
    if (c.bytesBefore > 0 && c.bytesAfter > 0)
        // (TimescaleDB measures a chunk when it compresses it whole: rows inserted into it since,
        // and compressed in place, leave these as they were)
        lines << QStringLiteral("When compressed whole: %1 before, %2 after (ratio %3×)")
                     .arg(ChunkTableModel::formatBytes(c.bytesBefore), ChunkTableModel::formatBytes(c.bytesAfter))
                     .arg(double(c.bytesBefore) / double(c.bytesAfter), 0, 'f', 1);
    BackfillPlan::Action a;
    if (plannedAction(index, &a))
        lines << QStringLiteral("Planned: %1").arg(actionLabel(a));
    return lines.join(QStringLiteral("<br>"));
}

double ChunkTimeline::tickStep() const
{
    const double span = m_viewEnd - m_viewStart;
    const double pixels = qMax(1.0, plotRect().width());
    const double wanted = span / pixels * 90.0; // about one label per 90 px
    if (m_integer) {
        double step = 1;
        while (step < wanted)
            step *= (QString::number(step).startsWith(QLatin1Char('2')) ? 2.5 : 2);
        return step;
    }
    static const double steps[] = {60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400,
                                   30 * 86400, 91 * 86400, 365 * 86400, 5 * 365 * 86400.0, 10 * 365 * 86400.0};
    for (double s : steps)
        if (s * 1000.0 >= wanted)
            return s;
    return 10 * 365 * 86400.0;
}

QString ChunkTimeline::formatValue(double v, double step) const
{
    if (m_integer)
        return QString::number(qint64(v));
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(qint64(v), Qt::UTC);
    if (step >= 365 * 86400)
        return t.toString(QStringLiteral("yyyy"));
    if (step >= 30 * 86400)
        return t.toString(QStringLiteral("MMM yyyy"));
    if (step >= 86400)
        return t.toString(QStringLiteral("d MMM"));
    if (step >= 3600)
        return t.toString(QStringLiteral("d MMM HH:mm"));
    return t.toString(QStringLiteral("HH:mm"));
}

void ChunkTimeline::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QRectF plot = plotRect();
    p.setPen(pal.color(QPalette::Text));
    QFont small = font();
    small.setPointSizeF(qMax(7.0, small.pointSizeF() * 0.9));
    p.setFont(small);

    // Legend.
    double lx = kMargin;
    auto legend = [&](const QColor &color, const QString &text) {
        p.fillRect(QRectF(lx, 6, 12, 12), color);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QPointF(lx + 16, 16), text);
        lx += 24 + p.fontMetrics().horizontalAdvance(text);
    };
    legend(stateColor(ChunkInfo::State::Uncompressed, pal), QStringLiteral("uncompressed"));
    legend(stateColor(ChunkInfo::State::Compressed, pal), QStringLiteral("compressed"));
    legend(stateColor(ChunkInfo::State::PartiallyCompressed, pal), QStringLiteral("partially compressed"));
    legend(stateColor(ChunkInfo::State::Frozen, pal), QStringLiteral("frozen"));
    if (m_hasPlan) {
        for (auto a : {BackfillPlan::Action::DirectInsert, BackfillPlan::Action::DecompressInsertRecompress, BackfillPlan::Action::NewChunk}) {
            p.setPen(QPen(actionColor(a), 2));
            p.drawRect(QRectF(lx, 6, 12, 12));
            p.setPen(pal.color(QPalette::Text));
            p.drawText(QPointF(lx + 16, 16), actionLabel(a));
            lx += 24 + p.fontMetrics().horizontalAdvance(actionLabel(a));
        }
    }

    // Backfill range.
    if (m_hasPlan && m_planEnd > m_planStart) {
        QColor band = pal.color(QPalette::Highlight);
        band.setAlpha(50);
        const double x1 = qMax(plot.left(), xFor(m_planStart));
        const double x2 = qMin(plot.right(), xFor(m_planEnd));
        if (x2 > x1)
            p.fillRect(QRectF(x1, plot.top(), qMax(2.0, x2 - x1), plot.height()), band);
    }

    // Chunks. Where chunks are narrower than two pixels they are drawn per pixel column
    // (the tallest block and the most urgent state of the column), so painting costs
    // the view's width, not the number of chunks.
    p.save();
    p.setClipRect(plot.adjusted(-1, -12, 1, 1));
    const double pxPerUnit = plot.width() / (m_viewEnd - m_viewStart);
    // (the narrowest chunk decides: after a change of chunk interval, narrow ones may come first or last)
    const bool dense = std::any_of(m_ht.chunks.cbegin(), m_ht.chunks.cend(),
                                   [&](const ChunkInfo &c) { return (chunkEnd(c) - chunkStart(c)) * pxPerUnit < 2.0; });
    const double laneHeight = plot.height() / m_lanes;
    if (dense) {
        const int columns = int(plot.width()) + 1;
        // Per lane and pixel column: tallest share and the state to show (partial > frozen > compressed > uncompressed).
        QList<float> share(columns * m_lanes, -1.f);
        QList<qint8> state(columns * m_lanes, -1);
        QList<qint8> action(columns, -1);
        auto rank = [](ChunkInfo::State st) {
            switch (st) {
            case ChunkInfo::State::PartiallyCompressed: return 3;
            case ChunkInfo::State::Frozen: return 2;
            case ChunkInfo::State::Compressed: return 1;
            case ChunkInfo::State::Uncompressed: return 0;
            }
            return 0;
        };
        for (int i = 0; i < m_ht.chunks.size(); ++i) {
            const ChunkInfo &c = m_ht.chunks.at(i);
            // Every column the chunk covers: after a change of chunk interval, wide chunks sit
            // among narrow ones (chunks of one lane do not overlap, so a lane costs its columns).
            const double from = (chunkStart(c) - m_viewStart) * pxPerUnit, to = (chunkEnd(c) - m_viewStart) * pxPerUnit;
            if (to <= 0 || from >= columns)
                continue;
            // (clamped as doubles: far outside the view, a column number would not fit an int)
            const int first = int(qMax(0.0, from)), last = qBound(first, int(std::ceil(qMin(to, double(columns)))) - 1, columns - 1);
            const qint64 bytes = qMax(c.totalBytes, c.bytesBefore);
            const float sh = float(bytes > 0 ? std::sqrt(double(bytes) / double(m_maxBytes)) : 0.5);
            BackfillPlan::Action a;
            const bool planned = m_hasPlan && plannedAction(i, &a);
            for (int col = first; col <= last; ++col) {
                const int slot = m_lane.value(i) * columns + col;
                share[slot] = qMax(share[slot], sh);
                if (state[slot] < 0 || rank(c.state) > rank(ChunkInfo::State(state[slot])))
                    state[slot] = qint8(c.state);
                if (planned)
                    action[col] = qint8(a);
            }
        }
        for (int lane = 0; lane < m_lanes; ++lane) {
            for (int col = 0; col < columns; ++col) {
                const int slot = lane * columns + col;
                if (share[slot] < 0)
                    continue;
                const double h = laneHeight * (0.35 + 0.6 * share[slot]);
                p.fillRect(QRectF(plot.left() + col, plot.top() + laneHeight * lane + (laneHeight - h), 1, h - 1),
                           stateColor(ChunkInfo::State(state[slot]), pal));
            }
        }
        for (int col = 0; col < columns; ++col)
            if (action[col] >= 0)
                p.fillRect(QRectF(plot.left() + col, plot.top() - 10, 1, 7), actionColor(BackfillPlan::Action(action[col])));
        if (m_selected >= 0) {
            const QRectF r = chunkRect(m_selected);
            p.setPen(QPen(pal.color(QPalette::Highlight), 3));
            p.drawRect(r.adjusted(-2, -2, 2, 2));
        }
    } else {
        for (int i = 0; i < m_ht.chunks.size(); ++i) {
            const ChunkInfo &c = m_ht.chunks.at(i);
            if (chunkEnd(c) < m_viewStart || chunkStart(c) > m_viewEnd)
                continue;
            const QRectF r = chunkRect(i);
            p.fillRect(r, stateColor(c.state, pal));
            BackfillPlan::Action a;
            if (m_hasPlan && plannedAction(i, &a)) {
                // A frame on the chunk and a bar in the action strip above, readable at any zoom.
                p.setPen(QPen(actionColor(a), r.width() > 6 ? 2.5 : 1.5));
                p.drawRect(r.adjusted(1, 1, -1, -1));
                p.fillRect(QRectF(r.left(), plot.top() - 10, qMax(3.0, r.width()), 7), actionColor(a));
            }
            if (i == m_selected) {
                p.setPen(QPen(pal.color(QPalette::Highlight), 3));
                p.drawRect(r.adjusted(-1, -2, 1, 2));
            }
        }
    }
    // Where the plan makes new chunks: the first to the last row outside every chunk, per gap.
    if (m_hasPlan) {
        QColor tint = actionColor(BackfillPlan::Action::NewChunk);
        tint.setAlpha(60);
        for (const auto &[lo, hi] : std::as_const(m_newSpans)) {
            if (double(hi) < m_viewStart || double(lo) > m_viewEnd)
                continue;
            const double x1 = xFor(double(lo));
            const QRectF r(x1, plot.top(), qMax(3.0, xFor(double(hi)) - x1), plot.height());
            p.fillRect(r, tint);
            p.setPen(QPen(actionColor(BackfillPlan::Action::NewChunk), 1.5, Qt::DashLine));
            p.drawRect(r.adjusted(1, 1, -1, -1));
            p.fillRect(QRectF(r.left(), plot.top() - 10, r.width(), 7), actionColor(BackfillPlan::Action::NewChunk));
        }
    }
    p.restore();

    // Axis.
    const double axisY = plot.bottom() + 4;
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(QPointF(plot.left(), axisY), QPointF(plot.right(), axisY));
    const double step = tickStep();
    const double stepValue = m_integer ? step : step * 1000.0;
    auto tick = [&](double v) {
        const double x = xFor(v);
        p.setPen(pal.color(QPalette::Mid));
        p.drawLine(QPointF(x, axisY), QPointF(x, axisY + 5));
        p.setPen(pal.color(QPalette::Text));
        const QString label = formatValue(v, step);
        if (x + 3 + p.fontMetrics().horizontalAdvance(label) < width())
            p.drawText(QPointF(x + 3, axisY + 18), label);
    };
    if (!m_integer && step >= 30 * 86400) {
        // Months and years: ticks on calendar boundaries.
        QDate d = QDateTime::fromMSecsSinceEpoch(qint64(m_viewStart), Qt::UTC).date();
        d = QDate(d.year(), step >= 365 * 86400 ? 1 : d.month(), 1);
        const int months = step >= 365 * 86400 ? 12 * int(step / (365 * 86400)) : int(std::round(step / (30 * 86400)));
        for (int guard = 0; guard < 400; ++guard, d = d.addMonths(months)) {
            const double v = double(QDateTime(d, QTime(0, 0), Qt::UTC).toMSecsSinceEpoch());
            if (v > m_viewEnd)
                break;
            if (xFor(v) >= plot.left())
                tick(v);
        }
    } else {
        // (by index: adding a step smaller than a double's resolution would never end)
        const double first = std::ceil(m_viewStart / stepValue);
        for (int i = 0; i < 1000; ++i) {
            const double v = (first + i) * stepValue;
            if (v > m_viewEnd)
                break;
            tick(v);
        }
    }
    if (m_ht.chunks.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(plot, Qt::AlignCenter, QStringLiteral("No chunks"));
    }
    if (hasFocus()) {
        p.setPen(QPen(pal.color(QPalette::Highlight), 1, Qt::DotLine));
        p.drawRect(rect().adjusted(0, 0, -1, -1));
    }
}

void ChunkTimeline::wheelEvent(QWheelEvent *event)
{
    const double notches = event->angleDelta().y() / 120.0;
    if (notches != 0)
        zoom(std::pow(1.25, notches), event->position().x());
    event->accept();
}

void ChunkTimeline::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        m_dragFrom = event->position().toPoint();
        m_dragViewStart = m_viewStart;
        m_dragging = false;
    }
}

void ChunkTimeline::mouseMoveEvent(QMouseEvent *event)
{
    if (!(event->buttons() & Qt::LeftButton))
        return;
    const int dx = event->position().toPoint().x() - m_dragFrom.x();
    if (!m_dragging && std::abs(dx) < 4)
        return;
    m_dragging = true;
    setCursor(Qt::ClosedHandCursor);
    const double span = m_viewEnd - m_viewStart;
    m_viewStart = m_dragViewStart - dx / plotRect().width() * span;
    m_viewEnd = m_viewStart + span;
    update();
}

void ChunkTimeline::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    unsetCursor();
    if (!m_dragging)
        setSelectedChunk(chunkAt(event->position().toPoint()));
    m_dragging = false;
}

void ChunkTimeline::keyPressEvent(QKeyEvent *event)
{
    const double center = plotRect().center().x();
    switch (event->key()) {
    case Qt::Key_Right:
        setSelectedChunk(qMin(int(m_ht.chunks.size()) - 1, m_selected + 1));
        break;
    case Qt::Key_Left:
        setSelectedChunk(qMax(m_ht.chunks.isEmpty() ? -1 : 0, m_selected - 1));
        break;
    case Qt::Key_Home:
        setSelectedChunk(m_ht.chunks.isEmpty() ? -1 : 0);
        break;
    case Qt::Key_End:
        setSelectedChunk(int(m_ht.chunks.size()) - 1);
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoom(1.5, m_selected >= 0 ? chunkRect(m_selected).center().x() : center);
        break;
    case Qt::Key_Minus:
        zoom(1 / 1.5, center);
        break;
    case Qt::Key_0:
    case Qt::Key_F:
        fitAll();
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

bool ChunkTimeline::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int i = chunkAt(help->pos());
        if (i >= 0)
            QToolTip::showText(help->globalPos(), toolTipFor(i), this, chunkRect(i).toRect());
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void ChunkTimeline::updateAccessibleDescription()
{
    QString d = QStringLiteral("%1 chunks, %2 compressed").arg(m_ht.chunks.size()).arg(m_ht.compressedChunkCount());
    if (m_selected >= 0)
        d += QStringLiteral("; selected %1").arg(toolTipFor(m_selected).remove(QStringLiteral("<b>")).remove(QStringLiteral("</b>")).replace(QStringLiteral("<br>"), QStringLiteral(", ")));
    if (m_hasPlan)
        d += QStringLiteral("; backfill touches %1 chunks").arg(m_actions.size());
    setAccessibleDescription(d);
}

} // namespace bfs
