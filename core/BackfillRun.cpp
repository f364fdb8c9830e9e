#include "BackfillRun.h"

#include "Journal.h"
#include "ValueConverter.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QThread>

#include <algorithm>

namespace bfs {

using Outcome = CsvLoader::Outcome;
using namespace detail;

BackfillRun::BackfillRun(Database &database, const BackfillEngine::Options &engineOptions, const std::atomic<bool> *cancelFlag,
                         const BackfillEngine::ProgressFn &progressFn, const BackfillEngine::LogFn &logFn)
    : db(database)
    , options(engineOptions)
    , lo(engineOptions.load)
    , cancel(cancelFlag)
    , progress(progressFn)
    , log(logFn)
    , journalDirectory(engineOptions.journalDirectory.isEmpty() ? Journal::defaultDirectory() : engineOptions.journalDirectory)
{
}

BackfillEngine::Result BackfillRun::execute()
{
    timer.start();
    // Up to the journal nothing has changed on the server; a false return ends the run there.
    if (!recoverEarlier() || !inspect() || !stageFile() || !readLedgers() || !summarise() || !makePlan() || !startJournal())
        return res;
    pausePolicy();
    moveRows();
    putBack(); // closes the way for cancel requests
    reconcile();
    finish();
    db.setCancelRequestsAllowed(true);
    return res;
}

bool BackfillRun::cancelled() const
{
    return cancel && cancel->load();
}

bool BackfillRun::exec(const QString &sql, const QStringList &params, QueryResult *r, DbError *e, const QString &ctx)
{
    res.statements << sql;
    if (log)
        log(sql);
    return db.exec(sql, params, r, e, ctx);
}

bool BackfillRun::fail(CsvLoader::Outcome o, const QString &message, const DbError &err)
{
    res.outcome = o;
    res.message = message;
    res.error = err;
    return false;
}

void BackfillRun::report(const BackfillEngine::Progress &p)
{
    if (progress)
        progress(p);
}

void BackfillRun::stopWith(CsvLoader::Outcome o, const QString &message, const DbError &err)
{
    failed = true;
    res.outcome = o;
    res.message = message;
    res.error = err;
}

CsvLoader::Outcome BackfillRun::outcomeOf(const DbError &err) const
{
    if (cancelled() || err.kind == DbError::Kind::Cancelled)
        return Outcome::Cancelled;
    return err.kind == DbError::Kind::Unreachable ? Outcome::ConnectionError : Outcome::ServerError;
}

bool BackfillRun::reconnect()
{
    if (log)
        log(QStringLiteral("-- connection lost; reconnecting"));
    DbError reopen;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (db.open(&reopen))
            return true;
        QThread::msleep(200 << attempt);
    }
    return false;
}

// Putting compression and the policy back survives a lost connection: reconnect, run it again.
// A cancel request sent just before putBack() closed the way for them can still reach the
// statement after: with the run cancelled, a statement "canceled" (57014) runs again.
bool BackfillRun::execCleanup(const QString &sql, const QStringList &params, QueryResult *out, const QString &ctx)
{
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (exec(sql, params, out, &e, ctx))
            return true;
        if (e.kind == DbError::Kind::Unreachable)
            return reconnect() && exec(sql, params, out, &e, ctx);
        if (!(cancelled() && e.sqlState == QLatin1String("57014")))
            return false;
    }
    return false;
}

void BackfillRun::dropStage()
{
    DbError ignored;
    if (db.isOpen())
        db.execScript(QStringLiteral("DROP TABLE IF EXISTS %1").arg(stage), &ignored);
}

QString BackfillRun::boundsWhere(const QString &kind, int n, const QString &column) const
{
    const QString time = column.isEmpty() ? timeStage : column;
    return kind == QLatin1String("outside")
        ? QStringLiteral("NOT EXISTS (SELECT 1 FROM unnest($%2::%4[], $%3::%4[]) AS r(a, b) WHERE %1 >= r.a AND %1 < r.b)")
              .arg(time).arg(n).arg(n + 1).arg(cast)
        : QStringLiteral("%1 >= $%2::%4 AND %1 < $%3::%4").arg(time).arg(n).arg(n + 1).arg(cast);
}

QString BackfillRun::rangeText(const QString &key) const
{
    if (key == QLatin1String("new"))
        return QStringLiteral("the rows outside every chunk (new chunks)");
    const int dash = key.indexOf(QLatin1Char('-'), 1); // (integer time may start below zero)
    bool okFrom = false, okTo = false;
    const qint64 from = key.left(dash).toLongLong(&okFrom), to = key.mid(dash + 1).toLongLong(&okTo);
    if (dash < 0 || !okFrom || !okTo)
        return key;
    if (integerTime)
        return QStringLiteral("[%1, %2)").arg(from).arg(to);
    const QString format = QStringLiteral("yyyy-MM-dd HH:mm");
    return QStringLiteral("%1 to %2 UTC")
        .arg(QDateTime::fromMSecsSinceEpoch(from, Qt::UTC).toString(format), QDateTime::fromMSecsSinceEpoch(to, Qt::UTC).toString(format));
}

