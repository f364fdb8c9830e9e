#pragma once

#include "BackfillPlan.h"
#include "ServerModel.h"
#include "backfill_widgets_export.h"

#include <QHash>
#include <QWidget>

namespace bfs {

// The chunks of one hypertable laid out in time: one block per chunk, coloured by state,
// height by size, one lane per space partition; zoom with the wheel at the cursor, pan by
// dragging, keyboard navigation, and an overlay of a backfill's range and each chunk's
// planned action. Works on integer time too (the axis then shows numbers).
class BACKFILL_WIDGETS_EXPORT ChunkTimeline : public QWidget
{
    Q_OBJECT
public:
    explicit ChunkTimeline(QWidget *parent = nullptr);

    void setHypertable(const HypertableInfo &hypertable);
    const HypertableInfo &hypertable() const { return m_ht; }
    // Overlay of a plan: the staged range and each touched chunk's action.
    void setPlan(const BackfillPlan &plan);
    void clearPlan();
    bool hasPlan() const { return m_hasPlan; }
    // Live update while a run changes a chunk (by qualified name).
    void setChunkState(const QString &qualifiedName, ChunkInfo::State state);

    int selectedChunk() const { return m_selected; }
    void setSelectedChunk(int index);
    int chunkAt(const QPoint &pos) const;
    QRectF chunkRect(int index) const;
    QString toolTipFor(int index) const;
    bool plannedAction(int index, BackfillPlan::Action *action) const;

    // The visible window, in milliseconds since 1970 (time) or integer units.
    double viewStart() const { return m_viewStart; }
    double viewEnd() const { return m_viewEnd; }
    double valueAt(double x) const;
    double xFor(double value) const;
    double tickStep() const; // seconds for time axes, units for integer axes
    void fitAll();
    void zoom(double factor, double anchorX);

    static QColor stateColor(ChunkInfo::State state, const QPalette &palette);
    static QColor actionColor(BackfillPlan::Action action); // the plan's marks
    QSize sizeHint() const override { return QSize(800, 220); }
    QSize minimumSizeHint() const override { return QSize(240, 120); }

Q_SIGNALS:
    void chunkSelected(int index, const bfs::ChunkInfo &chunk);

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    bool event(QEvent *event) override;

private:
    double chunkStart(const ChunkInfo &c) const;
    double chunkEnd(const ChunkInfo &c) const;
    QRectF plotRect() const;
    void updateAccessibleDescription();
    QString formatValue(double v, double step) const;

    HypertableInfo m_ht;
    QList<int> m_lane;
    int m_lanes = 1;
    qint64 m_maxBytes = 1;
    double m_viewStart = 0;
    double m_viewEnd = 1;
    int m_selected = -1;
    bool m_integer = false;
    bool m_hasPlan = false;
    QList<QPair<qint64, qint64>> m_newSpans; // the plan's rows outside every chunk (first, last time)
    double m_planStart = 0;
    double m_planEnd = 0;
    QHash<QString, BackfillPlan::Action> m_actions;
    QPoint m_dragFrom;
    double m_dragViewStart = 0;
    bool m_dragging = false;
};

} // namespace bfs
