#pragma once

// Internal to the core library (not installed): one attempt of BackfillEngine::run.

#include "BackfillEngine.h"
#include "Database.h"
#include "Journal.h"
#include "ServerInspector.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QPair>
#include <QSet>

#include <map>

namespace bfs {

namespace detail {

QString isoUtc(const QDateTime &t);
// Identifies "the same backfill" (server, target, file and its size and time) across runs.
QString runKey(const QString &target, const QString &server, const QString &csvPath);
// The server in a journal's header: its address as given (host:port/database), and from now on
// also the cluster's identity (Database::serverIdentity()), which holds for every address.
QString serverId(const Database &db);
// The server part of runKey: its identity when known, else its address.
QString serverKey(const Database &db);
// Whether a journal (its header) was written on the server db is connected to.
bool sameServer(const QJsonObject &header, const Database &db);
// Whether a journal (its header) is of table `schema`.`name`: by schema and name apart ("s.x"."t"
// and "s"."x.t" both print as s.x.t); journals before they were written apart, by that text.
bool sameTarget(const QJsonObject &header, const QString &schema, const QString &name);
// The hypertable's integer_now function as regproc text (empty: none, or its name is not unique).
bool integerNowFunction(Database &db, const QString &schema, const QString &name, QString *function, DbError *error);
// Compresses the chunks of [from, to] that the run created (not in chunksBefore), that are not
// compressed and that the compression policy would compress now (range_end older than
// compress_after). Chunks that were there before are left as they were.
// The same for integer time: "now" is the hypertable's integer_now function; [from, to] are
// values of the time column.
// next(i, n, chunk), when given, runs before chunk i of n is compressed; false leaves it and
// the chunks after it uncompressed (the policy compresses them later).
using ChunkGate = std::function<bool(int i, int n, const QString &chunk)>;
bool compressPolicyRangeInteger(Database &db, const QString &schema, const QString &name, const QString &compressAfter, qint64 from,
                                qint64 to, const QStringList &chunksBefore, QStringList *actions, DbError *error,
                                const ChunkGate &next = ChunkGate());
bool compressPolicyRange(Database &db, const QString &schema, const QString &name, const QString &compressAfter,
                         const QDateTime &from, const QDateTime &to, const QStringList &chunksBefore, QStringList *actions,
                         DbError *error, const ChunkGate &next = ChunkGate());

// One time range of the hypertable: with space partitions several chunks share it.
struct RangeGroup
{
    ChunkInfo range; // bounds (first chunk of the range)
    QList<BackfillPlan::ChunkStep> steps;
    qint64 rows = 0;
    bool decompress() const;
    QString key() const;
};

} // namespace detail

// One attempt of a backfill, phase by phase: recover an earlier run, inspect, stage the file,
// read the ledgers of interrupted runs, summarise, plan, start the journal (nothing has changed
// on the server until here), pause the policy, move the rows, put compression and the policy
// back, reconcile, finish. The phases share the state below, like the steps of one function.
class BackfillRun
{
public:
    BackfillRun(Database &database, const BackfillEngine::Options &engineOptions, const std::atomic<bool> *cancelFlag,
                const BackfillEngine::ProgressFn &progressFn, const BackfillEngine::LogFn &logFn);
    BackfillEngine::Result execute();

private:
    using Progress = BackfillEngine::Progress;
    using ChunkResult = BackfillEngine::ChunkResult;
    using RangeGroup = detail::RangeGroup;

    // Phases before anything changes: false ends the run (res says why, or that it was a dry run).
    bool recoverEarlier();
    bool inspect();
    bool stageFile();
    bool readLedgers();
    bool summarise();
    void newChunkSpans(); // sum.outsideSpans: the ranges of the chunks the rows outside every chunk make
    void countRowsPerPartition();
    void countRowsBeforeRetention();
    QString serverTimeZone(); // the TimeZone a background job of this database runs in
    std::optional<qint64> integerNow(); // the hypertable's integer_now function's value (none: no single function)
    bool makePlan();
    bool exportScript(); // Options::exportSqlPath: the plan as a psql script with the staged rows
    bool startJournal();
    // Phases that change the server (BackfillRunChanges.cpp); a failure sets `failed`.
    void pausePolicy();
    void moveRows();
    bool runRange(const RangeGroup *g); // nullptr: the rows outside every existing chunk
    bool commitPending();
    void completePending();
    bool failRange(const RangeGroup *g, const QString &failing);
    void putBack();
    void reconcile();
    void finish();