QStringList BackfillRun::stagedAsTable() const
{
    return CsvLoader::stagedAsTable(db, res.load.mapping);
}

int BackfillRun::stageColumnOf(const QString &tableColumn) const
{
    for (int i = int(res.load.mapping.size()) - 1; i >= 0; --i)
        if (res.load.mapping.at(i).tableColumn == tableColumn)
            return i;
    return -1;
}

QString BackfillRun::rangeWhere(const ChunkInfo &c, QStringList *params) const
{
    const int n = int(params->size());
    *params << (integerTime ? QString::number(c.rangeStartInteger) : isoUtc(c.rangeStart))
            << (integerTime ? QString::number(c.rangeEndInteger) : isoUtc(c.rangeEnd));
    return boundsWhere(QStringLiteral("range"), n + 1);
}

// Rows outside every chunk that existed before the run (they create new chunks).
QString BackfillRun::outsideWhere(QStringList *params) const
{
    QStringList starts, ends;
    for (const ChunkInfo &c : ht.chunks) {
        starts << (integerTime ? QString::number(c.rangeStartInteger) : isoUtc(c.rangeStart));
        ends << (integerTime ? QString::number(c.rangeEndInteger) : isoUtc(c.rangeEnd));
    }
    const int n = int(params->size());
    *params << Database::textArray(starts) << Database::textArray(ends);
    return boundsWhere(QStringLiteral("outside"), n + 1);
}

bool BackfillRun::fingerprints(const QList<QPair<QString, QStringList>> &wheres, QStringList *out)
{
    // The rows' text must not depend on the session: fixed output settings for this transaction.
    QList<Database::Statement> batch{{QStringLiteral("BEGIN"), {}, QString(), QStringLiteral("begin")}};
    for (const char *setting : {"TimeZone = 'UTC'", "DateStyle = 'ISO, YMD'", "IntervalStyle = 'postgres'", "extra_float_digits = 1"})
        batch << Database::Statement{QStringLiteral("SET LOCAL %1").arg(QLatin1String(setting)), {}, QString(), QStringLiteral("fixed output")};
    const int first = int(batch.size());
    for (const auto &[where, params] : wheres)
        batch << Database::Statement{QStringLiteral("SELECT count(*) || ':' || coalesce(sum(hashtextextended(ROW(%1)::text, 0)::numeric), 0) "
                                                    "AS fingerprint FROM %2 WHERE %3")
                                         .arg(stageCols.join(QStringLiteral(", ")), stage, where),
                                     params, QString(), QStringLiteral("fingerprint the staged rows of a range")};
    batch << Database::Statement{QStringLiteral("COMMIT"), {}, QString(), QStringLiteral("commit")};
    QList<QueryResult> answers;
    int failedAt = -1;
    if (!execTogether(batch, &answers, &e, &failedAt)) {
        DbError ignored;
        if (db.isOpen())
            db.execScript(QStringLiteral("ROLLBACK"), &ignored);
        return false;
    }
    for (int i = first; i < first + int(wheres.size()); ++i)
        *out << answers.value(i).value(0, 0);
    return true;
}

