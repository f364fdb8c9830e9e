// The phases of a backfill run that change the server: pause the policy, move the rows chunk
// range by chunk range, put compression and the policy back, reconcile and report.
#include "BackfillRun.h"

#include "Journal.h"
#include "LockHolders.h"

#include <QFile>
#include <QJsonArray>
#include <QThread>

#include <algorithm>

namespace bfs {

using Outcome = CsvLoader::Outcome;
using namespace detail;

void BackfillRun::pausePolicy()
{
    // 7. Pause the policy.
    if (res.plan.pausePolicy) {
        res.policyJob = res.plan.policy.jobId;
        QJsonObject o;
        o[QStringLiteral("job_id")] = res.plan.policy.jobId;
        o[QStringLiteral("was_scheduled")] = true;
        if (!journal.write(QStringLiteral("policy_pause"), o)) {
            stopWith(Outcome::ServerError, QStringLiteral("Cannot write the journal %1: nothing was changed.").arg(journal.path()));
            return;
        }
        if (exec(QStringLiteral("SELECT alter_job($1::integer, scheduled => false)"), {QString::number(res.plan.policy.jobId)}, nullptr, &e,
                 QStringLiteral("pause compression policy job %1").arg(res.plan.policy.jobId))) {
            res.policyPaused = true;
            journal.write(QStringLiteral("policy_paused"), o);
        } else {
            // Without an answer the server may have paused it: resuming is harmless, so do it.
            res.policyPaused = e.kind == DbError::Kind::Unreachable;
            stopWith(outcomeOf(e), e.message, e);
        }
    } else if (res.plan.hasPolicy) {
        res.policyJob = res.plan.policy.jobId;
    }
    for (const QString &setting : std::as_const(res.plan.sessionSettings))
        if (!failed && !exec(setting, {}, nullptr, &e, QStringLiteral("session settings")))
            stopWith(outcomeOf(e), e.message, e);
}

// Every range runs the same INSERT with its own bounds: parsed once per connection. The
// name is the run's own (a single-session server keeps prepared statements across clients).
bool BackfillRun::prepareRepeated(const QString &sql, DbError *err, const QString &ctx)
{
    if (sql == preparedSql)
        return true;
    if (!preparedSql.isEmpty())
        db.deallocate(movePlan);
    preparedSql.clear();
    const QString shown = QStringLiteral("PREPARE %1 AS %2").arg(movePlan, sql);
    res.statements << shown;
    if (log)
        log(shown);
    if (!db.prepare(movePlan, sql, err, ctx))
        return false;
    preparedSql = sql;
    return true;
}

// Statements that go to the server together (one round trip), e.g. a chunk range's; each is
// logged as it would be typed in psql.
bool BackfillRun::execTogether(const QList<Database::Statement> &statements, QList<QueryResult> *out, DbError *err, int *failedAt)
{
    for (const Database::Statement &st : statements) {
        QString shown = st.sql;
        if (!st.prepared.isEmpty()) {
            QStringList literals;
            for (const QString &p : st.params)
                literals << QLatin1Char('\'') + QString(p).replace(QLatin1Char('\''), QStringLiteral("''")) + QLatin1Char('\'');
            shown = QStringLiteral("EXECUTE %1(%2)").arg(st.prepared, literals.join(QStringLiteral(", ")));
        }
        res.statements << shown;
        if (log)
            log(shown);
    }
    return db.execPipeline(statements, out, err, failedAt);
}

bool BackfillRun::runRange(const RangeGroup *g)
{
    ++index;
    const QString label = g ? g->steps.value(0).chunk.name : QStringLiteral("new chunks");
    report(Progress{QStringLiteral("move"), index, total, moved, staged, label});
    if (cancelled()) {
        if (!commitPending()) // the range before is complete: it commits
            return false;
        e = DbError();
        e.kind = DbError::Kind::Cancelled;
        return false;
    }
    QJsonObject o;
    QJsonArray names;
    if (g)
        for (const auto &s : g->steps)
            names << s.chunk.qualifiedName();
    o[QStringLiteral("chunks")] = names;
    o[QStringLiteral("range")] = g ? g->key() : QStringLiteral("new");
    o[QStringLiteral("decompress")] = g && g->decompress();
    QStringList params;
    CsvLoader::InsertSpec rs = spec;
    if (g) {
        rs.where = rangeWhere(g->range, &params);
    } else {
        rs.where = outsideWhere(&params);
        o[QStringLiteral("outside_starts")] = params.value(0);
        o[QStringLiteral("outside_ends")] = params.value(1);
    }
    journal.write(g ? QStringLiteral("chunk_begin") : QStringLiteral("new_rows_begin"), o, Journal::Sync::Later);
    // The previous range's COMMIT, then BEGIN, decompress, insert, compress: sent together,
    // answered in order; the server skips everything after an error.
    QList<Database::Statement> batch;
    QStringList chunkOf; // the chunk each statement works on, for messages
    const bool withCommit = pending.open;
    if (withCommit) {
        batch << Database::Statement{QStringLiteral("COMMIT"), {}, QString(), QStringLiteral("commit %1").arg(pending.chunk)};
        chunkOf << pending.chunk;
    }
    batch << Database::Statement{QStringLiteral("BEGIN"), {}, QString(), QStringLiteral("begin")};
    chunkOf << label;
    if (g) {
        for (const auto &s : g->steps) {
            if (s.chunk.isCompressed())
                touchedCompressed.insert(s.chunk.qualifiedName());
            if (s.action == BackfillPlan::Action::DecompressInsertRecompress) {
                batch << Database::Statement{QStringLiteral("SELECT decompress_chunk($1::regclass, true)"), {s.chunk.qualifiedName()},
                                             QString(), QStringLiteral("decompress %1").arg(s.chunk.qualifiedName())};
                chunkOf << s.chunk.qualifiedName();
            }
        }
    }
    // Rows that TimescaleDB compresses as they are inserted (2.23+, see the plan).
    if (g && std::all_of(g->steps.cbegin(), g->steps.cend(), [](const BackfillPlan::ChunkStep &s) { return s.directCompress; })) {
        batch << Database::Statement{QStringLiteral("SET LOCAL timescaledb.enable_direct_compress_insert = on"), {}, QString(),
                                     QStringLiteral("compress the rows as they are inserted")};
        chunkOf << label;
    }
    // The insert's rows written come from its command tag (under direct compression TimescaleDB's
    // RETURNING stays empty). Then the transaction id, which goes into the journal before COMMIT:
    // if the answer to COMMIT is lost, the next run asks the server (txid_status) whether this
    // range committed.
    const QString sql = CsvLoader::insertStatement(rs);
    const QString insertTarget = g ? g->steps.value(0).chunk.qualifiedName() : label;
    const int insertAt = int(batch.size());
    batch << Database::Statement{sql, params, g ? movePlan : QString(), QStringLiteral("insert into %1").arg(insertTarget)};
    chunkOf << insertTarget;
    // The transaction id comes with the first compress_chunk after the rows (one statement less
    // per range), or on its own.
    int xidAt = -1;
    if (g) {
        // Compressed again in the same transaction: the chunk is never left decompressed.
        for (const auto &s : g->steps) {
            if (res.plan.recompressInTransaction(s)) {
                const bool withXid = xidAt < 0 && !s.directCompress; // (compressIfPartialSql may answer no row)
                if (withXid)
                    xidAt = int(batch.size());
                batch << Database::Statement{s.directCompress ? BackfillPlan::ChunkStep::compressIfPartialSql()
                                             : withXid        ? QStringLiteral("SELECT compress_chunk($1::regclass, true), txid_current() AS xid")
                                                              : QStringLiteral("SELECT compress_chunk($1::regclass, true)"),
                                             {s.chunk.qualifiedName()}, QString(), QStringLiteral("compress %1").arg(s.chunk.qualifiedName())};
                chunkOf << s.chunk.qualifiedName();
            }
        }
    }
    if (xidAt < 0) {
        xidAt = int(batch.size());
        batch << Database::Statement{QStringLiteral("SELECT txid_current() AS xid"), {}, QString(), QStringLiteral("transaction id")};
        chunkOf << insertTarget;
    }
    QList<QueryResult> answers;
    int failedAt = -1;
    bool ok = !g || prepareRepeated(sql, &e, batch.at(insertAt).context);
    ok = ok && execTogether(batch, &answers, &e, &failedAt);
    if (withCommit) {
        if (!answers.isEmpty()) {
            // The previous range committed, whatever happened to this one.
            Journal::crashIfAt(QStringLiteral("after_commit"));
            completePending();
        } else {
            // Its COMMIT failed, was never answered, or never left: this range did not start.
            commitUnknown = failedAt <= 0 && e.kind == DbError::Kind::Unreachable;
            const QString chunk = pending.chunk;
            const RangeGroup *previous = pending.group;
            pending.open = false;
            return failRange(previous, chunk);
        }
    }
    if (!ok)
        return failRange(g, chunkOf.value(failedAt, insertTarget));
    if (cancelled()) {
        // The cancel came while the range's statements ran and the server finished them anyway
        // (it had no time to act on the cancel request): the range in flight is rolled back.
        e = DbError();
        e.kind = DbError::Kind::Cancelled;
        return failRange(g, insertTarget);
    }
    o[QStringLiteral("xid")] = answers.value(xidAt).value(0, QStringLiteral("xid"));
    o[QStringLiteral("inserted")] = double(answers.value(insertAt).rowsAffected()); // what a re-run counts as loaded before
    if (!journal.write(QStringLiteral("commit"), o)) {
        // Without the transaction id on disk a lost COMMIT answer could load the range twice.
        e = DbError();
        e.message = QStringLiteral("Cannot write the journal %1: %2 was rolled back.").arg(journal.path(), insertTarget);
        return failRange(g, insertTarget);
    }
    pending = PendingRange{true, g, o, insertTarget, answers.value(insertAt).rowsAffected()};
    return true;
}

// The last range's COMMIT, or the one before a cancel.
bool BackfillRun::commitPending()
{
    if (!pending.open)
        return true;
    if (exec(QStringLiteral("COMMIT"), {}, nullptr, &e, QStringLiteral("commit %1").arg(pending.chunk))) {
        Journal::crashIfAt(QStringLiteral("after_commit"));
        completePending();
        return true;
    }
    commitUnknown = e.kind == DbError::Kind::Unreachable;
    pending.open = false;
    return failRange(pending.group, pending.chunk);
}

void BackfillRun::completePending()
{
    const RangeGroup *g = pending.group;
    const qint64 rows = g ? g->rows : sum.rowsOutsideChunks;
    moved += rows;
    written += pending.inserted;
    ++completedRanges;
    {
        QStringList params;
        const QString kind = g ? QStringLiteral("range") : QStringLiteral("outside");
        if (g)
            rangeWhere(g->range, &params);
        else
            outsideWhere(&params);
        completedBounds << QJsonObject{{QStringLiteral("range"), g ? g->key() : QStringLiteral("new")}, {QStringLiteral("kind"), kind},
                                       {QStringLiteral("params"), QJsonArray::fromStringList(params)}};
    }
    if (g) {
        for (const auto &s : g->steps) {
            // The range's INSERT wrote pending.inserted rows in all. A chunk that takes every row
            // of its range got them all; one that takes none, none; without a unique key every row
            // is written; otherwise (space partitions and a key) the split is not known.
            const qint64 inserted = partitionSplitUnknown ? -1
                : s.rows == rows                              ? pending.inserted
                : (s.rows == 0 || ht.uniqueKeys.isEmpty())    ? s.rows
                                                              : -1;
            res.chunks << ChunkResult{s.chunk.qualifiedName(), BackfillPlan::actionName(s.action), s.rows, inserted, s.chunk.isCompressed(),
                                      false};
        }
    } else {
        res.newChunkRows = rows;
    }
    pending.entry[QStringLiteral("rows")] = double(rows);
    pending.entry[QStringLiteral("inserted")] = double(pending.inserted);
    journal.write(g ? QStringLiteral("chunk_done") : QStringLiteral("new_rows_done"), pending.entry, Journal::Sync::Later);
    pending.open = false;
}

// Ends the open transaction after a failure in range g and names what stopped it.
bool BackfillRun::failRange(const RangeGroup *g, const QString &failing)
{
    DbError ignored;
    if (db.isOpen())
        db.execScript(QStringLiteral("ROLLBACK"), &ignored);
    if (e.sqlState == QLatin1String("55P03")) {
        // Name the chunk and who holds it.
        QStringList relations{failing, spec.target};
        if (g)
            for (const auto &st : g->steps)
                relations << st.chunk.qualifiedName();
        const QString holder = describeLockHolders(db, relations);
        const QString by = holder.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(holder);
        e.message = g ? QStringLiteral("Chunk %1 is locked by another session%2; lock_timeout expired. The chunk was not changed.")
                            .arg(failing, by)
                      : QStringLiteral("Hypertable %1 is locked by another session%2; lock_timeout expired. No new chunk was created.")
                            .arg(spec.target, by);
    } else if (e.sqlState == QLatin1String("23505") && lo.conflict != CsvLoader::Conflict::Skip) {
        // (skip: ON CONFLICT DO NOTHING met a deferred key at COMMIT; the server's words stand)
        e.message = duplicateKeyMessage(g, failing);
    } else if (e.sqlState == QLatin1String("23514")) {
        e.message = checkViolationMessage(g, failing);
    }
    return false;
}

// A CHECK constraint refused a row: the server names the chunk's copy of it; the message names
// the file's line, the constraint and what it checks.
QString BackfillRun::checkViolationMessage(const RangeGroup *g, const QString &failing)
{
    const QString constraint = e.constraint;
    QString where = lo.csvPath;
    QString expr;
    QStringList params;
    const QString range = g ? rangeWhere(g->range, &params) : outsideWhere(&params);
    const QString line = CsvLoader::firstLineBreakingCheck(db, stage, db.qualifiedName(ht.schema, ht.name), res.load.mapping, constraint,
                                                           range, params, &expr);
    if (!line.isEmpty())
        where += QStringLiteral(", line %1").arg(line);
    return QStringLiteral("%1: the row breaks CHECK constraint %2 of %3%4, so %5 rolled back. Fix the row and run the same "
                          "backfill again.")
        .arg(where, constraint.isEmpty() ? QStringLiteral("(unnamed)") : constraint, ht.qualifiedName(),
             expr.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(expr),
             g ? QStringLiteral("chunk %1 was").arg(failing) : QStringLiteral("the rows for new chunks were"));
}

// A unique key met twice: the server names a chunk's copy of the constraint (and, inserting into
// compressed chunks, no key values), so the message finds the key and the file's first line that
// meets it, in the table or on an earlier line.
QString BackfillRun::duplicateKeyMessage(const RangeGroup *g, const QString &failing)
{
    const QString constraint = e.constraint.isEmpty() ? e.server.section(QLatin1Char('"'), 1, 1) : e.constraint;
    const UniqueKey *key = nullptr;
    for (const UniqueKey &uk : std::as_const(ht.uniqueKeys))
        if (!key || (!uk.name.isEmpty() && constraint.endsWith(uk.name)))
            key = &uk;
    QString where = lo.csvPath;
    QString keyText;
    if (key && db.isOpen()) {
        const auto stageColumn = [this](const QString &c) { return stageColumnOf(c); };
        const CsvLoader::StagedKey staged = CsvLoader::stagedKey(db, key->columns, stageColumn);
        // (an update: the row with the same key it matches on is the one it updates)
        const CsvLoader::StagedKey updated = lo.conflict == CsvLoader::Conflict::Update && key->columns != res.load.conflictKey
            ? CsvLoader::stagedKey(db, res.load.conflictKey, stageColumn)
            : CsvLoader::StagedKey();
        QStringList params;
        const QString range = g ? rangeWhere(g->range, &params) : outsideWhere(&params);
        QueryResult r;
        DbError ignored;
        if (!staged.isEmpty() && db.exec(CsvLoader::firstRepeatSql(stage, spec.target, staged, range, updated), params, &r, &ignored)
            && !r.value(0, 0).isEmpty())
            where += QStringLiteral(", line %1").arg(r.value(0, 0));
        keyText = QStringLiteral(" (%1)").arg(key->columns.join(QStringLiteral(", ")));
    }
    const QString rolledBack = g ? QStringLiteral("chunk %1 was").arg(failing) : QStringLiteral("the rows for new chunks were");
    if (lo.conflict == CsvLoader::Conflict::Update)
        // ON CONFLICT (…) DO UPDATE matches one key; this row met another one.
        return QStringLiteral("%1: the row's key%2 already exists in %3 or on an earlier line of the file, and it is not the key "
                              "the update matches on (%4), so %5 rolled back. Fix the row or load it with --on-conflict skip.")
            .arg(where, keyText, ht.qualifiedName(), res.load.conflictKey.join(QStringLiteral(", ")), rolledBack);
    return QStringLiteral("%1: the row's key%2 already exists in %3 or on an earlier line of the file, so %4 rolled back. "
                          "Use --on-conflict skip or update.")
        .arg(where, keyText, ht.qualifiedName(), rolledBack);
}

void BackfillRun::moveRows()
{
    // 8. Move the rows, one transaction per chunk range.
    spec.target = db.qualifiedName(ht.schema, ht.name);
    spec.targetColumns = targetCols;
    spec.stage = stage;
    spec.stageColumns = stageCols;
    spec.conflict = lo.conflict;
    spec.keyStageColumns = keyStage;
    spec.keyTargetColumns = keyTarget;
    spec.keyNullsNotDistinct = res.load.conflictKeyNullsNotDistinct;
    total = int(ordered.size()) + (sum.rowsOutsideChunks > 0 ? 1 : 0);
    QElapsedTimer moveTimer;
    moveTimer.start();
    if (std::any_of(res.plan.chunks.cbegin(), res.plan.chunks.cend(), [](const BackfillPlan::ChunkStep &s) { return s.directCompress; })) {
        // TimescaleDB compresses inserted rows directly only where the planner expects at least 10
        // of them: give it the staged rows' statistics (without them it falls back to row by row).
        DbError ignored;
        exec(QStringLiteral("ANALYZE %1").arg(stage), {}, nullptr, &ignored, QStringLiteral("analyze the staged rows"));
    }
    movePlan = stage + QStringLiteral("_insert");
    // A cancel lets the range in flight commit: its rows are complete.
    const auto stopForCancel = [this] {
        if (commitPending())
            stopWith(CsvLoader::Outcome::Cancelled, QString());
        else
            stopWith(outcomeOf(e), e.message, e);
    };
    for (const RangeGroup &g : std::as_const(ordered)) {
        if (failed)
            break;
        if (cancelled()) {
            stopForCancel();
            break;
        }
        if (!runRange(&g))
            stopWith(outcomeOf(e), e.message, e);
    }
    if (!failed && sum.rowsOutsideChunks > 0) {
        if (cancelled())
            stopForCancel();
        else if (!runRange(nullptr))
            stopWith(outcomeOf(e), e.message, e);
    }
    if (!failed && !commitPending())
        stopWith(outcomeOf(e), e.message, e);
    res.secondsMove = moveTimer.elapsed() / 1000.0;
    if (!preparedSql.isEmpty())
        db.deallocate(movePlan);
}

void BackfillRun::putBack()
{
    // 9. In every outcome: put compression back, resume the policy. No cancel request may stop
    // that (a cancel only skips compressing new chunks, below).
    db.setCancelRequestsAllowed(false);
    if (!db.isOpen())
        reconnect();
    report(Progress{QStringLiteral("recompress"), index, total, moved, staged, QString()});
    QElapsedTimer rt;
    rt.start();
    cleanupOk = db.isOpen();
    const bool recompress = res.plan.recompressNow || failed;
    if (cleanupOk && recompress && !touchedCompressed.isEmpty()) {
        // One look at every touched chunk's state; compress those not fully compressed.
        const QStringList touched(touchedCompressed.cbegin(), touchedCompressed.cend());
        QSet<QString> needs(touchedCompressed);
        QSet<QString> partialOnly;
        if (execCleanup(QStringLiteral("SELECT format('%I.%I', c.chunk_schema, c.chunk_name) AS chunk, c.is_compressed, %1 AS status "
                                       "FROM timescaledb_information.chunks c WHERE format('%I.%I', c.chunk_schema, c.chunk_name) = ANY ($1::text[])")
                            .arg(in.timescaleVersion.atLeast(2, 12)
                                     ? QStringLiteral("_timescaledb_functions.chunk_status(format('%I.%I', c.chunk_schema, c.chunk_name)::regclass)")
                                     : QStringLiteral("NULL::int")),
                        {Database::textArray(touched)}, &r, QStringLiteral("check the touched chunks"))) {
            for (int i = 0; i < r.rowCount(); ++i) {
                const QString chunk = r.value(i, QStringLiteral("chunk"));
                const bool compressed = r.boolValue(i, QStringLiteral("is_compressed"));
                const int status = int(r.intValue(i, QStringLiteral("status"), -1));
                const bool partial = status >= 0 && (status & 8);
                if (compressed && !partial)
                    needs.remove(chunk);
                else if (compressed)
                    partialOnly.insert(chunk);
            }
        } // unknown state: compressing again is safe (if_not_compressed => true)
        QStringList ordered(needs.cbegin(), needs.cend());
        ordered.sort();
        for (const QString &chunk : std::as_const(ordered)) {
            QJsonObject o;
            o[QStringLiteral("chunk")] = chunk;
            journal.write(QStringLiteral("recompress"), o);
            bool ok;
            if (!partialOnly.contains(chunk) || !res.plan.useRecompressProcedure)
                ok = execCleanup(QStringLiteral("SELECT compress_chunk($1::regclass, true)"), {chunk}, nullptr, QStringLiteral("compress %1").arg(chunk));
            else
                ok = execCleanup(QStringLiteral("CALL recompress_chunk($1::regclass, if_not_compressed => true)"), {chunk}, nullptr, QStringLiteral("recompress %1").arg(chunk));
            if (!ok && cancelled() && partialOnly.contains(chunk) && res.plan.useRecompressProcedure)
                // Before 2.14 recompress_chunk decompresses, commits, then compresses: a cancel
                // request that stopped it in between left the chunk uncompressed.
                ok = execCleanup(QStringLiteral("SELECT compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass, true) "
                                                "FROM timescaledb_information.chunks WHERE format('%I.%I', chunk_schema, chunk_name) = $1 "
                                                "AND NOT is_compressed"),
                                 {chunk}, nullptr, QStringLiteral("compress %1").arg(chunk));
            if (!ok) {
                cleanupOk = false;
                if (!failed)
                    stopWith(outcomeOf(e), e.message, e);
            } else {
                journal.write(QStringLiteral("recompressed"), o);
            }
        }
    }
    if (cleanupOk && res.plan.compressNewChunks && !res.plan.compressAfter.isEmpty() && (integerTime || sum.minTime.isValid())) {
        // Chunks of the backfilled range that the policy would compress now, as run_job would.
        // The one step a cancel may stop (a cancel request too): the rows are in, and chunks
        // left uncompressed are the policy's to compress.
        int newChunks = 0;
        const ChunkGate next = [&](int i, int n, const QString &chunk) {
            newChunks = n;
            if (cancelled())
                return false;
            report(Progress{QStringLiteral("compress_new"), i, n, moved, staged, chunk});
            res.statements << QStringLiteral("SELECT compress_chunk($1::regclass, true)");
            if (log)
                log(res.statements.constLast());
            return true;
        };
        QStringList actions;
        QJsonObject o;
        o[QStringLiteral("from")] = integerTime ? QString::number(sum.minInteger) : isoUtc(sum.minTime);
        o[QStringLiteral("to")] = integerTime ? QString::number(sum.maxInteger) : isoUtc(sum.maxTime);
        journal.write(QStringLiteral("compress_new"), o);
        QStringList chunksBefore;
        for (const ChunkInfo &c : std::as_const(ht.chunks))
            chunksBefore << c.qualifiedName();
        auto compressNew = [&] {
            return integerTime ? compressPolicyRangeInteger(db, ht.schema, ht.name, res.plan.compressAfter, sum.minInteger, sum.maxInteger,
                                                            chunksBefore, &actions, &e, next)
                               : compressPolicyRange(db, ht.schema, ht.name, res.plan.compressAfter, sum.minTime, sum.maxTime, chunksBefore,
                                                     &actions, &e, next);
        };
        // After a cancel the chunks are only listed, to say which are left.
        const bool cancelledBefore = cancelled();
        db.setCancelRequestsAllowed(!cancelledBefore);
        bool ok = compressNew();
        if (!ok && e.kind == DbError::Kind::Unreachable && reconnect())
            ok = compressNew();
        db.setCancelRequestsAllowed(false);
        QSet<QString> compressed; // (the names, once: a retry after a reconnect may list one again)
        const QLatin1String done("compressed new chunk ");
        for (const QString &a : std::as_const(actions))
            if (a.startsWith(done))
                compressed.insert(a.mid(done.size()));
        for (const QString &chunk : std::as_const(compressed))
            res.newChunks << ChunkResult{chunk, QStringLiteral("new chunk"), 0, -1, false, true};
        if (cancelled()) {
            // The first failure a cancel request's: that chunk stays as it was, uncompressed.
            const bool listed = ok || newChunks > 0;
            ok = ok || e.sqlState == QLatin1String("57014");
            if (!listed)
                res.load.notes << QStringLiteral("Cancelled before the new chunks were compressed: the compression policy compresses them.");
            else if (newChunks > compressed.size())
                res.load.notes << (cancelledBefore
                                       ? QStringLiteral("Cancelled before the new chunks were compressed: the compression policy "
                                                        "compresses all %1 of them.").arg(newChunks)
                                       : QStringLiteral("Cancelled while compressing the new chunks: %1 of %2 compressed; the "
                                                        "compression policy compresses the others.").arg(compressed.size()).arg(newChunks));
        }
        if (!ok) {
            cleanupOk = false;
            if (!failed)
                stopWith(outcomeOf(e), QStringLiteral("The rows were loaded, but compressing the new chunks failed: %1").arg(e.message), e);
        }
        for (const QString &a : std::as_const(actions))
            if (log)
                log(QStringLiteral("-- ") + a);
    }
    res.secondsRecompress = rt.elapsed() / 1000.0;
    report(Progress{QStringLiteral("restore"), index, total, moved, staged, QString()});
    if (res.policyPaused) {
        QJsonObject o;
        o[QStringLiteral("job_id")] = res.policyJob;
        journal.write(QStringLiteral("policy_resume"), o);
        bool ok = false;
        for (int attempt = 0; attempt < 3 && !ok; ++attempt) {
            if (!db.isOpen())
                reconnect();
            ok = db.isOpen() && execCleanup(QStringLiteral("SELECT alter_job($1::integer, scheduled => true)"), {QString::number(res.policyJob)},
                                            nullptr, QStringLiteral("resume compression policy job %1").arg(res.policyJob));
            if (!ok)
                QThread::msleep(300 << attempt);
        }
        res.policyRestored = ok;
        cleanupOk = cleanupOk && ok;
        if (ok)
            journal.write(QStringLiteral("policy_resumed"), o);
        else if (!failed)
            stopWith(outcomeOf(e), QStringLiteral("The rows were loaded, but resuming compression policy job %1 failed: %2")
                                       .arg(QString::number(res.policyJob), e.message),
                     e);
    }
    // Also after an error or a cancel when ranges were committed: those rows stay, and the
    // aggregates must show them (the staged window covers them; refreshing more is harmless).
    if (cleanupOk && (!failed || completedRanges > 0 || commitUnknown) && !res.plan.continuousAggregates.isEmpty() && sum.stagedRows > 0) {
        if (integerTime) // "now" again: an integer_now function such as max(time) has moved with the rows
            if (const std::optional<qint64> now = integerNow())
                sum.integerNow = qMax(sum.integerNow.value_or(*now), *now);
        const QStringList window = BackfillPlan::caggRefreshWindow(sum);
        const DbError stopped = e; // after a failure, the error that stopped the run stays the one reported
        for (const QString &cagg : std::as_const(res.plan.continuousAggregates)) {
            if (!execCleanup(QStringLiteral("CALL refresh_continuous_aggregate($1::regclass, %1, %2)").arg(window.at(0), window.at(1)),
                             {cagg}, nullptr, QStringLiteral("refresh %1").arg(cagg))) {
                if (!failed)
                    stopWith(outcomeOf(e), QStringLiteral("The rows were loaded, but refreshing continuous aggregate %1 failed: %2").arg(cagg, e.message), e);
                break;
            }
            res.aggregatesRefreshed << cagg;
        }
        if (failed)
            e = stopped;
    }
}

void BackfillRun::reconcile()
{
    // 10. Reconcile, and leave the session as it was.
    if (db.isOpen() && !res.chunks.isEmpty()) {
        // One look at the state of every chunk the run touched.
        QStringList names;
        for (const ChunkResult &c : std::as_const(res.chunks))
            names << c.name;
        const QString name = QStringLiteral("format('%I.%I', chunk_schema, chunk_name)");
        if (execCleanup(QStringLiteral("SELECT %1 AS chunk, is_compressed AND coalesce(%2 & 8 = 0, true) AS compressed "
                                       "FROM timescaledb_information.chunks WHERE %1 = ANY ($1::text[])")
                            .arg(name, in.timescaleVersion.atLeast(2, 12)
                                           ? QStringLiteral("_timescaledb_functions.chunk_status(%1::regclass)").arg(name)
                                           : QStringLiteral("NULL::int")),
                        {Database::textArray(names)}, &r, QStringLiteral("check the chunks after the run"))) {
            QHash<QString, bool> after;
            for (int i = 0; i < r.rowCount(); ++i)
                after.insert(r.value(i, QStringLiteral("chunk")), r.boolValue(i, QStringLiteral("compressed")));
            for (ChunkResult &c : res.chunks)
                c.compressedAfter = after.value(c.name, false);
        }
    }
    // The compression of the chunks the run compressed whole (decompressed ones, new ones): a
    // chunk compressed again in place keeps the sizes TimescaleDB measured before the backfill.
    // (The sizes are a report: failing to read them changes nothing.)
    QList<ChunkResult *> whole;
    for (ChunkResult &c : res.chunks)
        if (c.compressedAfter && c.action == BackfillPlan::actionName(BackfillPlan::Action::DecompressInsertRecompress))
            whole << &c;
    for (ChunkResult &c : res.newChunks)
        whole << &c;
    if (db.isOpen() && !whole.isEmpty()) {
        QueryResult sizes;
        DbError ignored;
        if (exec(QStringLiteral("SELECT format('%I.%I', chunk_schema, chunk_name) AS chunk, before_compression_total_bytes AS before, "
                                   "after_compression_total_bytes AS after FROM chunk_compression_stats($1::regclass) "
                                   "WHERE compression_status = 'Compressed'"),
                    {db.qualifiedName(ht.schema, ht.name)}, &sizes, &ignored, QStringLiteral("read the chunks' compression"))) {
            QHash<QString, int> row;
            for (int i = 0; i < sizes.rowCount(); ++i)
                row.insert(sizes.value(i, QStringLiteral("chunk")), i);
            for (ChunkResult *c : std::as_const(whole)) {
                const auto it = row.constFind(c->name);
                if (it != row.constEnd()) {
                    c->bytesBefore = sizes.intValue(*it, QStringLiteral("before"), -1);
                    c->bytesAfter = sizes.intValue(*it, QStringLiteral("after"), -1);
                }
            }
        }
    }
    if (db.isOpen()) {
        DbError ignored;
        db.execScript(QStringLiteral("RESET lock_timeout; RESET timescaledb.max_tuples_decompressed_per_dml_transaction"), &ignored);
    }
    recordFingerprints();
    dropStage();
}

void BackfillRun::recordFingerprints()
{
    if (!failed || completedBounds.isEmpty() || !db.isOpen())
        return;
    QList<QPair<QString, QStringList>> wheres;
    for (const QJsonValue &v : std::as_const(completedBounds)) {
        QStringList params;
        for (const QJsonValue &p : v.toObject().value(QStringLiteral("params")).toArray())
            params << p.toString();
        wheres << qMakePair(boundsWhere(v.toObject().value(QStringLiteral("kind")).toString(), 1), params);
    }
    const DbError stopped = e; // the error that stopped the run stays the one reported
    QStringList prints;
    if (fingerprints(wheres, &prints)) {
        QJsonArray ranges;
        for (int i = 0; i < completedBounds.size(); ++i) {
            QJsonObject o = completedBounds.at(i).toObject();
            o[QStringLiteral("fingerprint")] = prints.value(i);
            ranges << o;
        }
        journal.write(QStringLiteral("fingerprints"), QJsonObject{{QStringLiteral("ranges"), ranges}});
    }
    e = stopped;
}

// The run's message, and the journal: removed, or kept as a ledger of completed ranges.
void BackfillRun::finish()
{
    // Rows of ranges an interrupted run (or attempt) completed count as loaded when it inserted
    // them, as duplicates when it skipped them. The rows of the ranges completed (committed), by
    // this run and before it, that were not inserted: without ON CONFLICT (error mode) no row is
    // skipped as a duplicate, so a trigger or a rule dropped them. After a failure, the rows of
    // the ranges not completed are neither: the next run loads them.
    const qint64 earlier = earlierInsertedKnown ? qMin(earlierInserted, resumedRows) : resumedRows;
    res.rowsLoadedEarlier = earlier;
    res.load.rowsLoaded = written + earlier;
    const qint64 notInserted = (failed ? moved : staged - resumedRows) - written + resumedRows - earlier;
    res.load.rowsNotWritten = lo.conflict == CsvLoader::Conflict::Error ? notInserted : 0;
    res.load.rowsDuplicate = notInserted - res.load.rowsNotWritten;
    if (!failed) {
        res.message = QStringLiteral("%1: %2 loaded%5, %3 skipped as duplicates, %4 rejected.%6")
                          .arg(CsvLoader::rowsReadText(res.load.rowsRead)).arg(res.load.rowsLoaded).arg(res.load.rowsDuplicate).arg(res.load.rowsRejected)
                          .arg(earlier > 0 ? QStringLiteral(" (%1 of them before an interruption)").arg(earlier) : QString(),
                               res.load.notWrittenText());
        if (res.load.rowsDuplicate > 0 && !ht.beforeInsertRowTriggers.isEmpty())
            res.load.notes << QStringLiteral("%1 has triggers (%2): some of the rows counted as skipped duplicates may have been dropped "
                                             "by them instead (the two cannot be told apart).")
                                  .arg(ht.qualifiedName(), ht.beforeInsertRowTriggers.join(QStringLiteral(", ")));
        for (const QString &l : std::as_const(ledgers) + std::as_const(staleLedgers))
            Journal::remove(l);
    } else {
        QString done = written > 0
            ? QStringLiteral("%1 rows in %2 completed chunk range(s) were committed; run the same backfill again to finish "
                             "(completed ranges are skipped).").arg(written).arg(completedRanges)
            : QStringLiteral("No rows were written.");
        if (commitUnknown)
            done = (written > 0 ? done + QLatin1Char(' ') : QString())
                + QStringLiteral("The connection was lost during a COMMIT: run the same backfill again; it asks the server whether "
                                 "that range committed and skips it if so.");
        const QString restored = res.policyPaused ? (res.policyRestored ? QStringLiteral(" The compression policy was resumed.")
                                                                         : QStringLiteral(" The compression policy could NOT be resumed: run backfill-studio-cli recover."))
                                                  : QString();
        // (the server's words may end without a full stop: "server closed the connection unexpectedly")
        QString said = res.outcome == CsvLoader::Outcome::Cancelled ? QStringLiteral("Cancelled.") : res.message.trimmed();
        if (!said.isEmpty() && !said.endsWith(QLatin1Char('.')) && !said.endsWith(QLatin1Char('?')) && !said.endsWith(QLatin1Char('!')))
            said += QLatin1Char('.');
        res.message = said + QLatin1Char(' ') + done + restored;
    }
    if (cleanupOk) {
        if (failed && (written > 0 || commitUnknown)) {
            // Keep the completed ranges as a ledger for the re-run (if the rename fails, the
            // journal stays unfinished and the next recovery keeps it).
            journal.write(QStringLiteral("stopped"));
            if (QFile::rename(journal.path(), Journal::ledgerPath(journal.path())))
                res.journalPath.clear();
        } else {
            journal.write(QStringLiteral("finish"));
            journal.finish();
            res.journalPath.clear();
        }
    }
    report(Progress{QStringLiteral("finish"), index, total, moved, staged, QString()});
}

} // namespace bfs
