#include "BackfillPlanner.h"

#include <QHash>

#include <algorithm>

namespace bfs {

namespace {

// TimescaleDB turns direct compression off for an INSERT of fewer rows ("too small batch size").
constexpr qint64 kDirectCompressMinRows = 10;

bool inWindow(const TimescaleVersion &v, int a1, int a2, int a3, int b1, int b2, int b3)
{
    // [a, b): at least a and below b
    return v.atLeast(a1, a2, a3) && !v.atLeast(b1, b2, b3);
}

QString rangeText(const ChunkInfo &c)
{
    if (c.integerRange)
        return QStringLiteral("[%1, %2)").arg(c.rangeStartInteger).arg(c.rangeEndInteger);
    return QStringLiteral("[%1, %2)").arg(c.rangeStart.toString(Qt::ISODate), c.rangeEnd.toString(Qt::ISODate));
}

} // namespace

bool BackfillPlanner::directInsertAllowed(const TimescaleVersion &v, const QList<UniqueKey> &keys,
                                          CsvLoader::Conflict conflict, bool dmlDecompressionEnabled, QString *reason)
{
    const QString ver = v.toString();
    if (!v.atLeast(2, 3)) {
        *reason = QStringLiteral("TimescaleDB %1 rejects INSERT into compressed chunks (allowed from 2.3)").arg(ver);
        return false;
    }
    if (!v.atLeast(2, 11)) {
        if (!keys.isEmpty()) {
            *reason = QStringLiteral("TimescaleDB %1 rejects INSERT into a compressed chunk that has a primary or unique "
                                     "constraint (SQLSTATE 0A000; allowed from 2.11)").arg(ver);
            return false;
        }
        *reason = v.atLeast(2, 10)
            ? QStringLiteral("TimescaleDB %1 accepts INSERT into compressed chunks without unique constraints; the rows "
                             "land in the chunk's uncompressed part").arg(ver)
            : QStringLiteral("TimescaleDB %1 accepts INSERT into compressed chunks without unique constraints; the rows "
                             "are compressed into the chunk").arg(ver);
        return true;
    }
    if (!dmlDecompressionEnabled) {
        *reason = QStringLiteral("timescaledb.enable_dml_decompression is off on this server, so DML on compressed chunks fails");
        return false;
    }
    if (keys.isEmpty()) {
        *reason = QStringLiteral("TimescaleDB %1 inserts into compressed chunks directly").arg(ver);
        return true;
    }
    for (const UniqueKey &k : keys) {
        if (k.hasExpression && inWindow(v, 2, 11, 0, 2, 13, 1)) {
            *reason = QStringLiteral("unique expression index %1 is not enforced on compressed chunks in TimescaleDB "
                                     "2.11.0–2.13.0 (this server: %2; fixed in 2.13.1)").arg(k.name, ver);
            return false;
        }
    }
    if (keys.size() > 1 && !v.atLeast(2, 15, 3)) {
        *reason = QStringLiteral("the hypertable has %1 unique indexes, which compressed INSERT mishandles before "
                                 "TimescaleDB 2.15.3 (this server: %2)").arg(keys.size()).arg(ver);
        return false;
    }
    if (conflict == CsvLoader::Conflict::Skip && inWindow(v, 2, 16, 0, 2, 18, 1)) {
        *reason = QStringLiteral("multi-row INSERT … ON CONFLICT DO NOTHING drops every row after the first conflict on "
                                 "compressed chunks in TimescaleDB 2.16.0–2.18.0 (this server: %1; fixed in 2.18.1)").arg(ver);
        return false;
    }
    QString extra;
    if (v.atLeast(2, 16) && conflict != CsvLoader::Conflict::Update)
        extra = QStringLiteral("; from 2.16 such an insert decompresses nothing");
    else if (conflict == CsvLoader::Conflict::Update)
        extra = QStringLiteral("; DO UPDATE decompresses only the batches it matches");
    *reason = QStringLiteral("TimescaleDB %1 inserts into compressed chunks directly, unique constraints included "
                             "(allowed from 2.11)%2").arg(ver, extra);
    return true;
}

BackfillPlan BackfillPlanner::plan(const Input &in)
{
    BackfillPlan p;
    const HypertableInfo &ht = in.hypertable;
    const BackfillPlan::Overrides &o = in.overrides;
    p.target = ht.qualifiedName();
    p.targetSchema = ht.schema;
    p.targetName = ht.name;
    p.version = in.version;
    p.conflict = in.conflict;
    p.summary = in.summary;
    if (const DimensionInfo *t = ht.timeDimension())
        p.timeColumn = t->column;

    // Conflict handling.
    if (ht.uniqueKeys.isEmpty()) {
        p.conflictReason = QStringLiteral("%1 has no primary key or unique constraint: every row is inserted, "
                                          "duplicates cannot be detected").arg(p.target);
    } else {
        // Every unique key counts for error and skip; update names one key (ON CONFLICT (…) DO UPDATE).
        QStringList keys, others;
        const QStringList updateKey = in.conflictKey.isEmpty() ? ht.uniqueKeys.first().columns : in.conflictKey;
        for (const UniqueKey &k : ht.uniqueKeys) {
            QStringList shown = k.columns;
            for (QString &c : shown)
                if (c.isEmpty())
                    c = QStringLiteral("an expression"); // (an index on lower(name), say)
            const QString text = QStringLiteral("(%1)%2").arg(shown.join(QStringLiteral(", ")),
                                                             k.partial ? QStringLiteral(" (where its index's condition holds)") : QString());
            keys << text;
            if (k.columns != updateKey)
                others << text;
        }
        const QString any = keys.join(QStringLiteral(" or "));
        switch (in.conflict) {
        case CsvLoader::Conflict::Error:
            p.conflictReason = QStringLiteral("a row whose %1 already exists stops the run; the chunk being written is "
                                              "rolled back and the hypertable restored").arg(any);
            break;
        case CsvLoader::Conflict::Skip:
            p.conflictReason = QStringLiteral("rows whose %1 already exists are skipped (ON CONFLICT DO NOTHING) and "
                                              "counted as duplicates").arg(any);
            break;
        case CsvLoader::Conflict::Update:
            p.conflictReason = QStringLiteral("rows whose (%1) already exists update the other columns (ON CONFLICT DO "
                                              "UPDATE); key columns are never changed").arg(updateKey.join(QStringLiteral(", ")));
            if (!others.isEmpty())
                p.conflictReason += QStringLiteral("; a row that meets an existing %1 while its (%2) is new stops the run (ON "
                                                   "CONFLICT can update through one key only)")
                                        .arg(others.join(QStringLiteral(" or ")), updateKey.join(QStringLiteral(", ")));
            break;
        }
    }

    // Blockers: checked before anything changes.
    // (A dry run counts the rows whose key exists; a run does not, and meets them.)
    const qint64 clashing = qMax<qint64>(0, in.summary.existingRows) + qMax<qint64>(0, in.summary.repeatedRows);
    if (in.conflict == CsvLoader::Conflict::Update && in.summary.rowsMeetingOtherKey > 0)
        p.blockers << QStringLiteral("%1 staged rows meet a row of %2 through another unique key than the one the update matches on: "
                                     "ON CONFLICT updates through one key only, so the run would stop at the chunk of the first (fix "
                                     "those rows, or use skip)")
                          .arg(in.summary.rowsMeetingOtherKey).arg(p.target);
    if (in.conflict == CsvLoader::Conflict::Error && clashing > 0)
        p.blockers << QStringLiteral("%1 staged rows have a key that is already in %2 or on an earlier line of the file: with "
                                     "conflicts as errors the run would stop at the chunk of the first (use skip or update)")
                          .arg(clashing).arg(p.target);
    if (in.license == QLatin1String("apache") && ht.compressedChunkCount() > 0)
        p.blockers << QStringLiteral("the server runs the Apache-licensed edition of TimescaleDB, whose compression "
                                     "functions are not available");
    if (!in.ownsHypertable)
        p.blockers << QStringLiteral("role %1 does not own %2 (owner: %3): decompress_chunk and compress_chunk need the "
                                     "owner's privileges (SQLSTATE 42501)")
                          .arg(in.currentUser, p.target, ht.owner);
    if (!in.missingPrivileges.isEmpty())
        p.blockers << QStringLiteral("role %1 lacks the %2 privilege on %3, which the load needs")
                          .arg(in.currentUser, in.missingPrivileges.join(QStringLiteral(" and ")), p.target);
    if (!in.aggregatesNotOwned.isEmpty())
        p.blockers << QStringLiteral("role %1 does not own continuous aggregate %2: refreshing it over the backfilled range needs "
                                     "the owner's privileges")
                          .arg(in.currentUser, in.aggregatesNotOwned.join(QStringLiteral(", ")));

    // Per chunk.
    bool anyDirectOnCompressed = false;
    for (const StageSummary::ChunkRows &cr : in.summary.chunks) {
        if (cr.rows <= 0)
            continue;
        const ChunkInfo *chunk = nullptr;
        for (const ChunkInfo &c : ht.chunks)
            if (c.schema == cr.schema && c.name == cr.name)
                chunk = &c;
        if (!chunk)
            continue;
        BackfillPlan::ChunkStep step;
        step.chunk = *chunk;
        // (the decisions below go by the time range's rows: one INSERT statement writes them)
        step.rows = cr.own >= 0 ? cr.own : cr.rows;
        step.rangeRows = cr.rows;
        const QString where = QStringLiteral("%1 %2").arg(chunk->name, rangeText(*chunk));
        if (cr.own == 0) {
            // Space partitions: the range's rows all belong to other partitions.
            step.action = BackfillPlan::Action::DirectInsert;
            step.reason = QStringLiteral("%1: none of the staged rows belong to its space partition, so nothing is written into it "
                                         "and it is left as it is").arg(where);
        } else if (chunk->state == ChunkInfo::State::Frozen) {
            step.action = BackfillPlan::Action::Blocked;
            step.reason = QStringLiteral("%1 is frozen: TimescaleDB rejects any change to it").arg(where);
            p.blockers << step.reason;
        } else if (chunk->state == ChunkInfo::State::Uncompressed) {
            step.action = BackfillPlan::Action::DirectInsert;
            step.reason = QStringLiteral("%1 is not compressed: plain INSERT").arg(where);
        } else {
            QString why;
            bool allowed = directInsertAllowed(in.version, ht.uniqueKeys, in.conflict, in.dmlDecompressionEnabled, &why);
            if (allowed && ht.hasDroppedColumns && ht.hasGeneratedColumns) {
                // Seen on 2.23.0: "attribute N of type record has wrong type" from any INSERT into a
                // compressed chunk of such a table; into a decompressed chunk it works.
                allowed = false;
                why = QStringLiteral("%1 has both a dropped column and a generated column, and TimescaleDB then fails to insert "
                                     "into compressed chunks (\"attribute … of type record has wrong type\", seen on %2)")
                          .arg(p.target, in.version.toString());
            }
            // Rows compressed as they arrive leave the chunk fully compressed, however many they are:
            // nothing to recompress. TimescaleDB does it only without unique constraints and
            // triggers, and for statements it expects to insert at least 10 rows (otherwise it warns
            // and inserts uncompressed rows, which the same transaction then compresses). It does
            // not check CHECK constraints (seen on 2.23.0): a table with one does without.
            const bool directCompress = allowed && chunk->state == ChunkInfo::State::Compressed && in.version.atLeast(2, 23)
                && ht.uniqueKeys.isEmpty() && ht.triggers.isEmpty() && !ht.hasCheckConstraints && cr.rows >= kDirectCompressMinRows;
            if (o.forceDecompress) {
                step.action = BackfillPlan::Action::DecompressInsertRecompress;
                step.reason = QStringLiteral("%1: decompressed because you asked for it").arg(where);
            } else if (!allowed) {
                step.action = BackfillPlan::Action::DecompressInsertRecompress;
                step.reason = QStringLiteral("%1 is %2: decompress → insert → recompress, because %3")
                                  .arg(where, ChunkInfo::stateName(chunk->state), why);
            } else if (directCompress) {
                step.action = BackfillPlan::Action::DirectInsert;
                step.directCompress = true;
                step.reason = QStringLiteral("%1 is compressed: insert directly, because %2; the rows are compressed as they are "
                                             "inserted (timescaledb.enable_direct_compress_insert, TimescaleDB 2.23+, no unique key, "
                                             "trigger or CHECK constraint, at least 10 rows), so the chunk stays fully compressed (compressed again in the same "
                                             "transaction if TimescaleDB leaves it partially compressed)")
                                  .arg(where, why);
                anyDirectOnCompressed = true;
            } else if (cr.rows >= o.largeBatchRows && !o.forceDirect) {
                step.action = BackfillPlan::Action::DecompressInsertRecompress;
                step.reason = QStringLiteral("%1: its time range receives %2 rows (at least %3): decompressing it once and compressing it "
                                             "again is faster than inserting into compressed batches")
                                  .arg(where).arg(cr.rows).arg(o.largeBatchRows);
            } else {
                step.action = BackfillPlan::Action::DirectInsert;
                step.reason = QStringLiteral("%1 is %2: insert directly, because %3").arg(where, ChunkInfo::stateName(chunk->state), why);
                anyDirectOnCompressed = true;
            }
            step.recompress = true;
        }
        p.chunks << step;
    }
    p.newChunkRows = in.summary.rowsOutsideChunks;
    if (p.newChunkRows > 0)
        p.newChunkReason = QStringLiteral("%1 rows fall outside every existing chunk: TimescaleDB creates new, uncompressed "
                                          "chunks for them").arg(p.newChunkRows);

    // The compression policy.
    if (const PolicyJob *job = ht.compressionPolicy()) {
        p.hasPolicy = true;
        p.policy = *job;
        p.compressAfter = job->compressAfter;
        if (!job->scheduled) {
            p.pausePolicy = false;
            p.policyReason = QStringLiteral("compression policy job %1 is already paused; it is left as it is").arg(job->jobId);
        } else {
            p.pausePolicy = true;
            p.policyReason = QStringLiteral("compression policy job %1 is paused (alter_job … scheduled => false) so it cannot "
                                            "compress a chunk while rows are moved, and scheduled again in every outcome")
                                 .arg(job->jobId);
            if (!in.memberOfJobOwner)
                p.blockers << QStringLiteral("role %1 does not have the privileges of %2, which owns compression policy job %3: "
                                             "alter_job needs them (as a member of %2 that inherits them)")
                                  .arg(in.currentUser, job->owner)
                                  .arg(job->jobId);
        }
    } else {
        p.policyReason = QStringLiteral("%1 has no compression policy: nothing to pause").arg(p.target);
    }

    // Session settings.
    if (o.lockTimeoutMs > 0) {
        p.sessionSettings << QStringLiteral("SET lock_timeout = '%1ms'").arg(o.lockTimeoutMs);
        p.sessionReasons << QStringLiteral("lock_timeout %1 ms: a chunk locked by another session fails fast and is named, "
                                           "instead of queueing behind it").arg(o.lockTimeoutMs);
    }
    if (anyDirectOnCompressed && in.version.atLeast(2, 14)) {
        p.setDecompressionLimit = true;
        p.sessionSettings << QStringLiteral("SET timescaledb.max_tuples_decompressed_per_dml_transaction = 0");
        p.sessionReasons << QStringLiteral("timescaledb.max_tuples_decompressed_per_dml_transaction = 0 for this session: the "
                                           "default limit of 100000 would abort a large direct insert (SQLSTATE 53400)");
    }

    // Recompression.
    const bool touchesCompressed = std::any_of(p.chunks.cbegin(), p.chunks.cend(), [](const BackfillPlan::ChunkStep &s) { return s.recompress; });
    p.useRecompressProcedure = !in.version.atLeast(2, 14);
    if (o.leaveRecompressionToPolicy && p.hasPolicy) {
        p.recompressNow = false;
        p.recompressReason = QStringLiteral("recompression is left to policy job %1 (you asked for it)").arg(p.policy.jobId);
    } else if (touchesCompressed) {
        p.recompressNow = true;
        p.recompressReason = p.useRecompressProcedure
            ? QStringLiteral("chunks that were compressed are compressed again: decompressed ones with compress_chunk in their own "
                             "transaction, partially compressed ones at the end with CALL recompress_chunk (before 2.14 it "
                             "commits by itself)")
            : QStringLiteral("chunks that were compressed are compressed again with compress_chunk in their own transaction, right "
                             "after their rows (it also recompresses partially compressed chunks from 2.14)");
        if (o.leaveRecompressionToPolicy)
            p.recompressReason += QStringLiteral("; there is no policy to leave it to");
    } else {
        p.recompressNow = false;
        p.recompressReason = QStringLiteral("no compressed chunk is touched");
    }
    // With space partitions a row can also make a new chunk inside an existing time range (its
    // partition had none there yet).
    const bool spacePartitioned = std::any_of(ht.dimensions.cbegin(), ht.dimensions.cend(), [](const DimensionInfo &d) { return !d.isTime; });
    if (p.hasPolicy && (p.newChunkRows > 0 || spacePartitioned) && (p.recompressNow || !touchesCompressed)
        && !o.leaveRecompressionToPolicy) {
        // As run_job would: only where the policy runs, and only by its compress_after.
        if (!p.policy.scheduled)
            p.recompressReason += QStringLiteral("; new chunks are left uncompressed: compression policy job %1 is paused, and "
                                                 "would not compress them either").arg(p.policy.jobId);
        else if (p.compressAfter.isEmpty())
            p.recompressReason += QStringLiteral("; new chunks are left to compression policy job %1: it compresses by creation "
                                                 "time (compress_created_before), and these chunks are new").arg(p.policy.jobId);
        else
            p.compressNewChunks = true;
        if (p.compressNewChunks && in.summary.integerTime)
            p.recompressReason += QStringLiteral("; new chunks that end before the hypertable's integer_now function minus the "
                                                 "policy's compress_after (%1) are compressed as run_job would").arg(p.compressAfter);
        else if (p.compressNewChunks)
            p.recompressReason += QStringLiteral("; new chunks older than the policy's compress_after (%1) are compressed as "
                                                 "run_job would").arg(p.compressAfter);
    }

    // Rows a retention policy drops again at its next run (counted by the run, see StageSummary).
    if (const PolicyJob *retention = ht.retentionPolicy(); retention && in.summary.rowsBeforeRetention > 0) {
        const QString due = retention->nextStart.isValid()
            ? QStringLiteral(" (due %1)").arg(retention->nextStart.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'")))
            : QString();
        p.warnings << QStringLiteral("%1 of the staged rows (those before %2) lie in chunks that end more than %3 before %4: retention "
                                     "policy job %5 drops those chunks at its next run%6, and the rows with them. Pause it first "
                                     "(SELECT alter_job(%5, scheduled => false)) or leave those rows out")
                          .arg(in.summary.rowsBeforeRetention)
                          .arg(in.summary.retentionBoundary, retention->dropAfter,
                               in.summary.integerTime ? QStringLiteral("the hypertable's integer_now function") : QStringLiteral("now"))
                          .arg(retention->jobId)
                          .arg(due);
    }

    p.continuousAggregates = in.continuousAggregates;
    if (!p.continuousAggregates.isEmpty())
        p.caggReason = QStringLiteral("continuous aggregates %1 are refreshed where the backfill changed them (their buckets "
                                      "of the backfilled range), which they would otherwise not see")
                           .arg(p.continuousAggregates.join(QStringLiteral(", ")));
    return p;
}

QStringList BackfillPlan::caggRefreshWindow(const StageSummary &s)
{
    if (s.integerTime)
        return {QStringLiteral("NULL"), s.integerNow ? QString::number(*s.integerNow) : QStringLiteral("NULL")};
    if (!s.minTime.isValid())
        return {QStringLiteral("NULL"), QStringLiteral("NULL")};
    // Untyped literals: TimescaleDB reads them as the aggregate's own time type (timestamptz,
    // timestamp or date); a timestamptz argument is refused for a timestamp aggregate.
    const auto literal = [](const QDateTime &t) {
        return QStringLiteral("'%1'").arg(t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00")));
    };
    // Not past now: a later end would move the aggregate's invalidation threshold into the future.
    return {literal(s.minTime.addDays(-366)), literal(qMin(s.maxTime.addDays(366), QDateTime::currentDateTimeUtc()))};
}

int BackfillPlan::count(Action a) const
{
    int n = 0;
    for (const ChunkStep &s : chunks)
        n += s.action == a ? 1 : 0;
    return n;
}

QString BackfillPlan::actionName(Action a)
{
    switch (a) {
    case Action::DirectInsert: return QStringLiteral("direct insert");
    case Action::DecompressInsertRecompress: return QStringLiteral("decompress, insert, recompress");
    case Action::NewChunk: return QStringLiteral("new chunk");
    case Action::Blocked: return QStringLiteral("blocked");
    }
    return QString();
}

qint64 BackfillPlan::rowsForNewPartitionChunks() const
{
    QHash<QString, QPair<qint64, qint64>> ranges; // range → (its rows, rows its chunks take)
    for (const ChunkStep &s : chunks) {
        auto &r = ranges[QStringLiteral("%1/%2/%3/%4").arg(s.chunk.rangeStart.toMSecsSinceEpoch()).arg(s.chunk.rangeEnd.toMSecsSinceEpoch())
                             .arg(s.chunk.rangeStartInteger).arg(s.chunk.rangeEndInteger)];
        r.first = s.rangeRows;
        r.second += s.rows;
    }
    qint64 rows = 0;
    for (const auto &r : std::as_const(ranges))
        rows += qMax<qint64>(0, r.first - r.second);
    return rows;
}

QString BackfillPlan::toText() const
{
    QStringList lines;
    lines << QStringLiteral("Plan for %1 (TimescaleDB %2)").arg(target, version.toString());
    // (a chunk none of whose partition's rows are staged is not touched)
    const auto touched = std::count_if(chunks.cbegin(), chunks.cend(), [](const ChunkStep &s) { return s.rows > 0 || s.rangeRows == 0; });
    lines << QStringLiteral("  %1 staged rows%4; %2 touched; %3 rows for new chunks")
                 .arg(summary.stagedRows)
                 .arg(touched == 1 ? QStringLiteral("1 existing chunk") : QStringLiteral("%1 existing chunks").arg(touched))
                 .arg(newChunkRows)
                 .arg(summary.rowsInCompletedRanges > 0
                          ? QStringLiteral(" (%1 of them in chunk ranges an interrupted run completed: skipped)").arg(summary.rowsInCompletedRanges)
                          : QString());
    const qint64 partitionRows = rowsForNewPartitionChunks();
    if (partitionRows > 0)
        lines << QStringLiteral("  %1 rows of those time ranges go to new chunks of space partitions that have no chunk there yet")
                     .arg(partitionRows);
    if (summary.existingRows >= 0 && conflict == CsvLoader::Conflict::Update)
        // (counted under the update key, where each key is written once: the last line with it wins)
        lines << QStringLiteral("  %1 staged keys already exist under the unique key (their rows are updated)%2").arg(summary.existingRows)
                     .arg(summary.repeatedRows > 0
                              ? QStringLiteral("; %1 staged rows repeat the key of an earlier line of the file (a later line wins)").arg(summary.repeatedRows)
                              : QString());
    else if (summary.existingRows >= 0)
        lines << QStringLiteral("  %1 staged rows already exist under the unique key%2").arg(summary.existingRows)
                     .arg(summary.repeatedRows > 0 ? QStringLiteral("; %1 more repeat the key of an earlier line of the file").arg(summary.repeatedRows)
                                                   : QString());
    lines << QStringLiteral("Conflicts: ") + conflictReason;
    lines << QStringLiteral("Policy:    ") + policyReason;
    for (const QString &r : sessionReasons)
        lines << QStringLiteral("Session:   ") + r;
    for (const ChunkStep &s : chunks)
        lines << QStringLiteral("  %1  %2 rows  %3 — %4").arg(s.chunk.name).arg(s.rows).arg(actionName(s.action), s.reason);
    if (newChunkRows > 0)
        lines << QStringLiteral("  new chunks  %1 rows — %2").arg(newChunkRows).arg(newChunkReason);
    lines << QStringLiteral("Recompress: ") + recompressReason;
    if (!caggReason.isEmpty())
        lines << QStringLiteral("Aggregates: ") + caggReason;
    for (const QString &w : warnings)
        lines << QStringLiteral("WARNING: ") + w;
    for (const QString &b : blockers)
        lines << QStringLiteral("BLOCKED: ") + b;
    return lines.join(QLatin1Char('\n'));
}

} // namespace bfs