bool BackfillRun::checkEditedLedger(const QString &path, const QList<Journal::Entry> &entries, bool *use)
{
    *use = true;
    // The ledger of an interrupted run of this file before it was changed: its completed ranges
    // are skipped only if the file still holds the same rows for them.
    QHash<QString, QJsonObject> recorded;
    QStringList done, undecided;
    QHash<QString, QStringList> xids; // range -> transaction ids of its COMMITs
    for (const Journal::Entry &en : entries) {
        const QString range = en.data.value(QStringLiteral("range")).toString();
        if (en.step == QLatin1String("fingerprints")) {
            for (const QJsonValue &v : en.data.value(QStringLiteral("ranges")).toArray())
                recorded.insert(v.toObject().value(QStringLiteral("range")).toString(), v.toObject());
        } else if (en.step == QLatin1String("chunk_done") || en.step == QLatin1String("new_rows_done")) {
            done << range;
        } else if (en.step == QLatin1String("commit")) {
            undecided << range;
            xids[range] << en.data.value(QStringLiteral("xid")).toString();
        }
    }
    for (const QString &d : std::as_const(done))
        undecided.removeAll(d);
    undecided.removeDuplicates();
    // A COMMIT whose answer never came: if the server says every attempt aborted, the range was
    // not loaded and nothing needs comparing.
    for (auto it = undecided.begin(); it != undecided.end();) {
        bool aborted = true;
        for (const QString &xid : xids.value(*it))
            aborted = aborted && exec(QStringLiteral("SELECT txid_status($1::bigint)"), {xid}, &r, &e, QStringLiteral("check transaction %1").arg(xid))
                && r.value(0, 0) == QLatin1String("aborted");
        it = aborted ? undecided.erase(it) : it + 1;
    }
    if (done.isEmpty() && undecided.isEmpty())
        return true; // it loaded nothing
    QStringList changed = undecided; // committed or not, nobody can tell which rows they were
    QList<QPair<QString, QStringList>> wheres;
    QStringList compared, before;
    for (const QString &d : std::as_const(done)) {
        const QJsonObject f = recorded.value(d);
        if (f.isEmpty()) {
            changed << d;
            continue;
        }
        QStringList params;
        for (const QJsonValue &p : f.value(QStringLiteral("params")).toArray())
            params << p.toString();
        wheres << qMakePair(boundsWhere(f.value(QStringLiteral("kind")).toString(), 1), params);
        compared << d;
        before << f.value(QStringLiteral("fingerprint")).toString();
    }
    QStringList now;
    if (!wheres.isEmpty() && !fingerprints(wheres, &now)) {
        dropStage();
        return fail(outcomeOf(e), e.message, e);
    }
    for (int i = 0; i < compared.size(); ++i)
        if (now.value(i) != before.at(i))
            changed << compared.at(i);
    if (!changed.isEmpty() && !nullSafeKey().isEmpty() && lo.conflict != CsvLoader::Conflict::Error) {
        // The unique key makes loading those ranges again harmless: the rows the interrupted run
        // loaded are skipped (or update themselves). The ledger goes when this run succeeds.
        *use = false;
        if (log)
            log(QStringLiteral("-- the file changed since an interrupted run: all its rows are loaded again, and the unique key %1 "
                               "the %2 range(s) that run loaded")
                    .arg(lo.conflict == CsvLoader::Conflict::Skip ? QStringLiteral("skips the rows of") : QStringLiteral("updates the rows of"))
                    .arg(done.size()));
        return true;
    }
    if (!changed.isEmpty()) {
        dropStage();
        QStringList ranges;
        for (const QString &c : std::as_const(changed))
            ranges << rangeText(c);
        return fail(Outcome::InputError,
                    QStringLiteral("Nothing was changed: an interrupted run loaded chunk range(s) of %1, and the rows this run reads "
                                   "from the file for %2 differ from the ones it loaded (the file changed, or an option that reads "
                                   "it, such as --timezone) or cannot be compared (a run stopped by a crash or a lost connection "
                                   "keeps no fingerprints of its ranges). To finish, put the file back as it was and run it again, "
                                   "then load your changes as a file of their own. Deleting the ledger %3 makes the next run load "
                                   "the whole file, those ranges again too: duplicates in a table without a unique key%4.")
                        .arg(QDir::toNativeSeparators(lo.csvPath), ranges.join(QStringLiteral("; ")), QDir::toNativeSeparators(path),
                             nullSafeKey().isEmpty() ? QString()
                                                     : QStringLiteral(" (this table has one: with --on-conflict skip or update the "
                                                                      "changed file loads safely)")));
    }
    if (log)
        log(QStringLiteral("-- the file changed since an interrupted run, but not the %1 range(s) it completed: they are skipped")
                .arg(compared.size()));
    return true;
}

bool BackfillRun::recoverEarlier()
{
    // 0. An earlier run on this server that died is finished first (policy, compression).
    QStringList actions, left;
    DbError recoverError;
    // Putting back what that run changed may not be cancelled half-way.
    db.setCancelRequestsAllowed(false);
    const bool recoveredAll = BackfillEngine::recover(db, journalDirectory, &actions, &recoverError, &left);
    db.setCancelRequestsAllowed(true);
    if (!recoveredAll)
        return fail(outcomeOf(recoverError),
                    QStringLiteral("An interrupted earlier backfill could not be recovered: %1").arg(recoverError.message), recoverError);
    for (const QString &a : actions + left)
        if (log)
            log(QStringLiteral("-- recover: ") + a);
    recovered = actions; // (what was finished; a journal left alone is not)
    return true;
}

