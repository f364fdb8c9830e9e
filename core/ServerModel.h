#pragma once

#include "DbError.h"
#include "TimescaleVersion.h"
#include "backfill_core_export.h"

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

// Value types describing what the inspector found on a server. They cross threads
// in queued signals, so they are plain copyable data.
namespace bfs {

struct BACKFILL_CORE_EXPORT DimensionInfo
{
    int number = 0;
    QString column;
    QString columnType;   // e.g. "timestamp with time zone", "bigint"
    bool isTime = true;   // 'Time' or 'Space'
    QString timeInterval; // as the server prints it, e.g. "1 day"; empty for integer time
    qint64 intervalMicroseconds = 0;
    qint64 integerInterval = 0;
    int numPartitions = 0; // space dimensions
    bool isIntegerTime() const { return isTime && timeInterval.isEmpty() && integerInterval > 0; }
};

struct BACKFILL_CORE_EXPORT ChunkInfo
{
    enum class State { Uncompressed, Compressed, PartiallyCompressed, Frozen };

    QString schema;
    QString name;
    QDateTime rangeStart; // UTC; invalid for integer time
    QDateTime rangeEnd;
    qint64 rangeStartInteger = 0;
    qint64 rangeEndInteger = 0;
    bool integerRange = false;
    State state = State::Uncompressed;
    int statusBits = -1;       // -1 when the server does not tell
    qint64 totalBytes = -1;    // chunks_detailed_size
    qint64 bytesBefore = -1;   // chunk_compression_stats: before compression
    qint64 bytesAfter = -1;    // after compression

    bool isCompressed() const { return state != State::Uncompressed; }
    static QString stateName(State s);
    // schema.name as format('%I.%I') gives it (quoted where needed): what ::regclass reads and
    // what the engine's queries compare against.
    QString quotedName;

    QString qualifiedName() const;
};

struct BACKFILL_CORE_EXPORT CompressionColumn
{
    QString column;
    int segmentByIndex = 0; // 0 when not a segment-by column
    int orderByIndex = 0;   // 0 when not an order-by column
    bool orderByAsc = true;
    bool orderByNullsFirst = false;
};

struct BACKFILL_CORE_EXPORT UniqueKey
{
    QString name;
    bool primaryKey = false;
    QStringList columns;     // in index order; empty entries are expressions
    bool hasExpression = false;
    bool partial = false;
    bool nullsNotDistinct = false; // UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+)
};

struct BACKFILL_CORE_EXPORT PolicyJob
{
    int jobId = 0;
    QString procSchema;
    QString procName; // "policy_compression"
    bool scheduled = true;
    QString owner;
    QString scheduleInterval;
    QString compressAfter; // from config, as text ("30 days" or an integer)
    QString dropAfter;     // retention policies: from config, as text ("90 days" or an integer)
    QString configJson;
    QDateTime nextStart;
    bool canAlter = false; // the current user has the owner's privileges (alter_job needs them)
};

struct BACKFILL_CORE_EXPORT HypertableInfo
{
    QString schema;
    QString name;
    QString owner;
    // The current user has the owner's privileges: decompress_chunk and compress_chunk need them.
    bool ownerPrivileges = false;
    bool canInsert = false; // INSERT on the hypertable
    int numDimensions = 0;
    int numChunks = 0;
    bool compressionEnabled = false;
    QList<DimensionInfo> dimensions;
    QList<ChunkInfo> chunks;
    QList<CompressionColumn> compression;
    QList<UniqueKey> uniqueKeys;
    QStringList triggers; // triggers on the hypertable other than TimescaleDB's ts_insert_blocker
    QStringList beforeInsertRowTriggers; // of them, the ones that can drop a row (BEFORE INSERT … FOR EACH ROW)
    bool hasDroppedColumns = false;   // ALTER TABLE … DROP COLUMN left a gap in the row
    bool hasGeneratedColumns = false; // GENERATED ALWAYS AS (…) STORED
    bool hasCheckConstraints = false; // CHECK (…) on the hypertable
    QList<PolicyJob> policies;
    QStringList continuousAggregates; // schema.name of each continuous aggregate on this hypertable

    QString qualifiedName() const { return schema + QLatin1Char('.') + name; }
    const DimensionInfo *timeDimension() const;
    int compressedChunkCount() const;
    QStringList segmentBy() const;
    QString orderBy() const;
    const PolicyJob *compressionPolicy() const;
    const PolicyJob *retentionPolicy() const;
};

struct BACKFILL_CORE_EXPORT ServerInspection
{
    DbError error; // kind None when the inspection succeeded
    QString target;
    QString database;
    QString user;
    int serverVersionNum = 0;
    QString serverVersion;
    bool timescaleInstalled = false;
    TimescaleVersion timescaleVersion;
    QString license; // "timescale" or "apache"
    QList<HypertableInfo> hypertables;

    bool ok() const { return !error.isError(); }
    bool compressionAvailable() const { return timescaleInstalled && license != QLatin1String("apache"); }
    const HypertableInfo *hypertable(const QString &schema, const QString &name) const;
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::ServerInspection)
Q_DECLARE_METATYPE(bfs::HypertableInfo)
