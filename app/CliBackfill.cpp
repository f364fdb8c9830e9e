#include "CliBackfill.h"

#include "CliInspect.h"
#include "ConnectionProfile.h"
#include "BackfillEngine.h"
#include "CsvLoader.h"
#include "InspectionJson.h"
#include "Journal.h"
#include "TargetTable.h"
#include "Database.h"
#include "Terminal.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonArray>

#include <atomic>
#include <chrono>
#include <csignal>
#include <limits>
#include <memory>
#include <thread>

using namespace bfs;

namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_interrupts{0};

extern "C" void onInterrupt(int)
{
    g_cancel.store(true); // (lock-free atomics: async-signal-safe)
    g_interrupts.fetch_add(1);
}

// Ctrl+C (SIGINT, SIGTERM) while a load runs: the handler only sets flags; this thread sends
// the cancel request for each one, through the connection's canceller (which reaches the
// connection open at that moment, and sends nothing while the run puts compression back).
class InterruptRelay
{
public:
    explicit InterruptRelay(const Database &db)
        : m_send(db.canceller())
        , m_seen(g_interrupts.load())
    {
        std::signal(SIGINT, onInterrupt);
        std::signal(SIGTERM, onInterrupt);
        m_thread = std::thread([this] {
            while (!m_stop.load()) {
                const int now = g_interrupts.load();
                if (now != m_seen) {
                    m_seen = now;
                    if (m_send)
                        m_send();
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
    }
    ~InterruptRelay()
    {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        m_stop = true;
        m_thread.join();
    }
    InterruptRelay(const InterruptRelay &) = delete;
    InterruptRelay &operator=(const InterruptRelay &) = delete;

private:
    std::function<void()> m_send;
    int m_seen;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

QJsonObject summaryJson(const CsvLoader::Summary &s)
{
    QJsonObject o;
    o[QStringLiteral("outcome")] = [&] {
        switch (s.outcome) {
        case CsvLoader::Outcome::Completed: return QStringLiteral("completed");
        case CsvLoader::Outcome::InputError: return QStringLiteral("input_error");
        case CsvLoader::Outcome::ConnectionError: return QStringLiteral("connection_error");
        case CsvLoader::Outcome::ServerError: return QStringLiteral("server_error");
        case CsvLoader::Outcome::Cancelled: return QStringLiteral("cancelled");
        }
        return QString();
    }();
    o[QStringLiteral("message")] = s.message;
    o[QStringLiteral("target")] = s.target;
    o[QStringLiteral("dry_run")] = s.dryRun;
    o[QStringLiteral("rows_read")] = double(s.rowsRead);
    o[QStringLiteral("rows_loaded")] = double(s.rowsLoaded);
    o[QStringLiteral("rows_duplicate")] = double(s.rowsDuplicate);
    o[QStringLiteral("rows_not_written")] = double(s.rowsNotWritten); // dropped by a trigger or a rule
    o[QStringLiteral("rows_rejected")] = double(s.rowsRejected);
    if (s.rowsToLoad >= 0) { // (a dry run loads nothing: what its run would load and skip)
        o[QStringLiteral("rows_to_load")] = double(s.rowsToLoad);
        o[QStringLiteral("rows_to_skip")] = double(s.rowsToSkip);
    }
    o[QStringLiteral("rows_not_loaded")] = double(s.rowsNotLoaded); // the run stopped: once fixed, a re-run loads them
    if (s.rowsExisting >= 0)
        o[QStringLiteral("rows_existing")] = double(s.rowsExisting);
    if (s.rowsRepeated >= 0)
        o[QStringLiteral("rows_repeated")] = double(s.rowsRepeated);
    o[QStringLiteral("blank_lines")] = double(s.blankLines);
    QJsonObject seconds;
    seconds[QStringLiteral("read_and_upload")] = s.secondsRead;
    seconds[QStringLiteral("insert")] = s.secondsInsert;
    o[QStringLiteral("seconds")] = seconds;
    QJsonObject fmt;
    fmt[QStringLiteral("encoding")] = CsvFormat::encodingName(s.format.encoding);
    fmt[QStringLiteral("delimiter")] = CsvFormat::delimiterName(s.format.delimiter);
    fmt[QStringLiteral("header")] = s.format.header;
    fmt[QStringLiteral("decimal_comma")] = s.format.decimalComma;
    o[QStringLiteral("format")] = fmt;
    o[QStringLiteral("timezone")] = s.timeZone;
    o[QStringLiteral("upload")] = s.uploadMethod;
    QJsonArray mapping;
    for (const auto &m : s.mapping) {
        QJsonObject j;
        j[QStringLiteral("csv")] = m.csvColumn;
        j[QStringLiteral("column")] = m.tableColumn;
        j[QStringLiteral("type")] = m.sqlType;
        if (!m.format.isEmpty())
            j[QStringLiteral("format")] = m.format;
        mapping << j;
    }
    o[QStringLiteral("mapping")] = mapping;
    o[QStringLiteral("ignored_columns")] = QJsonArray::fromStringList(s.ignoredColumns);
    o[QStringLiteral("notes")] = QJsonArray::fromStringList(s.notes);
    if (!s.rejectsPath.isEmpty())
        o[QStringLiteral("rejects_file")] = s.rejectsPath;
    if (s.error.isError())
        o[QStringLiteral("error")] = InspectionJson::toJson(s.error);
    return o;
}

struct EngineOptions
{
    const QCommandLineOption &exportSql, &decompress, &direct, &leaveToPolicy, &journalDir, &json, &verbose;
};

// Where the rejected rows are; without a rejects file, the first ones with line, column and
// reason, on standard error (also under --json, whose standard output is the JSON alone).
void printRejections(const CsvLoader::Summary &s, const QString &csvPath, bool json)
{
    if (s.rowsRejected <= 0)
        return;
    // (--max-rejects 0 stopped at the one row, and the message names it already)
    if (s.outcome == CsvLoader::Outcome::InputError && s.rowsRejected == 1 && s.message.contains(QLatin1String("(stopping at the first error)")))
        return;
    if (!s.rejectsPath.isEmpty()) {
        if (!json)
            Terminal::out(QStringLiteral("Rejected rows: %1").arg(s.rejectsPath));
        return;
    }
    for (const CsvLoader::Summary::Rejection &r : s.firstRejections)
        Terminal::err(QStringLiteral("Rejected: %1, line %2%3: %4")
                          .arg(csvPath).arg(r.line).arg(r.column.isEmpty() ? QString() : QStringLiteral(", column %1").arg(r.column), r.reason));
    if (s.rowsRejected > s.firstRejections.size())
        Terminal::err(QStringLiteral("… and %1 more rejected rows: --rejects FILE lists every one with line, column and reason.")
                          .arg(s.rowsRejected - s.firstRejections.size()));
}

int exitCodeFor(CsvLoader::Outcome outcome, qint64 rejected)
{
    switch (outcome) {
    case CsvLoader::Outcome::Completed: return rejected > 0 ? ExitCode::Rejected : ExitCode::Ok;
    case CsvLoader::Outcome::InputError: return ExitCode::Usage;
    case CsvLoader::Outcome::ConnectionError: return ExitCode::Connection;
    case CsvLoader::Outcome::ServerError: return ExitCode::Server;
    case CsvLoader::Outcome::Cancelled: return ExitCode::Cancelled;
    }
    return ExitCode::Server;
}

int runEngine(Database &db, const CsvLoader::Options &load, const QCommandLineParser &parser, const EngineOptions &eo)
{
    BackfillEngine::Options options;
    options.load = load;
    options.planOnly = load.dryRun || parser.isSet(eo.exportSql);
    options.overrides.forceDecompress = parser.isSet(eo.decompress);
    options.overrides.forceDirect = parser.isSet(eo.direct);
    options.overrides.leaveRecompressionToPolicy = parser.isSet(eo.leaveToPolicy);
    options.overrides.lockTimeoutMs = load.lockTimeoutMs;
    options.journalDirectory = parser.value(eo.journalDir);
    options.exportSqlPath = parser.value(eo.exportSql);

    BackfillEngine engine(options);
    const bool verbose = parser.isSet(eo.verbose);
    const BackfillEngine::Result r = [&] {
        const InterruptRelay relay(db);
        return engine.run(db, &g_cancel, BackfillEngine::ProgressFn(), [verbose](const QString &sql) {
            if (verbose)
                Terminal::err(sql.simplified());
        });
    }();

    // A dry run or an export whose plan a run would refuse: the exit code says so, as the run's
    // would, and so does --json's outcome.
    const bool blocked = options.planOnly && r.outcome == CsvLoader::Outcome::Completed && !r.plan.blockers.isEmpty();
    if (parser.isSet(eo.json)) {
        QJsonObject o = summaryJson(r.load);
        o[QStringLiteral("outcome")] = blocked ? QStringLiteral("blocked")
                                               : summaryJson([&] { CsvLoader::Summary x = r.load; x.outcome = r.outcome; return x; }())
                                                     .value(QStringLiteral("outcome")).toString();
        o[QStringLiteral("message")] = r.message;
        o[QStringLiteral("dry_run")] = options.planOnly;
        o[QStringLiteral("timescaledb_version")] = r.plan.version.text;
        QJsonArray chunks;
        if (!r.chunks.isEmpty()) {
            for (const auto &c : r.chunks) {
                QJsonObject j;
                j[QStringLiteral("name")] = c.name;
                j[QStringLiteral("action")] = c.action;
                j[QStringLiteral("rows")] = double(c.rows);
                j[QStringLiteral("inserted")] = c.inserted >= 0 ? QJsonValue(double(c.inserted)) : QJsonValue(); // null: not known
                j[QStringLiteral("compressed_before")] = c.compressedBefore;
                j[QStringLiteral("compressed_after")] = c.compressedAfter;
                j[QStringLiteral("bytes_before_compression")] = c.bytesBefore >= 0 ? QJsonValue(double(c.bytesBefore)) : QJsonValue();
                j[QStringLiteral("bytes_after_compression")] = c.bytesAfter >= 0 ? QJsonValue(double(c.bytesAfter)) : QJsonValue();
                chunks << j;
            }
        } else {
            for (const auto &c : r.plan.chunks) {
                QJsonObject j;
                j[QStringLiteral("name")] = c.chunk.qualifiedName();
                j[QStringLiteral("action")] = BackfillPlan::actionName(c.action);
                j[QStringLiteral("rows")] = double(c.rows);
                j[QStringLiteral("reason")] = c.reason;
                j[QStringLiteral("compressed_before")] = c.chunk.isCompressed();
                chunks << j;
            }
        }
        o[QStringLiteral("chunks")] = chunks;
        QJsonArray newChunks; // the ones the run made and compressed, as the policy would
        for (const auto &c : r.newChunks)
            newChunks << QJsonObject{{QStringLiteral("name"), c.name},
                                     {QStringLiteral("compressed_after"), c.compressedAfter},
                                     {QStringLiteral("bytes_before_compression"), c.bytesBefore >= 0 ? QJsonValue(double(c.bytesBefore)) : QJsonValue()},
                                     {QStringLiteral("bytes_after_compression"), c.bytesAfter >= 0 ? QJsonValue(double(c.bytesAfter)) : QJsonValue()}};
        o[QStringLiteral("new_chunks_compressed")] = newChunks;
        o[QStringLiteral("new_chunk_rows")] = double(r.plan.newChunkRows);
        // (space partitions: rows of existing time ranges that go to new chunks of their partition)
        o[QStringLiteral("new_partition_chunk_rows")] = double(r.plan.rowsForNewPartitionChunks());
        o[QStringLiteral("rows_loaded_earlier")] = double(r.rowsLoadedEarlier); // of rows_loaded: before an interruption
        QJsonObject policy;
        // (a dry run: the job the run would pause)
        const int job = r.policyJob ? r.policyJob : (r.plan.pausePolicy ? r.plan.policy.jobId : 0);
        policy[QStringLiteral("job_id")] = job ? QJsonValue(job) : QJsonValue();
        policy[QStringLiteral("paused")] = r.policyPaused;
        policy[QStringLiteral("restored")] = r.policyRestored;
        policy[QStringLiteral("reason")] = r.plan.policyReason;
        o[QStringLiteral("policy")] = policy;
        o[QStringLiteral("aggregates_refreshed")] = QJsonArray::fromStringList(r.aggregatesRefreshed);
        if (r.plan.summary.rowsBeforeRetention >= 0) // a scheduled retention policy with drop_after
            o[QStringLiteral("retention")] = QJsonObject{{QStringLiteral("rows_in_dropped_chunks"), double(r.plan.summary.rowsBeforeRetention)},
                                                         {QStringLiteral("rows_before"), r.plan.summary.retentionBoundary}};
        if (!r.plan.warnings.isEmpty())
            o[QStringLiteral("warnings")] = QJsonArray::fromStringList(r.plan.warnings);
        QJsonObject seconds;
        seconds[QStringLiteral("stage")] = r.secondsStage;
        seconds[QStringLiteral("plan")] = r.secondsPlan;
        seconds[QStringLiteral("move")] = r.secondsMove;
        seconds[QStringLiteral("recompress")] = r.secondsRecompress;
        o[QStringLiteral("seconds")] = seconds;
        if (r.load.rowsExisting >= 0 || r.plan.summary.existingRows >= 0) {
            o[QStringLiteral("rows_existing")] = double(r.plan.summary.existingRows);
            o[QStringLiteral("rows_repeated")] = double(qMax<qint64>(0, r.plan.summary.repeatedRows));
        }
        if (!r.plan.blockers.isEmpty())
            o[QStringLiteral("blockers")] = QJsonArray::fromStringList(r.plan.blockers);
        if (r.error.isError())
            o[QStringLiteral("error")] = InspectionJson::toJson(r.error);
        Terminal::out(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)));
        printRejections(r.load, options.load.csvPath, true);
    } else {
        if (!options.planOnly) // (a dry run prints them with its plan)
            for (const QString &warning : r.plan.warnings)
                Terminal::err(QStringLiteral("Warning: ") + warning);
        for (const QString &note : r.load.notes)
            Terminal::out(QStringLiteral("Note: ") + note);
        if (r.planned && options.planOnly)
            Terminal::out(r.plan.toText());
        for (const QString &line : BackfillEngine::afterRunLines(r))
            Terminal::out(line);
        if (r.outcome == CsvLoader::Outcome::Completed)
            Terminal::out(r.message);
        else
            Terminal::err(r.message + (r.error.server.isEmpty() ? QString() : QStringLiteral("\nServer: ") + r.error.server));
        printRejections(r.load, options.load.csvPath, false);
    }
    if (blocked)
        return ExitCode::Server;
    return exitCodeFor(r.outcome, r.load.rowsRejected);
}

} // namespace

int runRecover(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Finish interrupted backfills: recompress chunks, resume policies."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("libpq connection string or postgresql:// URI."), QStringLiteral("CONNINFO"));
    const QCommandLineOption journalDir(QStringLiteral("journal-dir"), QStringLiteral("Folder of the backfill journals."), QStringLiteral("DIR"));
    parser.addOptions({db, journalDir});
    if (!parser.parse(arguments)) {
        Terminal::err(QStringLiteral("backfill-studio-cli recover: %1").arg(parser.errorText()));
        return ExitCode::Usage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        Terminal::out(parser.helpText());
        return ExitCode::Ok;
    }
    if (!parser.isSet(db)) {
        Terminal::err(QStringLiteral("backfill-studio-cli recover: --db CONNINFO is required"));
        return ExitCode::Usage;
    }
    ConnectionProfile profile;
    QString parseError;
    if (!ConnectionProfile::fromConnInfo(parser.value(db), &profile, &parseError)) {
        Terminal::err(QStringLiteral("backfill-studio-cli recover: invalid --db: %1").arg(parseError));
        return ExitCode::Usage;
    }
    Database database(profile);
    DbError error;
    if (!database.open(&error)) {
        Terminal::err(error.toString());
        return ExitCode::Connection;
    }
    QStringList actions;
    const bool ok = BackfillEngine::recover(database, parser.value(journalDir), &actions, &error);
    for (const QString &a : actions)
        Terminal::out(a);
    if (actions.isEmpty())
        Terminal::out(QStringLiteral("No interrupted backfill to recover for this server."));
    if (!ok) {
        Terminal::err(error.toString());
        return ExitCode::Server;
    }
    return ExitCode::Ok;
}

int runBackfill(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Load a CSV file into a table or hypertable."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("libpq connection string or postgresql:// URI."), QStringLiteral("CONNINFO"));
    const QCommandLineOption table(QStringLiteral("table"), QStringLiteral("Target table, [SCHEMA.]NAME."), QStringLiteral("NAME"));
    const QCommandLineOption csv(QStringLiteral("csv"), QStringLiteral("The CSV file."), QStringLiteral("FILE"));
    const QCommandLineOption delimiter(QStringLiteral("delimiter"), QStringLiteral("Field delimiter (, ; | TAB); detected when omitted."), QStringLiteral("C"));
    const QCommandLineOption encoding(QStringLiteral("encoding"), QStringLiteral("utf-8, utf-16le, utf-16be, windows-1252, latin1; detected when omitted."), QStringLiteral("NAME"));
    const QCommandLineOption noHeader(QStringLiteral("no-header"), QStringLiteral("The first row is data (columns map by position)."));
    const QCommandLineOption header(QStringLiteral("header"), QStringLiteral("The first row names the columns (detected when omitted)."));
    const QCommandLineOption skipLines(QStringLiteral("skip-lines"), QStringLiteral("Skip N lines before the header."), QStringLiteral("N"));
    const QCommandLineOption padShortRows(QStringLiteral("pad-short-rows"), QStringLiteral("A row with fewer fields than the file has columns gets empty cells at its end (spreadsheets leave out the delimiters of empty cells there); without it such a row is rejected."));
    const QCommandLineOption nullToken(QStringLiteral("null"), QStringLiteral("A cell that means NULL, case as given (repeatable; default: empty, NULL, null, Null, NA, N/A, n/a; a quoted text cell is data unless empty)."), QStringLiteral("TOKEN"));
    const QCommandLineOption decimalComma(QStringLiteral("decimal-comma"), QStringLiteral("Numbers use a decimal comma, 1.234,5 (detected when omitted)."));
    const QCommandLineOption decimalPoint(QStringLiteral("decimal-point"), QStringLiteral("Numbers use a decimal point, 1,234.5 (detected when omitted)."));
    const QCommandLineOption map(QStringLiteral("map"), QStringLiteral("Map a CSV column (name or number) to a table column (repeatable)."), QStringLiteral("CSVCOLUMN=COLUMN"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Date-time format of a column: a Qt pattern (dd.MM.yyyy HH:mm), iso, epoch or epoch_ms (repeatable)."), QStringLiteral("COLUMN=PATTERN"));
    const QCommandLineOption timezone(QStringLiteral("timezone"), QStringLiteral("IANA time zone of naive timestamps (default UTC)."), QStringLiteral("IANA"));
    const QCommandLineOption dstOverlap(QStringLiteral("dst-overlap"), QStringLiteral("Local times that happen twice: reject (default), earlier or later."), QStringLiteral("MODE"));
    const QCommandLineOption onConflict(QStringLiteral("on-conflict"), QStringLiteral("Rows whose unique key exists: error (default), skip or update."), QStringLiteral("MODE"));
    const QCommandLineOption upload(QStringLiteral("upload"), QStringLiteral("copy or insert (default: copy, insert where COPY is not possible)."), QStringLiteral("METHOD"));
    const QCommandLineOption rejectsFile(QStringLiteral("rejects"), QStringLiteral("Write rejected rows with line, column and reason to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption maxRejects(QStringLiteral("max-rejects"), QStringLiteral("Stop when more than N rows are rejected (0: at the first; default: no limit)."), QStringLiteral("N"));
    const QCommandLineOption dryRun(QStringLiteral("dry-run"), QStringLiteral("Read, convert and count rows that already exist; change nothing."));
    const QCommandLineOption exportSql(QStringLiteral("export-sql"), QStringLiteral("Hypertables: write the plan as a commented psql script, the converted rows included, and change nothing."), QStringLiteral("FILE"));
    const QCommandLineOption decompress(QStringLiteral("decompress"), QStringLiteral("Hypertables: decompress every touched compressed chunk instead of inserting directly."));
    const QCommandLineOption direct(QStringLiteral("direct"), QStringLiteral("Hypertables: insert directly wherever the server version allows it, even for large batches."));
    const QCommandLineOption leaveToPolicy(QStringLiteral("leave-recompression-to-policy"), QStringLiteral("Hypertables: do not compress the touched chunks again during the run; the policy will."));
    const QCommandLineOption lockTimeout(QStringLiteral("lock-timeout"), QStringLiteral("Milliseconds to wait for another session's lock on the table or a chunk before failing with its name (default 5000; 0: the server's lock_timeout)."), QStringLiteral("MS"));
    const QCommandLineOption journalDir(QStringLiteral("journal-dir"), QStringLiteral("Folder of the backfill journals (default: the application data folder)."), QStringLiteral("DIR"));
    const QCommandLineOption verbose(QStringLiteral("verbose"), QStringLiteral("Hypertables: print every SQL statement to standard error as it runs."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON object at the end."));
    parser.addOptions({db, table, csv, delimiter, encoding, noHeader, header, skipLines, padShortRows, nullToken, decimalComma, decimalPoint, map, format,
                       timezone, dstOverlap, onConflict, upload, rejectsFile, maxRejects, dryRun, exportSql, json,
                       decompress, direct, leaveToPolicy, lockTimeout, journalDir, verbose});
    auto usage = [](const QString &message) {
        Terminal::err(QStringLiteral("backfill-studio-cli backfill: %1").arg(message));
        return ExitCode::Usage;
    };
    if (!parser.parse(arguments))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        Terminal::out(parser.helpText());
        return ExitCode::Ok;
    }
    for (const QCommandLineOption *required : {&db, &table, &csv})
        if (!parser.isSet(*required))
            return usage(QStringLiteral("--%1 is required").arg(required->names().first()));
    if (parser.isSet(decompress) && parser.isSet(direct))
        return usage(QStringLiteral("--decompress and --direct exclude each other"));

    CsvLoader::Options o;
    o.csvPath = parser.value(csv);
    o.table = parser.value(table);
    if (parser.isSet(delimiter)) {
        const QString d = parser.value(delimiter);
        if (d == QLatin1String("TAB") || d == QLatin1String("\\t") || d == QLatin1String("tab"))
            o.delimiter = QLatin1Char('\t');
        else if (d.size() == 1)
            o.delimiter = d.at(0);
        else
            return usage(QStringLiteral("--delimiter must be one character or TAB"));
    }
    if (parser.isSet(encoding)) {
        CsvFormat::Encoding e;
        if (!CsvFormat::encodingFromName(parser.value(encoding), &e))
            return usage(QStringLiteral("unknown --encoding \"%1\"").arg(parser.value(encoding)));
        o.encoding = e;
    }
    if (parser.isSet(noHeader) && parser.isSet(header))
        return usage(QStringLiteral("--header and --no-header exclude each other"));
    if (parser.isSet(noHeader))
        o.header = false;
    if (parser.isSet(header))
        o.header = true;
    if (parser.isSet(decimalComma) && parser.isSet(decimalPoint))
        return usage(QStringLiteral("--decimal-comma and --decimal-point exclude each other"));
    if (parser.isSet(decimalComma))
        o.decimalComma = true;
    if (parser.isSet(decimalPoint))
        o.decimalComma = false;
    if (parser.isSet(skipLines)) {
        bool ok = false;
        o.skipLines = parser.value(skipLines).toInt(&ok);
        if (!ok || o.skipLines < 0)
            return usage(QStringLiteral("--skip-lines needs a number"));
    }
    o.padShortRows = parser.isSet(padShortRows);
    if (parser.isSet(nullToken))
        o.nullTokens = parser.values(nullToken);
    for (const QString &m : parser.values(map)) {
        const qsizetype eq = m.lastIndexOf(QLatin1Char('='));
        if (eq <= 0 || eq == m.size() - 1)
            return usage(QStringLiteral("--map needs CSVCOLUMN=COLUMN, got \"%1\"").arg(m));
        o.mappings << qMakePair(m.left(eq), m.mid(eq + 1));
    }
    for (const QString &f : parser.values(format)) {
        const qsizetype eq = f.indexOf(QLatin1Char('='));
        if (eq <= 0 || eq == f.size() - 1)
            return usage(QStringLiteral("--format needs COLUMN=PATTERN, got \"%1\"").arg(f));
        o.formats.insert(f.left(eq), f.mid(eq + 1));
    }
    o.formatsMustApply = true; // (a misspelt column would leave its dates to the detection)
    o.timeZone = parser.value(timezone);
    if (parser.isSet(dstOverlap)) {
        const QString v = parser.value(dstOverlap);
        if (v == QLatin1String("reject"))
            o.overlap = DateTimeParser::Overlap::Reject;
        else if (v == QLatin1String("earlier"))
            o.overlap = DateTimeParser::Overlap::Earlier;
        else if (v == QLatin1String("later"))
            o.overlap = DateTimeParser::Overlap::Later;
        else
            return usage(QStringLiteral("--dst-overlap must be reject, earlier or later"));
    }
    if (parser.isSet(onConflict) && !CsvLoader::conflictFromName(parser.value(onConflict), &o.conflict))
        return usage(QStringLiteral("--on-conflict must be error, skip or update"));
    if (parser.isSet(upload) && (parser.value(upload) == QLatin1String("auto") || !CsvLoader::uploadFromName(parser.value(upload), &o.upload)))
        return usage(QStringLiteral("--upload must be copy or insert"));
    o.rejectsPath = parser.value(rejectsFile);
    // A number ≥ 0 given to `option` (left as is when the option is absent).
    auto nonNegative = [&parser](const QCommandLineOption &option, qint64 *value) {
        if (!parser.isSet(option))
            return true;
        bool ok = false;
        *value = parser.value(option).toLongLong(&ok);
        return ok && *value >= 0;
    };
    if (!nonNegative(maxRejects, &o.maxRejects))
        return usage(QStringLiteral("--max-rejects needs a number ≥ 0"));
    qint64 lockTimeoutMs = o.lockTimeoutMs;
    if (!nonNegative(lockTimeout, &lockTimeoutMs) || lockTimeoutMs > std::numeric_limits<int>::max())
        return usage(QStringLiteral("--lock-timeout needs milliseconds ≥ 0"));
    o.lockTimeoutMs = int(lockTimeoutMs);
    o.dryRun = parser.isSet(dryRun);

    ConnectionProfile profile;
    QString parseError;
    if (!ConnectionProfile::fromConnInfo(parser.value(db), &profile, &parseError))
        return usage(QStringLiteral("invalid --db: %1").arg(parseError));
    profile.applicationName = QStringLiteral("Backfill Studio CLI");

    auto database = std::make_unique<Database>(profile);
    DbError error;
    bool opened = database->open(&error);
    if (!opened && error.kind == DbError::Kind::PasswordRequired && Terminal::stdinIsTerminal()) {
        profile.password = Terminal::readPassword(QStringLiteral("Password for %1: ").arg(profile.displayTarget()));
        database = std::make_unique<Database>(profile);
        opened = database->open(&error);
    }
    if (!opened) {
        Terminal::err(error.toString());
        return ExitCode::Connection;
    }

    // A hypertable gets the chunk-aware engine; a plain table the straight load.
    TargetTable target;
    DbError targetError;
    if (!TargetTable::load(*database, o.table, &target, &targetError)) {
        Terminal::err(targetError.message);
        return targetError.kind == DbError::Kind::Unreachable ? ExitCode::Connection : ExitCode::Usage;
    }
    if (target.isHypertable)
        return runEngine(*database, o, parser, {exportSql, decompress, direct, leaveToPolicy, journalDir, json, verbose});
    if (parser.isSet(exportSql))
        return usage(QStringLiteral("--export-sql needs a hypertable; %1 is a plain table").arg(target.displayName()));

    CsvLoader loader(o);
    const CsvLoader::Summary s = [&] {
        const InterruptRelay relay(*database);
        return loader.run(*database, &g_cancel);
    }();

    // A dry run whose load would stop at an existing key: the exit code says so, as the load's
    // would, and so does --json's outcome.
    const bool blocked = s.outcome == CsvLoader::Outcome::Completed && s.dryRun && s.rowsToLoad < 0;
    if (parser.isSet(json)) {
        QJsonObject j = summaryJson(s);
        if (blocked)
            j[QStringLiteral("outcome")] = QStringLiteral("blocked");
        Terminal::out(QString::fromUtf8(QJsonDocument(j).toJson(QJsonDocument::Indented)));
        printRejections(s, o.csvPath, true);
    } else
        for (const QString &note : s.notes)
            Terminal::out(QStringLiteral("Note: ") + note);
    if (s.outcome == CsvLoader::Outcome::Completed) {
        if (!parser.isSet(json)) {
            Terminal::out(s.message);
            if (s.rowsExisting >= 0 && o.conflict != CsvLoader::Conflict::Update) // (update mode: the account above says it)
                Terminal::out(QStringLiteral("%1 of them already exist under the unique key%2.").arg(s.rowsExisting)
                                  .arg(s.rowsRepeated > 0 ? QStringLiteral("; %1 more repeat the key of an earlier line").arg(s.rowsRepeated)
                                                          : QString()));
            printRejections(s, o.csvPath, false);
        }
        if (blocked)
            return ExitCode::Server;
        return s.rowsRejected > 0 ? ExitCode::Rejected : ExitCode::Ok;
    }
    // A load that stopped: its message, then the rows it rejected on the way (what to fix first).
    const bool withServer = s.outcome == CsvLoader::Outcome::ConnectionError || s.outcome == CsvLoader::Outcome::ServerError;
    Terminal::err(s.message + (withServer && !s.error.server.isEmpty() ? QStringLiteral("\nServer: ") + s.error.server : QString()));
    if (!parser.isSet(json))
        printRejections(s, o.csvPath, false);
    return exitCodeFor(s.outcome, s.rowsRejected);
}
