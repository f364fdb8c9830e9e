#pragma once

#include "CsvFormat.h"
#include "CsvSniffer.h"
#include "DateTimeParser.h"
#include "DbError.h"
#include "backfill_core_export.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QPair>
#include <QStringList>

#include <atomic>
#include <functional>
#include <optional>

namespace bfs {

class Database;
struct TargetTable;

// Loads a CSV file into a table (hypertable or plain table): reads and converts on the
// client, streams the rows into a temporary staging table (COPY or INSERT batches), then
// moves them into the target in one statement with the chosen conflict handling. The
// target changes only if the whole load succeeds; every data row ends loaded, skipped
// as a duplicate, or rejected (with line, column and reason in the rejects file).
class BACKFILL_CORE_EXPORT CsvLoader
{
public:
    enum class Conflict { Error, Skip, Update };
    enum class Upload { Auto, Copy, Insert };
    enum class Outcome { Completed, InputError, ConnectionError, ServerError, Cancelled };

    struct Options
    {
        QString csvPath;
        // The file as a plan read it (Summary::fileSize, fileModified): a run of a file changed
        // since stops before reading it, so that it never does other than the plan showed.
        qint64 expectedFileSize = -1;
        QDateTime expectedFileModified;
        QString table;
        std::optional<QChar> delimiter;
        std::optional<QChar> quote; // QChar() = no quoting
        std::optional<CsvFormat::Encoding> encoding;
        std::optional<bool> header;
        std::optional<bool> decimalComma;
        int skipLines = 0;
        QStringList nullTokens; // empty: ValueConverter::Options' defaults (NULL, null, NA, N/A, …)
        QList<QPair<QString, QString>> mappings; // CSV column (name or 1-based number) → table column
        bool explicitMappingOnly = false;        // true: CSV columns not in `mappings` are skipped
        // A row with fewer fields than the file has columns gets empty ones at its end (Excel leaves out the
        // delimiters of empty cells at the end of some rows); false: such a row is rejected.
        bool padShortRows = false;
        // The line each record is reported as, by the line it starts on in this file (absent: its
        // own): a retry file of rejected rows reports them as the original file numbers them.
        QHash<qint64, qint64> reportedLines;
        QHash<QString, QString> formats;         // table or CSV column → date-time format
        bool formatsMustApply = false;           // a format that names no loaded date/time column is an input error
        QString timeZone;                        // IANA name for naive timestamps; empty = UTC
        DateTimeParser::Overlap overlap = DateTimeParser::Overlap::Reject;
        Conflict conflict = Conflict::Error;
        Upload upload = Upload::Auto;
        QString rejectsPath;
        qint64 maxRejects = -1; // -1 allow all, 0 stop at the first, N allow up to N
        bool dryRun = false;
        qint64 maxFieldChars = 1 << 20;
        // Only read, convert and stage: the staging table (a session temp table with
        // bfs_line and c0, c1 … in mapping order) is committed and kept for the caller.
        bool stageOnly = false;
        // How long to wait for another session's lock on the target before failing with a message
        // that names the holder (0: as long as the server's lock_timeout says).
        int lockTimeoutMs = 5000;
    };

    // The detected format with the user's overrides applied (what a load will use).
    static CsvFormat effectiveFormat(const CsvFormat &detected, const Options &options);

    // INSERT … SELECT from staged rows with the conflict handling of the mode.
    struct InsertSpec
    {
        QString target;               // quoted, qualified
        QStringList targetColumns;    // quoted
        QString stage;                // staging table
        QStringList stageColumns;     // c0, c1 …
        Conflict conflict = Conflict::Error;
        QStringList keyStageColumns;  // for Update: the conflict key, staged names …
        QStringList keyTargetColumns; // … and quoted target names
        bool keyNullsNotDistinct = false; // UNIQUE NULLS NOT DISTINCT: a NULL repeats a key too
        QString where;                // optional filter on the staged rows
    };
    static QString insertStatement(const InsertSpec &spec);

