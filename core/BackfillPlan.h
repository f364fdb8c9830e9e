#pragma once

#include "CsvLoader.h"
#include "ServerModel.h"
#include "TimescaleVersion.h"
#include "backfill_core_export.h"

#include <QDateTime>
#include <QList>
#include <QStringList>

#include <optional>

namespace bfs {

// What the staged rows look like, measured on the server before anything changes.
struct BACKFILL_CORE_EXPORT StageSummary
{
    struct ChunkRows
    {
        QString schema;
        QString name;
        qint64 rows = 0;     // staged rows whose time falls in this chunk's range
        qint64 existing = -1; // of them, rows whose unique key already exists (-1: no key)
        qint64 own = -1;      // space partitions: of them, the rows of this chunk's partition (-1: all)
    };
    qint64 stagedRows = 0;
    qint64 rowsInCompletedRanges = 0; // of them, rows of ranges an interrupted run completed (skipped now)
    QDateTime minTime; // time columns (UTC)
    QDateTime maxTime;
    qint64 minInteger = 0; // integer time columns
    qint64 maxInteger = 0;
    bool integerTime = false;
    QList<ChunkRows> chunks;     // existing chunks the rows fall into
    qint64 rowsOutsideChunks = 0; // rows that will create new chunks
    // Their first and last time, per gap between the existing chunks (ms since the epoch, or integer time).
    QList<QPair<qint64, qint64>> outsideSpans;
    qint64 existingRows = -1;     // dry-run count under the unique key (-1: no unique key)
    qint64 repeatedRows = -1;     // dry run: new rows repeating the key of an earlier line of the file
    qint64 rowsMeetingOtherKey = 0; // dry run, update mode: rows meeting another row through another unique key
    // A scheduled retention policy drops the chunks that end before now - drop_after: staged rows
    // that go into such chunks, and the time (UTC, or integer time) they lie before, where the
    // chunk that holds the policy's cutoff begins (-1: no such policy, or its cutoff is unknown).
    qint64 rowsBeforeRetention = -1;
    QString retentionBoundary;
    // Integer time: the integer_now function's value when the rows were staged ("now", the upper
    // end of a continuous aggregate's refresh window).
    std::optional<qint64> integerNow;
};

// A backfill explained before it runs: one action per touched chunk, and every other
// decision, each with the sentence that justifies it.
struct BACKFILL_CORE_EXPORT BackfillPlan
{
    enum class Action { DirectInsert, DecompressInsertRecompress, NewChunk, Blocked };

    struct ChunkStep
    {
        ChunkInfo chunk;
        qint64 rows = 0;      // staged rows that go into this chunk
        qint64 rangeRows = 0; // staged rows of its time range (with space partitions, of every partition)
        Action action = Action::DirectInsert;
        QString reason;
        bool recompress = false; // was compressed: compressed again (see recompressInTransaction)
        // 2.23+: the rows are compressed as they are inserted (timescaledb.enable_direct_compress_insert),
        // so the chunk stays fully compressed. TimescaleDB decides per statement from the planner's
        // row estimate; a chunk it leaves partially compressed is compressed in the same transaction.
        bool directCompress = false;
        static QString compressIfPartialSql()
        {
            return QStringLiteral("SELECT compress_chunk(c, true) FROM (SELECT $1::regclass AS c) s "
                                  "WHERE _timescaledb_functions.chunk_status(c) & 8 <> 0");
        }
    };

    struct Overrides
    {
        bool forceDecompress = false;  // decompress every touched compressed chunk
        bool forceDirect = false;      // insert directly wherever the version allows it
        bool leaveRecompressionToPolicy = false;
        qint64 largeBatchRows = 100000; // at or above: decompress once instead of inserting directly
        int lockTimeoutMs = 5000;
    };

    QString target;         // schema.name
    QString targetSchema;   // the same, apart (either may hold a dot)
    QString targetName;
    QString timeColumn;
    TimescaleVersion version;
    CsvLoader::Conflict conflict = CsvLoader::Conflict::Error;
    QString conflictReason;
    QList<ChunkStep> chunks;
    qint64 newChunkRows = 0;
    QString newChunkReason;
    bool hasPolicy = false;
    PolicyJob policy;
    bool pausePolicy = false;
    QString policyReason;
    QStringList sessionSettings; // statements, e.g. SET lock_timeout = '5s'
    QStringList sessionReasons;
    bool setDecompressionLimit = false; // SET LOCAL max_tuples_decompressed_per_dml_transaction = 0
    bool recompressNow = true;
    QString recompressReason;
    bool useRecompressProcedure = false; // before 2.14: CALL recompress_chunk for partial chunks
    // compress_chunk inside the chunk range's own transaction, right after its rows, so the chunk
    // goes from compressed to compressed in one step; otherwise (CALL recompress_chunk, which
    // commits by itself) at the end of the run.
    bool recompressInTransaction(const ChunkStep &s) const
    {
        return recompressNow && s.recompress && (s.action == Action::DecompressInsertRecompress || !useRecompressProcedure);
    }
    bool compressNewChunks = false;       // new chunks older than the policy's compress_after
    QString compressAfter;
    QStringList continuousAggregates;
    QString caggReason;
    QStringList blockers; // why the plan cannot run; empty = runnable
    QStringList warnings; // what the user should know before it runs (it can run)
    StageSummary summary;

    bool runnable() const { return blockers.isEmpty(); }
    // The window (two SQL expressions) over which continuous aggregates are refreshed after the
    // backfill. A refresh recomputes only the buckets that lie wholly inside the window, and of
    // those only the ones whose rows changed (TimescaleDB's invalidation log): the staged range
    // widened by a year, but not past now, covers the buckets of any width up to a year. Integer
    // time: from the start to the integer_now function's value (NULL, NULL fails there: "timestamp
    // out of range"), still limited to what changed.
    static QStringList caggRefreshWindow(const StageSummary &s);
    int count(Action a) const;
    static QString actionName(Action a);
    QString toText() const;
    // Space partitions: staged rows of the chunks' time ranges that go to new chunks of partitions
    // with no chunk there yet (0 when every row has a chunk, or when the split is not known).
    qint64 rowsForNewPartitionChunks() const;
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::BackfillPlan)