bool BackfillRun::inspect()
{
    // 1. What the server and the hypertable look like, and whether we may change them.
    ServerInspector::Options io;
    io.table = lo.table;
    in = ServerInspector::inspect(db, io);
    if (!in.ok())
        return fail(in.error.kind == DbError::Kind::Unreachable ? CsvLoader::Outcome::ConnectionError : CsvLoader::Outcome::InputError,
                    in.error.message, in.error);
    ht = in.hypertables.first();
    timeDim = ht.timeDimension();
    if (!timeDim)
        return fail(CsvLoader::Outcome::InputError, QStringLiteral("%1 has no time dimension").arg(ht.qualifiedName()));

    pin.version = in.timescaleVersion;
    pin.license = in.license;
    pin.hypertable = ht;
    pin.conflict = lo.conflict;
    pin.overrides = options.overrides;
    pin.currentUser = in.user;
    const PolicyJob *policy = ht.compressionPolicy();
    // The owner's and the job owner's privileges, as the inspection just read them; the rest here.
    if (!exec(QStringLiteral("SELECT has_table_privilege($1::regclass, 'SELECT') AS can_select, "
                             "  has_table_privilege($1::regclass, 'UPDATE') AS can_update, "
                             "  (SELECT string_agg(a || ' (owner: ' || pg_get_userbyid(k.relowner) || ')', ', ') "
                             "     FROM unnest($2::text[]) a JOIN pg_class k ON k.oid = a::regclass "
                             "    WHERE NOT pg_has_role(current_user, k.relowner, 'USAGE')) AS caggs_not_owned, "
                             "  coalesce(current_setting('timescaledb.enable_dml_decompression', true), 'on') <> 'off' AS dml"),
              {db.qualifiedName(ht.schema, ht.name), Database::textArray(ht.continuousAggregates)}, &r, &e,
              QStringLiteral("check privileges")))
        return fail(outcomeOf(e), e.message, e);
    pin.ownsHypertable = ht.ownerPrivileges;
    pin.memberOfJobOwner = !policy || policy->canAlter;
    // (SELECT: the checks read the table; UPDATE: ON CONFLICT … DO UPDATE)
    if (!ht.canInsert)
        pin.missingPrivileges << QStringLiteral("INSERT");
    if (!r.boolValue(0, QStringLiteral("can_select")))
        pin.missingPrivileges << QStringLiteral("SELECT");
    if (lo.conflict == CsvLoader::Conflict::Update && !r.boolValue(0, QStringLiteral("can_update")))
        pin.missingPrivileges << QStringLiteral("UPDATE");
    if (!r.isNull(0, QStringLiteral("caggs_not_owned")))
        pin.aggregatesNotOwned << r.value(0, QStringLiteral("caggs_not_owned"));
    pin.dmlDecompressionEnabled = r.boolValue(0, QStringLiteral("dml"));
    pin.continuousAggregates = ht.continuousAggregates;

    // Privileges are checked before the file is even read: nothing changes if they are missing.
    {
        BackfillPlanner::Input pre = pin;
        const BackfillPlan check = BackfillPlanner::plan(pre);
        if (!check.runnable() && !options.planOnly) {
            res.plan = check;
            res.planned = true;
            return fail(CsvLoader::Outcome::ServerError,
                        QStringLiteral("Nothing was changed: %1.").arg(check.blockers.join(QStringLiteral("; "))));
        }
    }
    // Another backfill into this table, still running (its journal's lock is held): this one
    // would take its paused policy for the user's and meet its rows half-loaded.
    const QStringList running = BackfillEngine::runningBackfills(db, journalDirectory, ht.schema, ht.name);
    if (!running.isEmpty()) {
        const QString sentence = QStringLiteral("another backfill into %1 is running (%2)").arg(ht.qualifiedName(), running.join(QStringLiteral("; ")));
        if (!options.planOnly)
            return fail(CsvLoader::Outcome::ServerError,
                        QStringLiteral("Nothing was changed: %1. Run this one when it has finished.").arg(sentence));
        planNote = QStringLiteral("%1: its rows and its paused policy may change what this plan shows").arg(sentence);
    }
    return true;
}

bool BackfillRun::stageFile()
{
    // 2. Stage the file.
    report(Progress{QStringLiteral("stage"), 0, 0, 0, 0, QString()});
    CsvLoader::Options stageOptions = lo;
    stageOptions.stageOnly = true;
    stageOptions.dryRun = false;
    res.load = CsvLoader(stageOptions).run(db, cancel, [&](const CsvLoader::Progress &p) {
        report(Progress{QStringLiteral("stage"), 0, 0, p.rowsRead, 0, QString()});
    });
    res.secondsStage = timer.restart() / 1000.0;
    if (res.load.outcome != CsvLoader::Outcome::Completed)
        return fail(res.load.outcome, res.load.message, res.load.error);
    stage = res.load.stageTable;
    staged = res.load.rowsRead - res.load.rowsRejected;

    for (int i = 0; i < res.load.mapping.size(); ++i) {
        const QString &col = res.load.mapping.at(i).tableColumn;
        targetCols << db.quoteIdentifier(col);
        stageCols << QStringLiteral("c%1").arg(i);
        if (col == timeDim->column)
            timeStage = stageCols.last();
        if (res.load.conflictKey.contains(col)) {
            keyStage << stageCols.last();
            keyTarget << targetCols.last();
        }
    }
    if (timeStage.isEmpty()) {
        dropStage();
        return fail(CsvLoader::Outcome::InputError,
                    QStringLiteral("no CSV column maps to the time column \"%1\" of %2").arg(timeDim->column, ht.qualifiedName()));
    }
    integerTime = timeDim->isIntegerTime();
    // The chunks' bounds (UTC) meet the staged times in the time column's own kind of time:
    // TimescaleDB places timestamp and date rows as if their times were UTC, so those compare
    // without a zone (the bounds' "+00" is ignored), whatever the session's TimeZone.
    cast = integerTime ? QStringLiteral("bigint")
        : ValueConverter::typeFromCatalog(timeDim->columnType) == ValueConverter::Type::TimestampTz ? QStringLiteral("timestamptz")
                                                                         : QStringLiteral("timestamp");
    return true;
}