    // A unique key as conditions on a staged row s (its columns are c0, c1 … in mapping order):
    // met by a row t of the table, met by an earlier staged row s2. Empty when the file does not
    // fill every column of the key; stageColumn gives a table column's N in cN, or -1.
    struct StagedKey
    {
        QString inTable;  // t."k" = s.c0 AND …
        QString earlier;  // s2.c0 = s.c0 AND …
        QString notNull;  // c0 IS NOT NULL AND …
        QString columns;  // c0, …
        bool isEmpty() const { return inTable.isEmpty(); }
    };
    // A dry run's two counts (existing, repeated) over the staged rows under any of `keys`: rows
    // whose key is in the target, and of the others, rows that repeat the key of an earlier line
    // (a row skipped as existing makes no later row a repeat).
    static QString existingAndRepeatedSql(const QString &stage, const QString &target, const QList<StagedKey> &keys);
    // Update mode, a dry run: the same two counts as the run makes them under its update key, where
    // every key is written once (the last line with it wins): keys that already exist (updated),
    // and rows that repeat the key of an earlier line, existing or not (skipped).
    static QString updatedAndRepeatedSql(const QString &stage, const QString &target, const StagedKey &updateKey);
    // Update mode, a dry run: staged rows that meet a row of the target through one of `others`,
    // a row that is not the one their update key matches (ON CONFLICT updates through one key:
    // such a row stops the load).
    static QString otherKeyClashSql(const QString &stage, const QString &target, const StagedKey &updateKey, const QList<StagedKey> &others);
    // nullsNotDistinct: the key is UNIQUE NULLS NOT DISTINCT, so NULLs meet as equals.
    static StagedKey stagedKey(const Database &db, const QStringList &keyColumns, const std::function<int(const QString &)> &stageColumn,
                               bool nullsNotDistinct = false);
    // The first line (bfs_line) of the staged rows matching `where` whose key is in the table or
    // on an earlier line: where a duplicate key stopped an insert. `except`: the key an update
    // matches on; a row with the same one is the row it updates, not a conflict.
    static QString firstRepeatSql(const QString &stage, const QString &target, const StagedKey &key, const QString &where = QString(),
                                  const StagedKey &except = StagedKey());
    // Whether a staged row repeats the key of an earlier line (a window over the staged rows).
    static QString repeatsEarlierSql(const StagedKey &key);

    struct Progress
    {
        qint64 rowsRead = 0;
        qint64 rowsRejected = 0;
        qint64 bytesRead = 0;
        qint64 totalBytes = -1;
        QString phase;
    };

    struct ColumnMapping
    {
        QString csvColumn;
        int csvIndex = -1;
        QString tableColumn;
        QString sqlType;
        QString format; // date-time format used, for time columns
    };

    // The staging table's columns under the table's names ("c0 AS \"time\"", …): a select list.
    static QStringList stagedAsTable(const Database &db, const QList<ColumnMapping> &mapping);
    // The first staged line (bfs_line) of the rows `where` picks that breaks CHECK constraint
    // `constraint` of `target`, evaluated on the staged rows under the table's column names
    // (empty: none found, or the check uses a column the file does not fill). *expression gets
    // what the constraint checks.
    static QString firstLineBreakingCheck(Database &db, const QString &stage, const QString &target, const QList<ColumnMapping> &mapping,
                                          const QString &constraint, const QString &where, const QStringList &params, QString *expression);