    bool cancelled() const;
    bool exec(const QString &sql, const QStringList &params, QueryResult *r, DbError *e, const QString &ctx);
    bool prepareRepeated(const QString &sql, DbError *err, const QString &ctx);
    bool execTogether(const QList<Database::Statement> &statements, QList<QueryResult> *out, DbError *err, int *failedAt);
    bool execCleanup(const QString &sql, const QStringList &params, QueryResult *out, const QString &ctx);
    bool fail(CsvLoader::Outcome o, const QString &message, const DbError &err = DbError());
    void stopWith(CsvLoader::Outcome o, const QString &message, const DbError &err = DbError());
    CsvLoader::Outcome outcomeOf(const DbError &err) const;
    bool reconnect();
    void report(const Progress &p);
    void dropStage();
    QString rangeWhere(const ChunkInfo &c, QStringList *params) const;
    // A range of the ledgers (RangeGroup::key(), "new") as a user reads it.
    QString rangeText(const QString &key) const;
    QString duplicateKeyMessage(const RangeGroup *g, const QString &failing);
    QString checkViolationMessage(const RangeGroup *g, const QString &failing);
    // Before a range an interrupted run recorded as loaded is skipped: are its rows in the table
    // (a table made anew, rows deleted since)? Skip: true with *skip set, or load it again; false:
    // the run stops (some rows there, some not), its message set.
    // The first unique key the file fills that no NULL can slip past (NOT NULL columns, or NULLS
    // NOT DISTINCT); empty: none.
    QStringList nullSafeKey();
    // The hypertable's oid as text (empty when it cannot be read).
    QString tableOid();
    QString tableOidText;
    bool nullSafeKeyKnown = false;
    QStringList nullSafeKeyColumns;
    // kind and params: as for boundsWhere() with n = 1.
    bool checkCompletedRange(const QString &range, const QString &kind, const QStringList &params, bool *skip);
    int stageColumnOf(const QString &tableColumn) const; // N of the staging table's cN, or -1
    // The staging table's columns under the table's names ("c0 AS \"time\"", …): a select list
    // over which the table's own expressions (CHECKs, keys) evaluate on the staged rows.
    QStringList stagedAsTable() const;
    QString outsideWhere(QStringList *params) const;
    // The staged rows of a range, [$n, $n+1) ("range"), or outside every chunk whose bounds
    // are the arrays $n and $n+1 ("outside").
    QString boundsWhere(const QString &kind, int n, const QString &column = QString()) const; // column: the staged time by default
    // Fingerprints of the staged rows (their count and the sum of their text's hashes: line
    // numbers and order do not count) behind `where`s, in one round trip.
    bool fingerprints(const QList<QPair<QString, QStringList>> &wheres, QStringList *out);
    // A run that stops keeps the fingerprints of its completed ranges in its journal: a re-run
    // of the file after an edit skips them only where their rows are still the same.
    void recordFingerprints();
    // False: refused (the run fails). *use false: the ledger does not apply (the unique key
    // makes loading its ranges again harmless), but goes when the run succeeds.
    bool checkEditedLedger(const QString &path, const QList<Journal::Entry> &entries, bool *use);

    // Inputs.
    Database &db;
    const BackfillEngine::Options &options;
    const CsvLoader::Options &lo;
    const std::atomic<bool> *cancel;
    BackfillEngine::ProgressFn progress;
    BackfillEngine::LogFn log;
    const QString journalDirectory;
    QElapsedTimer timer;

    BackfillEngine::Result res;
    QueryResult r; // scratch result and error of the last statement
    DbError e;
    // The server and the target.
    ServerInspection in;
    HypertableInfo ht;
    const DimensionInfo *timeDim = nullptr;
    BackfillPlanner::Input pin;
    // The staged rows: temporary table `stage` with columns c0, c1 … for targetCols.
    QString stage;
    qint64 staged = 0;
    QString planNote; // a dry run's warning (another backfill into the table is running)
    bool partitionSplitUnknown = false; // space partitions whose per-chunk rows could not be counted
    QString timeStage;
    QStringList targetCols, stageCols, keyStage, keyTarget;
    bool integerTime = false;
    QString cast; // SQL type of the time bounds
    // What interrupted runs of the same backfill completed.
    QString key;
    QStringList recovered; // what finishing an interrupted earlier backfill did
    QSet<QString> doneRanges;
    QHash<QString, QJsonObject> completedBy; // range -> the ledger entry of the run that completed it
    QSet<QString> skippedRanges;             // of them, the ones this run skips (their rows are staged)
    QStringList ledgers;
    QStringList staleLedgers; // of the file before an edit, not applied
    qint64 resumedRows = 0;            // staged rows in ranges an interrupted run completed
    qint64 earlierInserted = 0;        // what that run inserted there
    bool earlierInsertedKnown = true;
    // The plan's work, in time order.
    std::map<QString, RangeGroup> groups;
    StageSummary sum;
    QList<RangeGroup> ordered;
    Journal journal;
    // Moving rows.
    bool failed = false;
    CsvLoader::InsertSpec spec;
    qint64 moved = 0;
    qint64 written = 0;
    QSet<QString> touchedCompressed; // chunks whose compression must be put back
    int total = 0;
    int index = 0;
    int completedRanges = 0;
    QJsonArray completedBounds; // {"range", "kind", "params"} of each completed range, for recordFingerprints()
    bool commitUnknown = false; // the connection was lost during a COMMIT
    // The range whose rows are in and whose transaction waits for COMMIT: the COMMIT goes to the
    // server with the next range's statements, one round trip per range.
    struct PendingRange
    {
        bool open = false;
        const RangeGroup *group = nullptr; // nullptr: the rows for new chunks
        QJsonObject entry;                 // its journal entry
        QString chunk;
        qint64 inserted = 0;
    } pending;
    QString movePlan;           // the prepared per-range INSERT
    QString preparedSql;
    bool cleanupOk = false;
};

} // namespace bfs