bool BackfillRun::readLedgers()
{
    // 3. A re-run of an interrupted backfill skips the ranges that run completed.
    key = runKey(ht.qualifiedName(), serverKey(db), lo.csvPath);
    QDir dir(journalDirectory);
    QHash<QString, QList<QJsonObject>> commits; // range -> its "commit" entries (transaction id, bounds), oldest first
    bool anotherFilesLedger = false;
    const QStringList names = dir.entryList({QStringLiteral("*.recovered")}, QDir::Files, QDir::Name);
    for (const QString &n : std::as_const(names)) {
        QJsonObject header;
        QList<Journal::Entry> entries;
        QString err;
        if (!Journal::read(dir.filePath(n), &header, &entries, &err)) {
            const bool otherBackfill = !header.isEmpty()
                && (!sameServer(header, db) || !sameTarget(header, ht.schema, ht.name)
                    || header.value(QStringLiteral("csv")).toString() != QFileInfo(lo.csvPath).absoluteFilePath());
            if (otherBackfill)
                continue;
            // Which ranges it loaded cannot be known: skipping none could load rows twice.
            dropStage();
            return fail(Outcome::InputError,
                        QStringLiteral("Nothing was changed: cannot read the ledger of an interrupted run of this backfill (%1). "
                                       "Repair it, or delete it to load the whole file again.")
                            .arg(err));
        }
        const bool sameBackfill = sameServer(header, db) && sameTarget(header, ht.schema, ht.name)
            && header.value(QStringLiteral("csv")).toString() == QFileInfo(lo.csvPath).absoluteFilePath();
        const QString oid = header.value(QStringLiteral("table_oid")).toString();
        if (sameBackfill && !oid.isEmpty() && !tableOid().isEmpty() && oid != tableOid()) {
            // The table was dropped and made anew since: none of that run's rows are in it.
            res.load.notes << QStringLiteral("%1 was made anew since an interrupted run of this file: that run's ledger does not apply, "
                                             "and the whole file is loaded.")
                                  .arg(ht.qualifiedName());
            staleLedgers << dir.filePath(n);
            continue;
        }
        if (sameBackfill && lo.conflict == CsvLoader::Conflict::Update
            && header.value(QStringLiteral("conflict")).toString() != CsvLoader::conflictName(CsvLoader::Conflict::Update)) {
            // That run skipped (or stopped at) rows whose key exists; this one must update them,
            // in the ranges it completed too: the whole file loads again, the key updates what
            // that run inserted. The ledger goes when this run succeeds.
            const QString earlierMode = header.value(QStringLiteral("conflict")).toString();
            const bool loadedSome = std::any_of(entries.cbegin(), entries.cend(), [](const Journal::Entry &en) {
                return en.step == QLatin1String("commit") || en.step == QLatin1String("chunk_done")
                    || en.step == QLatin1String("new_rows_done");
            });
            const QString which = earlierMode.isEmpty() ? QStringLiteral("of an earlier version") : QStringLiteral("--on-conflict ") + earlierMode;
            if (loadedSome && nullSafeKey().isEmpty()) {
                // A row with a NULL in the key would be written a second time.
                dropStage();
                return fail(Outcome::InputError,
                            QStringLiteral("Nothing was changed: an interrupted run of this file (%1) loaded rows into %2, and loading "
                                           "them again with --on-conflict update is safe only with a unique key no NULL slips past (NOT NULL columns, or NULLS NOT DISTINCT), "
                                           "which %2 does not have. Finish that run with its own mode first, or delete its ledger %3 "
                                           "after checking its rows.")
                                .arg(which, ht.qualifiedName(), dir.filePath(n)));
            }
            if (loadedSome)
                res.load.notes << QStringLiteral("An interrupted run of this file (%1) may have loaded some chunk ranges; in update mode "
                                                 "all of the file's rows are loaded again, so that rows whose key exists get the file's "
                                                 "values there too.")
                                      .arg(which);
            staleLedgers << dir.filePath(n);
            continue;
        }
        if (!sameTarget(header, ht.schema, ht.name))
            continue; // (the run key has the printed name, which two tables may share)
        if (header.value(QStringLiteral("run_key")).toString() != key) {
            if (!sameBackfill) {
                const QString ledgerOid = header.value(QStringLiteral("table_oid")).toString();
                if (sameServer(header, db) && !anotherFilesLedger && (ledgerOid.isEmpty() || ledgerOid == tableOid())) {
                    // A copy of that file under another name would load that run's ranges again.
                    anotherFilesLedger = true;
                    res.load.notes << QStringLiteral("An interrupted run of another file into %1 (%2) left a ledger of the chunk ranges it "
                                                     "completed. If this file is a copy of that one, run that file instead: only its "
                                                     "re-run skips those ranges; %3")
                                          .arg(ht.qualifiedName(), QDir::toNativeSeparators(header.value(QStringLiteral("csv")).toString()),
                                               std::all_of(ht.uniqueKeys.cbegin(), ht.uniqueKeys.cend(), [](const auto &k) { return k.partial; })
                                                   ? QStringLiteral("%1 has no unique key, so this run would load their rows a second time.")
                                                         .arg(ht.qualifiedName())
                                                   : QStringLiteral("here their rows meet the unique key (skipped, updated or stopping the "
                                                                    "run, as the setting for existing rows says)."));
                }
                continue;
            }
            bool use = true;
            if (!checkEditedLedger(dir.filePath(n), entries, &use))
                return false;
            if (!use) {
                staleLedgers << dir.filePath(n);
                continue;
            }
        }
        ledgers << dir.filePath(n);
        for (const Journal::Entry &en : std::as_const(entries)) {
            const QString range = en.data.value(QStringLiteral("range")).toString();
            if (en.step == QLatin1String("commit")) {
                commits[range] << en.data;
            } else if (en.step == QLatin1String("chunk_done") || en.step == QLatin1String("new_rows_done")) {
                doneRanges.insert(range);
                completedBy.insert(range, en.data);
            }
        }
    }
    // A COMMIT whose answer never arrived (crash, lost connection): the server knows whether that
    // transaction committed. Any committed attempt completes the range; only aborted ones are redone.
    for (auto it = commits.cbegin(); it != commits.cend(); ++it) {
        if (doneRanges.contains(it.key()))
            continue;
        for (const QJsonObject &c : it.value()) {
            const QString xid = c.value(QStringLiteral("xid")).toString();
            QString status;
            for (int wait = 0; wait < 20; ++wait) { // "in progress": the old session may still be committing
                if (!exec(QStringLiteral("SELECT txid_status($1::bigint)"), {xid}, &r, &e, QStringLiteral("check transaction %1").arg(xid))) {
                    dropStage();
                    // "transaction ID … is in the future": a server restored or rebuilt since that run.
                    return fail(outcomeOf(e),
                                QStringLiteral("%1 The server cannot tell whether an interrupted run of this backfill committed chunk "
                                               "range %2. If the server was restored or rebuilt since, that run's ledger does not "
                                               "apply: check the range's rows, then delete %3 to load everything again.")
                                    .arg(e.message, rangeText(it.key()), ledgers.join(QStringLiteral(", "))),
                                e);
                }
                status = r.value(0, 0);
                if (status != QLatin1String("in progress"))
                    break;
                QThread::msleep(500);
            }
            if (status == QLatin1String("committed")) {
                doneRanges.insert(it.key());
                completedBy.insert(it.key(), c);
                if (log)
                    log(QStringLiteral("-- range %1 was committed by the interrupted run (transaction %2)").arg(rangeText(it.key()), xid));
                break;
            }
            if (status != QLatin1String("aborted")) {
                dropStage();
                return fail(Outcome::ServerError,
                            QStringLiteral("Nothing was changed: the server cannot tell whether an interrupted run of this backfill "
                                           "committed chunk range %1 (transaction %2: %3). Check that range's rows, then run "
                                           "backfill-studio-cli recover and delete the ledger files %4 to load everything again.")
                                .arg(rangeText(it.key()), xid, status.isEmpty() ? QStringLiteral("unknown") : status, ledgers.join(QStringLiteral(", "))));
            }
        }
    }
    // Rows that went into new chunks: outside every chunk that existed when that run began.
    if (completedBy.contains(QStringLiteral("new"))) {
        const QJsonObject c = completedBy.value(QStringLiteral("new"));
        const QStringList params{c.value(QStringLiteral("outside_starts")).toString(), c.value(QStringLiteral("outside_ends")).toString()};
        bool skip = true;
        if (!checkCompletedRange(QStringLiteral("new"), QStringLiteral("outside"), params, &skip))
            return false;
        if (skip) {
            skippedRanges.insert(QStringLiteral("new"));
            if (!exec(QStringLiteral("DELETE FROM %1 WHERE %2").arg(stage, boundsWhere(QStringLiteral("outside"), 1)), params, &r, &e,
                      QStringLiteral("skip the rows loaded into new chunks"))) {
                dropStage();
                return fail(outcomeOf(e), e.message, e);
            }
            resumedRows += r.rowsAffected();
        }
    }
    return true;
}