    struct Summary
    {
        Outcome outcome = Outcome::Completed;
        DbError error;
        QString message;
        qint64 fileSize = -1;   // the file as it was opened
        QDateTime fileModified;
        qint64 rowsRead = 0;
        qint64 rowsLoaded = 0;
        qint64 rowsDuplicate = 0;
        qint64 rowsRejected = 0;
        // Rows the server did not write though no unique key could skip them (--on-conflict
        // error): a trigger returned NULL for them, or a rule did instead.
        qint64 rowsNotWritten = 0;
        // Rows read that a run which stopped (an error, a cancel, a limit) neither loaded, skipped
        // nor rejected: once what stopped it is fixed, the same backfill run again loads them.
        qint64 rowsNotLoaded = 0;
        qint64 rowsExisting = -1; // dry run: staged rows whose unique key already exists
        qint64 rowsRepeated = -1; // dry run: other staged rows repeating the key of an earlier line
        qint64 rowsMeetingOtherKey = 0; // dry run, update mode: rows meeting another row through another key (the load would stop)
        // A dry run a run would go through with: the rows it would load and skip as duplicates
        // (-1: not a dry run, or one whose run would stop). With rowsRejected (and the rows of
        // ranges an interrupted run completed) they add up to rowsRead.
        qint64 rowsToLoad = -1;
        qint64 rowsToSkip = -1;
        qint64 blankLines = 0;
        // Rows with fewer fields than the file has columns: padded (Options::padShortRows) or rejected.
        qint64 shortRows = 0;
        qint64 firstShortLine = 0;
        double secondsRead = 0;   // read, convert and upload to staging (streamed together)
        double secondsInsert = 0; // staging → target
        CsvFormat format;
        QString uploadMethod;
        QString timeZone;
        QString target;
        QList<ColumnMapping> mapping;
        QStringList ignoredColumns;
        QStringList notes; // what the user should know before trusting the result (a guessed date order, unloaded columns)
        QString rejectsPath;
        struct Rejection
        {
            qint64 line = 0;
            QString column; // empty: the record as a whole (malformed, wrong number of fields)
            QString reason;
        };
        QList<Rejection> firstRejections; // the first few, for a report without a rejects file
        static constexpr int KeptRejections = 10;
        bool dryRun = false;
        QString stageTable; // stageOnly: where the rows are
        QStringList conflictKey; // the unique key used for Update (table column names)
        bool conflictKeyNullsNotDistinct = false;

        bool accountedFor() const { return rowsLoaded + rowsDuplicate + rowsNotWritten + rowsNotLoaded + rowsRejected == rowsRead; }
        // After a run that stopped: the rows read that it neither loaded, skipped nor rejected.
        void countRowsNotLoaded() { rowsNotLoaded = qMax<qint64>(0, rowsRead - rowsRejected - rowsLoaded - rowsDuplicate - rowsNotWritten); }
        // Sets rowsToLoad and rowsToSkip of a dry run from its staged rows and the key counts.
        void splitDryRun(qint64 staged, Conflict conflict);
        // " N were not written: …" when a trigger or a rule dropped rows; else empty.
        QString notWrittenText() const;
        // The note on rows with fewer fields than the file has columns (shortRows), if any.
        void noteShortRows(const QString &file, bool padded);
    };
    // A dry run's account of the rows read, as the run would treat them: "N rows would be loaded
    // into T and D skipped as duplicates (…); R rows are rejected (…)".
    static QString dryRunAccount(const Summary &s, qint64 staged, Conflict conflict, const QString &rejectsPath);
    // "1 row read" or "N rows read": how a load's account begins.
    static QString rowsReadText(qint64 rows) { return rows == 1 ? QStringLiteral("1 row read") : QStringLiteral("%1 rows read").arg(rows); }
    // What the file's detection is told: the options the user gave, the table's column names and
    // its numeric ones (the load and the wizard's preview read a file alike).
    static CsvSniffer::Hints sniffHints(const Options &o, const TargetTable &table);

    using ProgressFn = std::function<void(const Progress &)>;

    explicit CsvLoader(Options options);
    Summary run(Database &db, const std::atomic<bool> *cancel = nullptr, const ProgressFn &progress = ProgressFn());

    static QString conflictName(Conflict c);
    static bool conflictFromName(const QString &name, Conflict *out);
    static bool uploadFromName(const QString &name, Upload *out); // auto, copy, insert

private:
    Options m_options;
};

} // namespace bfs
