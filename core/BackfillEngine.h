#pragma once

#include "BackfillPlan.h"
#include "BackfillPlanner.h"
#include "CsvLoader.h"
#include "DbError.h"
#include "backfill_core_export.h"

#include <QJsonObject>

#include <atomic>
#include <functional>

namespace bfs {

class Database;

// The backfill procedure on a hypertable: inspect, stage the CSV, plan each chunk,
// pause the compression policy, move the rows chunk by chunk (one transaction each),
// recompress, resume the policy, refresh continuous aggregates — writing a journal
// before every state change, and restoring the policy and compression in every outcome.
class BACKFILL_CORE_EXPORT BackfillEngine
{
public:
    struct Options
    {
        CsvLoader::Options load;
        BackfillPlan::Overrides overrides;
        QString journalDirectory; // empty: Journal::defaultDirectory()
        bool planOnly = false;    // --dry-run: stage, plan, count, change nothing
        // With planOnly: also write the plan as a psql script to this file, the staged (converted)
        // rows included, so that psql does what the run would do with exactly the same values.
        QString exportSqlPath;
    };

    struct ChunkResult
    {
        QString name;
        QString action;
        qint64 rows = 0;     // staged rows for this chunk
        qint64 inserted = 0; // rows the INSERT wrote into it (-1: not known, see BackfillRun::completePending)
        bool compressedBefore = false;
        bool compressedAfter = false;
        // After the run, for a chunk the run compressed whole (chunk_compression_stats; TimescaleDB
        // does not measure a chunk compressed again in place after a direct insert); -1: not known.
        qint64 bytesBefore = -1; // the chunk's rows uncompressed
        qint64 bytesAfter = -1;  // compressed
    };

    struct Result
    {
        CsvLoader::Outcome outcome = CsvLoader::Outcome::Completed;
        QString message;
        DbError error;
        CsvLoader::Summary load; // reading, conversion and row accounting
        BackfillPlan plan;
        bool planned = false;
        QList<ChunkResult> chunks;
        QList<ChunkResult> newChunks; // chunks the run made and compressed, as the policy would (action "new chunk")
        qint64 newChunkRows = 0;
        qint64 rowsLoadedEarlier = 0; // by an interrupted run of the same backfill (its ledger)
        int policyJob = 0;
        bool policyPaused = false;
        bool policyRestored = false;
        double secondsStage = 0, secondsPlan = 0, secondsMove = 0, secondsRecompress = 0;
        QStringList aggregatesRefreshed; // continuous aggregates refreshed over the backfilled range
        QString journalPath;
        QString exportedSqlPath;  // the script written (Options::exportSqlPath), empty when none was
        QStringList statements; // every SQL statement run (no secrets)
    };

    struct Progress
    {
        // "stage", "plan", "move", "recompress" (the touched chunks), "compress_new" (chunk i of
        // n new chunks the policy would compress; a cancel leaves the rest to the policy),
        // "restore" (the policy, continuous aggregates), "finish". From "recompress" on, only
        // "compress_new" can be cancelled.
        QString phase;
        int chunk = 0;   // 1-based chunk being worked on
        int chunks = 0;
        qint64 rowsMoved = 0;
        qint64 rowsTotal = 0;
        QString chunkName;
    };

    // After a run: how well the chunks it compressed whole (decompressed ones, new ones)
    // compress, the aggregates refreshed. One sentence each; none when there is nothing to tell.
    static QStringList afterRunLines(const Result &r);

    using ProgressFn = std::function<void(const Progress &)>;
    using LogFn = std::function<void(const QString &sql)>;

    explicit BackfillEngine(Options options);
    Result run(Database &db, const std::atomic<bool> *cancel = nullptr, const ProgressFn &progress = ProgressFn(),
               const LogFn &log = LogFn());

    // Finishes unfinished journals for the server `db` is connected to: recompresses chunks
    // left decompressed or partial, restores the policy. Returns what it did, one line each.
    // Journals it leaves alone (their backfill still running, or a copy of the server) are named
    // in *leftAlone, or among the actions when leftAlone is null.
    static bool recover(Database &db, const QString &journalDirectory, QStringList *actions, DbError *error,
                        QStringList *leftAlone = nullptr);

    // Backfills into table `schema`.`name` on this server that are still running: their
    // journals' locks are held. One "process N on HOST" each.
    static QStringList runningBackfills(Database &db, const QString &journalDirectory, const QString &schema, const QString &name,
                                        const QString &exceptJournal = QString());

    // The plan as a commented psql script doing the same, in two parts: the staged rows go in
    // between, as INSERT statements into bfs_stage (bfs_line, c0, c1, …: stageRowsSql()).
    // integerNow: the hypertable's integer_now function (integer time; empty: unknown).
    struct Script
    {
        QString beforeRows;
        QString afterRows;
    };
    // searchPath: the schemas the exporting session searched (current_schemas(false), quoted),
    // set by the script so that its names mean what they meant there (null: not set).
    static Script exportSql(const BackfillPlan &plan, const CsvLoader::Summary &load, const QString &csvPath,
                            const QString &integerNow = QString(), const QString &searchPath = QString());
    // One INSERT of staged rows for the script: each row is bfs_line and the mapped columns' values
    // as PostgreSQL prints them (a null QString: NULL).
    static QString stageRowsSql(const QList<QStringList> &rows, int columns);
    // Why a planned result cannot be exported as a script (empty: it can): after an interrupted
    // run of the same backfill, that run's ledger and the script would each load a part.
    static QString exportBlocker(const Result &planned);

private:
    Result runOnce(Database &db, const std::atomic<bool> *cancel, const ProgressFn &progress, const LogFn &log);
    Options m_options;
};

} // namespace bfs