QString BackfillRun::tableOid()
{
    if (tableOidText.isEmpty()) {
        QueryResult o;
        DbError ignored;
        if (exec(QStringLiteral("SELECT $1::regclass::oid::text"), {db.qualifiedName(ht.schema, ht.name)}, &o, &ignored,
                 QStringLiteral("identify the hypertable")))
            tableOidText = o.value(0, 0);
    }
    return tableOidText;
}

QStringList BackfillRun::nullSafeKey()
{
    if (nullSafeKeyKnown)
        return nullSafeKeyColumns;
    nullSafeKeyKnown = true;
    QStringList mapped;
    for (const auto &m : std::as_const(res.load.mapping))
        mapped << m.tableColumn;
    QStringList notNull, nullsNotDistinct;
    QueryResult nn;
    DbError ignored;
    if (exec(QStringLiteral("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnotnull AND attnum > 0 AND NOT attisdropped"),
             {db.qualifiedName(ht.schema, ht.name)}, &nn, &ignored, QStringLiteral("read the NOT NULL columns")))
        for (int i = 0; i < nn.rowCount(); ++i)
            notNull << nn.value(i, 0);
    // (UNIQUE NULLS NOT DISTINCT, PostgreSQL 15+: a NULL cannot slip past it either)
    if (exec(QStringLiteral("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass "
                            "AND coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)"),
             {db.qualifiedName(ht.schema, ht.name)}, &nn, &ignored, QStringLiteral("read the NULLS NOT DISTINCT keys")))
        for (int i = 0; i < nn.rowCount(); ++i)
            nullsNotDistinct << nn.value(i, 0);
    for (const UniqueKey &k : std::as_const(ht.uniqueKeys)) {
        const bool nnd = nullsNotDistinct.contains(k.name);
        const bool safe = std::all_of(k.columns.cbegin(), k.columns.cend(), [&](const QString &c) {
            return !c.isEmpty() && mapped.contains(c) && (nnd || notNull.contains(c));
        });
        if (!k.hasExpression && !k.partial && safe) {
            nullSafeKeyColumns = k.columns;
            break;
        }
    }
    return nullSafeKeyColumns;
}

