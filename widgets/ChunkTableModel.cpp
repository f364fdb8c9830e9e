#include "ChunkTableModel.h"

#include <QBrush>
#include <QLocale>

#include <algorithm>

namespace bfs {

void ChunkTableModel::setHypertable(const HypertableInfo &hypertable)
{
    beginResetModel();
    m_hypertable = hypertable;
    // Chunks of whole days (the usual intervals: a day, a week) show dates alone: the table then
    // fits beside the docks without scrolling to the sizes.
    m_datesOnly = std::all_of(hypertable.chunks.cbegin(), hypertable.chunks.cend(), [](const ChunkInfo &c) {
        auto midnight = [](const QDateTime &t) { return !t.isValid() || t.toUTC().time() == QTime(0, 0); };
        return c.integerRange || (midnight(c.rangeStart) && midnight(c.rangeEnd));
    });
    endResetModel();
}

bool ChunkTableModel::integerTime() const
{
    const DimensionInfo *time = m_hypertable.timeDimension();
    return time && time->isIntegerTime();
}

int ChunkTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_hypertable.chunks.size());
}

int ChunkTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ChunkTableModel::formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return QString();
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QVariant ChunkTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_hypertable.chunks.size())
        return QVariant();
    const ChunkInfo &c = m_hypertable.chunks.at(index.row());
    auto bound = [&c, datesOnly = m_datesOnly](bool start) -> QString {
        if (c.integerRange)
            return QString::number(start ? c.rangeStartInteger : c.rangeEndInteger);
        const QDateTime t = start ? c.rangeStart : c.rangeEnd;
        return t.isValid() ? t.toUTC().toString(datesOnly ? QStringLiteral("yyyy-MM-dd") : QStringLiteral("yyyy-MM-dd HH:mm"))
                           : QStringLiteral("∞");
    };
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name: return c.name;
        case RangeStart: return bound(true);
        case RangeEnd: return bound(false);
        case State: return ChunkInfo::stateName(c.state);
        case TotalSize: return formatBytes(c.totalBytes);
        case BeforeSize: return formatBytes(c.bytesBefore);
        case AfterSize: return formatBytes(c.bytesAfter);
        case Ratio:
            if (c.bytesBefore > 0 && c.bytesAfter > 0)
                return QStringLiteral("%1×").arg(double(c.bytesBefore) / double(c.bytesAfter), 0, 'f', 1);
            return QString();
        }
    } else if (role == Qt::ToolTipRole && index.column() == Name) {
        return c.qualifiedName();
    } else if (role == Qt::TextAlignmentRole && index.column() >= TotalSize) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::UserRole) {
        return c.qualifiedName();
    }
    return QVariant();
}

QVariant ChunkTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole) {
        // (Size and Compressed differ: Size also counts the chunk's own table and indexes)
        switch (section) {
        case TotalSize:
            return QStringLiteral("The chunk's size on disk now (chunks_detailed_size): its compressed data and its own, "
                                  "uncompressed table and indexes, which take pages even when empty.");
        case BeforeSize:
            return QStringLiteral("The chunk's size before it was compressed whole (chunk_compression_stats). Rows inserted into "
                                  "the compressed chunk since, and compressed in place, do not change it.");
        case AfterSize:
            return QStringLiteral("The compressed data's size when it was compressed whole (chunk_compression_stats): without the "
                                  "chunk's own table and indexes that Size counts.");
        case RangeStart:
        case RangeEnd: return integerTime() ? QVariant() : QStringLiteral("UTC; the end is not part of the chunk.");
        case Ratio: return QStringLiteral("Uncompressed ÷ compressed, when the chunk was compressed whole.");
        default: return QVariant();
        }
    }
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name: return QStringLiteral("Chunk");
    case RangeStart: return integerTime() ? QStringLiteral("From") : QStringLiteral("From (UTC)");
    case RangeEnd: return integerTime() ? QStringLiteral("To") : QStringLiteral("To (UTC)");
    case State: return QStringLiteral("State");
    case TotalSize: return QStringLiteral("Size");
    case BeforeSize: return QStringLiteral("Uncompressed");
    case AfterSize: return QStringLiteral("Compressed");
    case Ratio: return QStringLiteral("Ratio");
    }
    return QVariant();
}

} // namespace bfs
