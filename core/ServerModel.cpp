#include "ServerModel.h"

#include <algorithm>

namespace bfs {

namespace {

// quote_ident's rule without its keyword list (chunks the inspector saw carry the server's own
// quoting in quotedName).
QString quoteIfNeeded(const QString &identifier)
{
    bool plain = !identifier.isEmpty() && !(identifier.at(0) >= QLatin1Char('0') && identifier.at(0) <= QLatin1Char('9'));
    for (const QChar c : identifier)
        plain = plain && ((c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('_'));
    if (plain)
        return identifier;
    return QLatin1Char('"') + QString(identifier).replace(QLatin1Char('"'), QLatin1String("\"\"")) + QLatin1Char('"');
}

} // namespace

QString ChunkInfo::qualifiedName() const
{
    if (!quotedName.isEmpty())
        return quotedName;
    return quoteIfNeeded(schema) + QLatin1Char('.') + quoteIfNeeded(name);
}

QString ChunkInfo::stateName(State s)
{
    switch (s) {
    case State::Uncompressed: return QStringLiteral("uncompressed");
    case State::Compressed: return QStringLiteral("compressed");
    case State::PartiallyCompressed: return QStringLiteral("partially compressed");
    case State::Frozen: return QStringLiteral("frozen");
    }
    return QString();
}

const DimensionInfo *HypertableInfo::timeDimension() const
{
    for (const DimensionInfo &d : dimensions)
        if (d.isTime)
            return &d;
    return nullptr;
}

int HypertableInfo::compressedChunkCount() const
{
    int n = 0;
    for (const ChunkInfo &c : chunks)
        n += c.isCompressed() ? 1 : 0;
    return n;
}

QStringList HypertableInfo::segmentBy() const
{
    QList<const CompressionColumn *> cols;
    for (const CompressionColumn &c : compression)
        if (c.segmentByIndex > 0)
            cols << &c;
    std::sort(cols.begin(), cols.end(), [](auto a, auto b) { return a->segmentByIndex < b->segmentByIndex; });
    QStringList out;
    for (auto c : cols)
        out << c->column;
    return out;
}

QString HypertableInfo::orderBy() const
{
    QList<const CompressionColumn *> cols;
    for (const CompressionColumn &c : compression)
        if (c.orderByIndex > 0)
            cols << &c;
    std::sort(cols.begin(), cols.end(), [](auto a, auto b) { return a->orderByIndex < b->orderByIndex; });
    QStringList out;
    for (auto c : cols)
        out << c->column + (c->orderByAsc ? QString() : QStringLiteral(" DESC"));
    return out.join(QStringLiteral(", "));
}

const PolicyJob *HypertableInfo::compressionPolicy() const
{
    for (const PolicyJob &j : policies)
        if (j.procName == QLatin1String("policy_compression"))
            return &j;
    return nullptr;
}

const PolicyJob *HypertableInfo::retentionPolicy() const
{
    for (const PolicyJob &j : policies)
        if (j.procName == QLatin1String("policy_retention"))
            return &j;
    return nullptr;
}

const HypertableInfo *ServerInspection::hypertable(const QString &schema, const QString &name) const
{
    for (const HypertableInfo &h : hypertables)
        if (h.name == name && (schema.isEmpty() || h.schema == schema))
            return &h;
    return nullptr;
}

} // namespace bfs