bool BackfillRun::checkCompletedRange(const QString &range, const QString &kind, const QStringList &params, bool *skip)
{
    *skip = true;
    // The staged rows of the range, under the table's column names, and how many of them the
    // table holds: by a unique key no NULL slips past that the file fills (a row skipped as a
    // duplicate is there too), else by the whole row, counting repeats. Both sides are grouped as
    // row texts and joined (a hash join, whatever the size); the table is read in the time span
    // of the range's staged rows.
    const QStringList aliases = stagedAsTable();
    QStringList mapped;
    for (const auto &m : std::as_const(res.load.mapping))
        mapped << m.tableColumn;
    const QStringList key = nullSafeKey();
    QStringList inStage, inTable;
    for (const QString &c : key.isEmpty() ? mapped : key) {
        inStage << QStringLiteral("s.") + db.quoteIdentifier(c);
        inTable << QStringLiteral("t.") + db.quoteIdentifier(c);
    }
    const QString time = QStringLiteral("t.") + db.quoteIdentifier(timeDim->column);
    QStringList spanParams = params;
    QueryResult span;
    if (!exec(QStringLiteral("SELECT min(%1)::text, max(%1)::text FROM %2 WHERE %3").arg(timeStage, stage, boundsWhere(kind, 1)), params, &span,
              &e, QStringLiteral("find the time span of a range an interrupted run loaded"))) {
        dropStage();
        return fail(outcomeOf(e), e.message, e);
    }
    if (span.isNull(0, 0))
        return true; // none of the file's rows are there now
    spanParams << span.value(0, 0) << span.value(0, 1);
    const QString tableRows = QStringLiteral("FROM %1 t WHERE %2 AND %3 >= $3::%4 AND %3 <= $4::%4")
                                  .arg(db.qualifiedName(ht.schema, ht.name), boundsWhere(kind, 1, time), time, cast);
    // (whether the table has any row in the whole range: a trigger may have moved a row's time)
    const QString anyInRange = QStringLiteral("EXISTS (SELECT 1 FROM %1 t WHERE %2)").arg(db.qualifiedName(ht.schema, ht.name), boundsWhere(kind, 1, time));
    QueryResult counts;
    if (!exec(QStringLiteral("SELECT sum(s.n) AS n, sum(least(s.n, coalesce(t.n, 0))) AS present, %7 AS in_table "
                             "FROM (SELECT ROW(%2)::text AS r, count(*) AS n FROM (SELECT %3 FROM %4 WHERE %5) s GROUP BY 1) s "
                             "LEFT JOIN (SELECT ROW(%6)::text AS r, count(*) AS n %1 GROUP BY 1) t USING (r)")
                  .arg(tableRows, inStage.join(QStringLiteral(", ")), aliases.join(QStringLiteral(", ")), stage, boundsWhere(kind, 1),
                       inTable.join(QStringLiteral(", ")), anyInRange),
              spanParams, &counts, &e, QStringLiteral("check the rows of a range an interrupted run loaded"))) {
        dropStage();
        return fail(outcomeOf(e), e.message, e);
    }
    const qint64 n = counts.intValue(0, QStringLiteral("n")), present = counts.intValue(0, QStringLiteral("present"));
    const QJsonObject done = completedBy.value(range);
    // What that run inserted there (duplicates it skipped are there by their key anyway; rows a
    // trigger dropped are not).
    const qint64 expected = done.contains(QStringLiteral("inserted")) ? qint64(done.value(QStringLiteral("inserted")).toDouble()) : n;
    if (present >= expected)
        return true;
    if (!counts.boolValue(0, QStringLiteral("in_table"))) {
        // Nothing of the table is left in that span (deleted, or the table made anew): loading
        // the range again cannot write a row twice.
        *skip = false;
        doneRanges.remove(range);
        completedBy.remove(range);
        res.load.notes << QStringLiteral("An interrupted run of this backfill recorded %1 as loaded, but %2 holds no rows there now: "
                                         "the range is loaded again.")
                              .arg(rangeText(range), ht.qualifiedName());
        return true;
    }
    dropStage();
    return fail(Outcome::InputError,
                QStringLiteral("Nothing was changed: an interrupted run of this backfill recorded %1 as loaded, but only %2 of the %3 rows "
                               "it loaded from the file are in %4 as the file has them now (rows deleted or changed since, or the "
                               "file read otherwise). Loading the range again could write rows twice, skipping it could leave some "
                               "out. Check the range's rows, then delete the ledger %5 to load the whole file again.")
                    .arg(rangeText(range)).arg(present).arg(expected).arg(ht.qualifiedName(), ledgers.join(QStringLiteral(", "))));
}

