#pragma once

#include "ServerModel.h"
#include "backfill_widgets_export.h"

#include <QAbstractTableModel>

namespace bfs {

// The chunks of one hypertable as rows: name, range, state, sizes and ratio.
class BACKFILL_WIDGETS_EXPORT ChunkTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, RangeStart, RangeEnd, State, TotalSize, BeforeSize, AfterSize, Ratio, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setHypertable(const HypertableInfo &hypertable);
    const HypertableInfo &hypertable() const { return m_hypertable; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString formatBytes(qint64 bytes);

private:
    bool integerTime() const;

    HypertableInfo m_hypertable;
    bool m_datesOnly = false;
};

} // namespace bfs
