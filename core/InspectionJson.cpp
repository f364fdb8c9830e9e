#include "InspectionJson.h"

#include <QJsonArray>

namespace bfs {

namespace {

QJsonValue timeValue(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODate)) : QJsonValue();
}

QJsonValue bytes(qint64 v)
{
    return v >= 0 ? QJsonValue(double(v)) : QJsonValue();
}

} // namespace

QJsonObject InspectionJson::toJson(const DbError &error)
{
    QJsonObject o;
    o[QStringLiteral("kind")] = DbError::kindName(error.kind);
    o[QStringLiteral("message")] = error.message;
    if (!error.server.isEmpty())
        o[QStringLiteral("server_message")] = error.server;
    if (!error.sqlState.isEmpty())
        o[QStringLiteral("sqlstate")] = error.sqlState;
    if (!error.context.isEmpty())
        o[QStringLiteral("context")] = error.context;
    return o;
}

QJsonObject InspectionJson::toJson(const HypertableInfo &ht)
{
    QJsonObject o;
    o[QStringLiteral("schema")] = ht.schema;
    o[QStringLiteral("name")] = ht.name;
    o[QStringLiteral("owner")] = ht.owner;
    QJsonObject privileges; // the current user's
    privileges[QStringLiteral("owner")] = ht.ownerPrivileges;
    privileges[QStringLiteral("insert")] = ht.canInsert;
    o[QStringLiteral("privileges")] = privileges;
    o[QStringLiteral("compression_enabled")] = ht.compressionEnabled;
    o[QStringLiteral("num_chunks")] = ht.numChunks;
    o[QStringLiteral("compressed_chunks")] = ht.compressedChunkCount();

    QJsonArray dims;
    for (const DimensionInfo &d : ht.dimensions) {
        QJsonObject j;
        j[QStringLiteral("number")] = d.number;
        j[QStringLiteral("column")] = d.column;
        j[QStringLiteral("type")] = d.columnType;
        j[QStringLiteral("kind")] = d.isTime ? QStringLiteral("time") : QStringLiteral("space");
        if (d.isTime && !d.timeInterval.isEmpty())
            j[QStringLiteral("interval")] = d.timeInterval;
        if (d.isTime && d.integerInterval > 0)
            j[QStringLiteral("integer_interval")] = double(d.integerInterval);
        if (!d.isTime)
            j[QStringLiteral("partitions")] = d.numPartitions;
        dims << j;
    }
    o[QStringLiteral("dimensions")] = dims;

    QJsonObject comp;
    comp[QStringLiteral("segment_by")] = QJsonArray::fromStringList(ht.segmentBy());
    comp[QStringLiteral("order_by")] = ht.orderBy();
    o[QStringLiteral("compression")] = comp;

    QJsonArray keys;
    for (const UniqueKey &k : ht.uniqueKeys) {
        QJsonObject j;
        j[QStringLiteral("name")] = k.name;
        j[QStringLiteral("primary_key")] = k.primaryKey;
        j[QStringLiteral("columns")] = QJsonArray::fromStringList(k.columns);
        if (k.hasExpression)
            j[QStringLiteral("expression")] = true;
        if (k.partial)
            j[QStringLiteral("partial")] = true;
        keys << j;
    }
    o[QStringLiteral("unique_keys")] = keys;
    o[QStringLiteral("triggers")] = QJsonArray::fromStringList(ht.triggers);
    o[QStringLiteral("dropped_columns")] = ht.hasDroppedColumns;
    o[QStringLiteral("generated_columns")] = ht.hasGeneratedColumns;
    o[QStringLiteral("check_constraints")] = ht.hasCheckConstraints;

    QJsonArray jobs;
    for (const PolicyJob &p : ht.policies) {
        QJsonObject j;
        j[QStringLiteral("job_id")] = p.jobId;
        j[QStringLiteral("proc")] = p.procName;
        j[QStringLiteral("scheduled")] = p.scheduled;
        j[QStringLiteral("owner")] = p.owner;
        j[QStringLiteral("can_alter")] = p.canAlter;
        if (!p.compressAfter.isEmpty())
            j[QStringLiteral("compress_after")] = p.compressAfter;
        if (!p.dropAfter.isEmpty())
            j[QStringLiteral("drop_after")] = p.dropAfter;
        j[QStringLiteral("schedule_interval")] = p.scheduleInterval;
        jobs << j;
    }
    o[QStringLiteral("policies")] = jobs;
    o[QStringLiteral("continuous_aggregates")] = QJsonArray::fromStringList(ht.continuousAggregates);

    QJsonArray chunks;
    for (const ChunkInfo &c : ht.chunks) {
        QJsonObject j;
        j[QStringLiteral("schema")] = c.schema;
        j[QStringLiteral("name")] = c.name;
        if (c.integerRange) {
            j[QStringLiteral("range_start")] = double(c.rangeStartInteger);
            j[QStringLiteral("range_end")] = double(c.rangeEndInteger);
        } else {
            j[QStringLiteral("range_start")] = timeValue(c.rangeStart);
            j[QStringLiteral("range_end")] = timeValue(c.rangeEnd);
        }
        j[QStringLiteral("state")] = ChunkInfo::stateName(c.state);
        j[QStringLiteral("total_bytes")] = bytes(c.totalBytes);
        j[QStringLiteral("bytes_before_compression")] = bytes(c.bytesBefore);
        j[QStringLiteral("bytes_after_compression")] = bytes(c.bytesAfter);
        chunks << j;
    }
    o[QStringLiteral("chunks")] = chunks;
    return o;
}

QJsonObject InspectionJson::toJson(const ServerInspection &in)
{
    QJsonObject o;
    o[QStringLiteral("target")] = in.target;
    o[QStringLiteral("ok")] = in.ok();
    if (in.error.isError())
        o[QStringLiteral("error")] = toJson(in.error);
    if (in.serverVersionNum > 0) {
        o[QStringLiteral("server_version_num")] = in.serverVersionNum;
        o[QStringLiteral("server_version")] = in.serverVersion;
        o[QStringLiteral("database")] = in.database;
        o[QStringLiteral("user")] = in.user;
    }
    o[QStringLiteral("timescaledb_installed")] = in.timescaleInstalled;
    if (in.timescaleInstalled) {
        QJsonObject v;
        v[QStringLiteral("text")] = in.timescaleVersion.text;
        v[QStringLiteral("major")] = in.timescaleVersion.major;
        v[QStringLiteral("minor")] = in.timescaleVersion.minor;
        v[QStringLiteral("patch")] = in.timescaleVersion.patch;
        v[QStringLiteral("suffix")] = in.timescaleVersion.suffix;
        o[QStringLiteral("timescaledb_version")] = v;
        o[QStringLiteral("license")] = in.license;
    }
    QJsonArray hts;
    for (const HypertableInfo &h : in.hypertables)
        hts << toJson(h);
    o[QStringLiteral("hypertables")] = hts;
    return o;
}

} // namespace bfs