bool BackfillRun::startJournal()
{
    // 6. The journal comes first: from here on, every state change is written down before it happens.
    {
        QJsonObject h;
        h[QStringLiteral("run_key")] = key;
        h[QStringLiteral("server")] = serverId(db);
        h[QStringLiteral("system")] = db.serverIdentity();
        h[QStringLiteral("target")] = ht.qualifiedName(); // (for people; matched by the two below)
        h[QStringLiteral("target_schema")] = ht.schema;
        h[QStringLiteral("target_name")] = ht.name;
        h[QStringLiteral("csv")] = QFileInfo(lo.csvPath).absoluteFilePath();
        h[QStringLiteral("timescaledb")] = in.timescaleVersion.text;
        h[QStringLiteral("conflict")] = CsvLoader::conflictName(lo.conflict); // (a re-run in update mode needs it)
        h[QStringLiteral("table_oid")] = tableOid(); // (a table made anew since has another)
        QJsonArray chunks;
        for (const ChunkInfo &c : ht.chunks)
            if (c.isCompressed()) {
                QJsonObject o;
                o[QStringLiteral("chunk")] = c.qualifiedName();
                o[QStringLiteral("state")] = ChunkInfo::stateName(c.state);
                chunks << o;
            }
        h[QStringLiteral("compressed_before")] = chunks;
        if ((sum.minTime.isValid() || integerTime) && res.plan.compressNewChunks) {
            if (integerTime) {
                h[QStringLiteral("min_integer")] = QString::number(sum.minInteger);
                h[QStringLiteral("max_integer")] = QString::number(sum.maxInteger);
            } else {
                h[QStringLiteral("min_time")] = isoUtc(sum.minTime);
                h[QStringLiteral("max_time")] = isoUtc(sum.maxTime);
            }
            h[QStringLiteral("compress_after")] = res.plan.compressAfter;
            QJsonArray before;
            for (const ChunkInfo &c : std::as_const(ht.chunks))
                before << c.qualifiedName();
            h[QStringLiteral("chunks_before")] = before;
            h[QStringLiteral("hypertable_schema")] = ht.schema;
            h[QStringLiteral("hypertable_name")] = ht.name;
        }
        // The continuous aggregates to refresh over the backfilled range, for recover.
        if (!res.plan.continuousAggregates.isEmpty() && sum.stagedRows > 0 && (integerTime || sum.minTime.isValid())) {
            h[QStringLiteral("caggs")] = QJsonArray::fromStringList(res.plan.continuousAggregates);
            h[QStringLiteral("cagg_window")] = QJsonArray::fromStringList(BackfillPlan::caggRefreshWindow(sum));
        }
        QString err;
        if (!journal.create(journalDirectory, h, &err)) {
            dropStage();
            return fail(CsvLoader::Outcome::InputError, err);
        }
        // Once more, now that this run's own lock is there: another backfill into the table that
        // started while this one read the file.
        const QStringList running = BackfillEngine::runningBackfills(db, journalDirectory, ht.schema, ht.name, journal.path());
        if (!running.isEmpty()) {
            journal.finish();
            dropStage();
            return fail(CsvLoader::Outcome::ServerError,
                        QStringLiteral("Nothing was changed: another backfill into %1 is running (%2). Run this one when it has finished.")
                            .arg(ht.qualifiedName(), running.join(QStringLiteral("; "))));
        }
        res.journalPath = journal.path();
    }
    return true;
}

} // namespace bfs
