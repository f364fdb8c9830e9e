// The backfill's middle phases: summarise the staged rows per chunk range (and per space
// partition), plan, and for a dry run with --export-sql, write the script with the staged rows.
#include "BackfillRun.h"

#include "ValueConverter.h"

#include <QDir>
#include <QSaveFile>

#include <algorithm>

namespace bfs {

using namespace detail;

// The chunks TimescaleDB will make for the rows outside every chunk, for the timeline: the
// intervals (aligned on 0, as TimescaleDB aligns them) that hold such rows, cut where an existing
// chunk begins or ends, as TimescaleDB cuts a new chunk. Without the interval, the rows' own extent
// per gap (summarise) stays.
void BackfillRun::newChunkSpans()
{
    const DimensionInfo *time = ht.timeDimension();
    const qint64 interval = !time ? 0 : integerTime ? time->integerInterval : time->intervalMicroseconds;
    if (interval <= 0)
        return;
    QStringList params;
    const QString where = outsideWhere(&params);
    params << QString::number(interval);
    const QString value = integerTime ? QStringLiteral("%1::numeric").arg(timeStage) : QStringLiteral("extract(epoch FROM %1) * 1000000").arg(timeStage);
    QueryResult r;
    DbError ignored;
    if (!exec(QStringLiteral("SELECT DISTINCT floor(%1 / $3::numeric)::bigint AS k FROM %2 WHERE %3 ORDER BY 1 LIMIT 10000").arg(value, stage, where),
              params, &r, &ignored, QStringLiteral("find the new chunks' intervals")))
        return;
    QList<QPair<qint64, qint64>> spans;
    for (int i = 0; i < r.rowCount(); ++i) {
        qint64 from = r.intValue(i, 0) * interval, to = from + interval;
        if (!integerTime) { // (microseconds → the timeline's milliseconds)
            from /= 1000;
            to /= 1000;
        }
        for (const ChunkInfo &c : std::as_const(ht.chunks)) {
            const qint64 start = integerTime ? c.rangeStartInteger : c.rangeStart.toMSecsSinceEpoch();
            const qint64 end = integerTime ? c.rangeEndInteger : c.rangeEnd.toMSecsSinceEpoch();
            if (start <= from && end > from)
                from = end;
            if (start < to && end >= to)
                to = start;
            else if (start > from && start < to)
                to = start; // (rows on both sides of a chunk inside one interval: the first part)
        }
        if (to > from)
            spans << qMakePair(from, to);
    }
    if (!spans.isEmpty())
        sum.outsideSpans = spans;
}

bool BackfillRun::summarise()
{
    // 4. Summarise the staged rows per existing chunk range.
    report(Progress{QStringLiteral("plan"), 0, 0, 0, staged, QString()});
    QList<ChunkInfo> ranges;
    for (const ChunkInfo &c : ht.chunks) {
        bool seen = false;
        for (const ChunkInfo &x : std::as_const(ranges))
            seen = seen || (x.rangeStart == c.rangeStart && x.rangeEnd == c.rangeEnd && x.rangeStartInteger == c.rangeStartInteger
                             && x.rangeEndInteger == c.rangeEndInteger);
        if (!seen)
            ranges << c;
    }
    sum.stagedRows = staged;
    sum.integerTime = integerTime;
    {
        // One pass over the staged rows: counts per interval between the existing chunks'
        // boundaries, with the same [start, end) test as each range's INSERT. (Buckets of the
        // hypertable's interval would not do: time_bucket aligns weeks on Mondays where chunks
        // align on the epoch, and chunks made before an interval change have other sizes.)
        QList<qint64> bounds; // ms since the epoch, or integer time
        for (const ChunkInfo &c : std::as_const(ranges))
            bounds << (integerTime ? c.rangeStartInteger : c.rangeStart.toMSecsSinceEpoch())
                   << (integerTime ? c.rangeEndInteger : c.rangeEnd.toMSecsSinceEpoch());
        std::sort(bounds.begin(), bounds.end());
        bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
        QStringList boundText;
        for (qint64 b : std::as_const(bounds))
            boundText << (integerTime ? QString::number(b) : isoUtc(QDateTime::fromMSecsSinceEpoch(b, Qt::UTC)));
        // (and per interval the rows' first and last time, which shows where new chunks go)
        const QString extent = integerTime
            ? QStringLiteral("min(%1)::bigint AS lo, max(%1)::bigint AS hi").arg(timeStage)
            : QStringLiteral("(extract(epoch FROM min(%1)) * 1000)::bigint AS lo, (extract(epoch FROM max(%1)) * 1000)::bigint AS hi").arg(timeStage);
        const QString countSql = bounds.isEmpty()
            ? QStringLiteral("SELECT 0 AS i, count(*) AS n, %2 FROM %1").arg(stage, extent)
            // (The operand cast: before PostgreSQL 13 width_bucket wants both of one type.)
            : QStringLiteral("SELECT width_bucket(%1::%2, $1::%2[]) AS i, count(*) AS n, %4 FROM %3 GROUP BY 1")
                  .arg(timeStage, cast, stage, extent);
        const QStringList countParams = bounds.isEmpty() ? QStringList() : QStringList{Database::textArray(boundText)};
        const QString rangeSql = integerTime
            ? QStringLiteral("SELECT min(%1)::bigint AS lo, max(%1)::bigint + 1 AS hi FROM %2").arg(timeStage, stage)
            : QStringLiteral("SELECT (extract(epoch FROM min(%1)) * 1000)::bigint AS lo, "
                             "(extract(epoch FROM max(%1)) * 1000)::bigint AS hi FROM %2").arg(timeStage, stage);
        // Each chunk's rows are picked by time range: the staged times are indexed once (no
        // ANALYZE: the planner's estimate from the table's size already picks the index for a
        // chunk's range). Index, counts and time range go to the server together.
        const QList<Database::Statement> batch{
            {QStringLiteral("CREATE INDEX ON %1 (%2)").arg(stage, timeStage), {}, QString(), QStringLiteral("index the staged rows")},
            {countSql, countParams, QString(), QStringLiteral("count the staged rows per chunk")},
            {rangeSql, {}, QString(), QStringLiteral("find the staged time range")}};
        QList<QueryResult> answers;
        int failedAt = -1;
        if (!execTogether(batch, &answers, &e, &failedAt)) {
            dropStage();
            return fail(outcomeOf(e), e.message, e);
        }
        const QueryResult &counts = answers.at(1);
        for (int row = 0; row < counts.rowCount(); ++row) {
            const qint64 n = counts.intValue(row, QStringLiteral("n"));
            // Interval i lies between bounds[i - 1] and bounds[i]; 0 and bounds.size() are outside them all.
            const qint64 i = counts.intValue(row, QStringLiteral("i"));
            const ChunkInfo *hit = nullptr;
            if (i > 0 && i < bounds.size()) {
                const qint64 from = bounds.at(i - 1), to = bounds.at(i);
                for (const ChunkInfo &c : std::as_const(ranges)) {
                    const qint64 start = integerTime ? c.rangeStartInteger : c.rangeStart.toMSecsSinceEpoch();
                    const qint64 end = integerTime ? c.rangeEndInteger : c.rangeEnd.toMSecsSinceEpoch();
                    if (start <= from && to <= end) {
                        hit = &c;
                        break;
                    }
                }
            }
            if (!hit) {
                sum.rowsOutsideChunks += n;
                if (n > 0)
                    sum.outsideSpans << qMakePair(counts.intValue(row, QStringLiteral("lo")), counts.intValue(row, QStringLiteral("hi")));
            } else {
                RangeGroup probe;
                probe.range = *hit;
                RangeGroup &grp = groups[probe.key()];
                grp.range = *hit;
                grp.rows += n;
            }
        }
        if (sum.rowsOutsideChunks > 0 && options.planOnly) // (for the plan's timeline: a run does not draw it again)
            newChunkSpans();
        const QueryResult &span = answers.at(2);
        if (!span.isNull(0, QStringLiteral("lo"))) {
            const qint64 lo = span.intValue(0, QStringLiteral("lo")), hi = span.intValue(0, QStringLiteral("hi"));
            if (integerTime) {
                sum.minInteger = lo;
                sum.maxInteger = hi;
            } else {
                sum.minTime = QDateTime::fromMSecsSinceEpoch(lo, Qt::UTC);
                sum.maxTime = QDateTime::fromMSecsSinceEpoch(hi, Qt::UTC);
            }
        }
    }
    // Ranges an interrupted run already completed: their rows were loaded then.
    // (Each is counted in the table first: see checkCompletedRange.)
    for (auto it = groups.begin(); it != groups.end();) {
        bool skip = false;
        QStringList params;
        const QString where = rangeWhere(it->second.range, &params);
        if (doneRanges.contains(it->first) && !checkCompletedRange(it->first, QStringLiteral("range"), params, &skip))
            return false;
        if (skip) {
            skippedRanges.insert(it->first);
            if (exec(QStringLiteral("DELETE FROM %1 WHERE %2").arg(stage, where), params, &r, &e, QStringLiteral("skip a completed range")))
                resumedRows += r.rowsAffected();
            it = groups.erase(it);
        } else {
            ++it;
        }
    }
    sum.rowsInCompletedRanges = resumedRows;
    // What those runs inserted in the ranges skipped now (journals before this count was
    // written leave it unknown).
    for (const QString &range : std::as_const(skippedRanges)) {
        const QJsonObject c = completedBy.value(range);
        if (c.contains(QStringLiteral("inserted")))
            earlierInserted += qint64(c.value(QStringLiteral("inserted")).toDouble());
        else
            earlierInsertedKnown = false;
    }
    for (auto &[k, g] : groups) {
        for (const ChunkInfo &c : ht.chunks)
            if (c.rangeStart == g.range.rangeStart && c.rangeEnd == g.range.rangeEnd && c.rangeStartInteger == g.range.rangeStartInteger
                && c.rangeEndInteger == g.range.rangeEndInteger)
                sum.chunks << StageSummary::ChunkRows{c.schema, c.name, g.rows, -1};
    }
    countRowsPerPartition();
    // (the refresh window's upper end, see caggRefreshWindow; and a retention policy's "now")
    if (integerTime && (!ht.continuousAggregates.isEmpty() || ht.retentionPolicy()))
        sum.integerNow = integerNow();
    countRowsBeforeRetention();
    if (partitionSplitUnknown)
        res.load.notes << QStringLiteral("%1 has space partitions, and the rows of each partition could not be counted (is its "
                                         "partitioning column in the file?): a chunk's rows are its time range's, and the rows "
                                         "it was written are not known")
                              .arg(ht.qualifiedName());
    if (options.planOnly && !ht.uniqueKeys.isEmpty()) {
        // Dry-run count: staged rows whose unique key already exists (a real run counts the
        // duplicates it skips instead, and saves this pass over the hypertable).
        // Any unique key counts (ON CONFLICT DO NOTHING skips a row that meets any of them); a
        // key whose columns the file does not all fill, or a partial one (its condition is not
        // read), cannot be checked here. Rows that are new but repeat the key of an earlier line
        // of the file are skipped too.
        QList<CsvLoader::StagedKey> keys, others;
        CsvLoader::StagedKey updateKey;
        for (const auto &uk : std::as_const(ht.uniqueKeys))
            if (const CsvLoader::StagedKey key = CsvLoader::stagedKey(db, uk.columns, [this](const QString &c) { return stageColumnOf(c); },
                                                                     uk.nullsNotDistinct);
                !key.isEmpty() && !uk.partial) {
                keys << key;
                (uk.columns == res.load.conflictKey ? updateKey : others.emplace_back()) = key;
            }
        if (lo.conflict == CsvLoader::Conflict::Update && !updateKey.isEmpty() && !others.isEmpty()
            && exec(CsvLoader::otherKeyClashSql(stage, db.qualifiedName(ht.schema, ht.name), updateKey, others), {}, &r, &e,
                    QStringLiteral("count rows that meet another unique key")))
            sum.rowsMeetingOtherKey = r.intValue(0, 0);
        const QString target = db.qualifiedName(ht.schema, ht.name);
        const bool update = lo.conflict == CsvLoader::Conflict::Update && !updateKey.isEmpty();
        if (!keys.isEmpty()
            && exec(update ? CsvLoader::updatedAndRepeatedSql(stage, target, updateKey) : CsvLoader::existingAndRepeatedSql(stage, target, keys), {},
                    &r, &e, QStringLiteral("count rows that already exist"))) {
            sum.existingRows = r.intValue(0, 0);
            sum.repeatedRows = r.intValue(0, 1);
        }
    }
    return true;
}

void BackfillRun::countRowsPerPartition()
{
    // With space partitions, a time range's rows are split among its chunks (and new chunks for
    // partitions that have none there yet). Each chunk's own rows are the staged rows that pass
    // the chunk's own CHECK constraints (its dimension slices; the table's inherited ones are
    // left out), evaluated on the staged rows under the table's column names.
    const bool spaced = std::any_of(ht.dimensions.cbegin(), ht.dimensions.cend(), [](const DimensionInfo &d) { return !d.isTime; });
    if (!spaced || sum.chunks.isEmpty())
        return;
    // Until the counts are in: each chunk's rows are its time range's, which the report says.
    partitionSplitUnknown = true;
    QStringList names;               // as format('%I.%I') writes them
    QHash<QString, QList<int>> inRange; // range key → the sum.chunks entries of that range
    for (int i = 0; i < sum.chunks.size(); ++i) {
        QString name;
        for (const ChunkInfo &c : std::as_const(ht.chunks))
            if (c.schema == sum.chunks.at(i).schema && c.name == sum.chunks.at(i).name) {
                name = c.qualifiedName();
                RangeGroup probe;
                probe.range = c;
                inRange[probe.key()] << i;
            }
        names << name;
    }
    QueryResult k;
    DbError ignored;
    if (!exec(QStringLiteral("SELECT format('%I.%I', n.nspname, c.relname) AS chunk, "
                             "string_agg('(' || pg_get_expr(k.conbin, k.conrelid) || ')', ' AND ') AS expr "
                             "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE k.contype = 'c' AND k.coninhcount = 0 AND k.conrelid = ANY ($1::regclass[]) GROUP BY 1"),
              {Database::textArray(names)}, &k, &ignored, QStringLiteral("read the chunks' partition constraints")))
        return; // (the counts stay per time range)
    QHash<QString, QString> exprOf;
    for (int i = 0; i < k.rowCount(); ++i)
        exprOf.insert(k.value(i, QStringLiteral("chunk")), k.value(i, QStringLiteral("expr")));
    const QStringList aliases = stagedAsTable();
    // One count per time range, over its own rows (the staged times are indexed) and its own
    // chunks' constraints: each row meets its range's partitions only. All go to the server together.
    QList<Database::Statement> batch;
    QList<QList<int>> indices; // per statement: the sum.chunks entries it counts
    for (const auto &[key, g] : groups) {
        const QList<int> mine = inRange.value(key);
        if (mine.isEmpty())
            continue;
        QStringList counts;
        for (int i : mine)
            counts << (exprOf.contains(names.at(i)) ? QStringLiteral("count(*) FILTER (WHERE %1)").arg(exprOf.value(names.at(i)))
                                                    : QStringLiteral("NULL"));
        QStringList params;
        const QString where = rangeWhere(g.range, &params);
        batch << Database::Statement{QStringLiteral("SELECT %1 FROM (SELECT %2 FROM %3 WHERE %4) s")
                                         .arg(counts.join(QStringLiteral(", ")), aliases.join(QStringLiteral(", ")), stage, where),
                                     params, QString(), QStringLiteral("count the staged rows of each partition's chunk")};
        indices << mine;
    }
    // A constraint on a column the file does not fill cannot be evaluated: the query fails and the
    // counts stay per time range.
    QList<QueryResult> answers;
    int failedAt = -1;
    if (batch.isEmpty() || !execTogether(batch, &answers, &ignored, &failedAt))
        return;
    bool all = true;
    for (int b = 0; b < indices.size(); ++b)
        for (int j = 0; j < indices.at(b).size(); ++j) {
            if (b < answers.size() && answers.at(b).rowCount() == 1 && !answers.at(b).isNull(0, j))
                sum.chunks[indices.at(b).at(j)].own = answers.at(b).intValue(0, j);
            else
                all = false;
        }
    partitionSplitUnknown = !all;
}

std::optional<qint64> BackfillRun::integerNow()
{
    QString function;
    QueryResult n;
    DbError ignored;
    if (!integerNowFunction(db, ht.schema, ht.name, &function, &ignored) || function.isEmpty()
        || !exec(QStringLiteral("SELECT %1()::bigint").arg(function), {}, &n, &ignored, QStringLiteral("read integer now")) || n.isNull(0, 0))
        return std::nullopt;
    return n.intValue(0, 0);
}

QString BackfillRun::serverTimeZone()
{
    // The zone a fresh session (a background job) gets, not this session's, which the client
    // may have set (PGTZ, options): the database's own setting, else the configuration file's,
    // else the built-in default. (The file needs pg_read_all_settings: without it, this session's.)
    QueryResult c;
    DbError ignored;
    if (!exec(QStringLiteral("SELECT setting, source FROM pg_settings WHERE name = 'TimeZone'"), {}, &c, &ignored,
              QStringLiteral("read the session's time zone"))
        || c.rowCount() != 1)
        return QString();
    const QString session = c.value(0, 0), source = c.value(0, 1);
    if (source != QLatin1String("client") && source != QLatin1String("session"))
        return session;
    if (!exec(QStringLiteral("SELECT (SELECT split_part(c, '=', 2) FROM pg_db_role_setting s, unnest(s.setconfig) c "
                             "  WHERE s.setrole = 0 AND lower(split_part(c, '=', 1)) = 'timezone' "
                             "  AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())), "
                             "(SELECT boot_val FROM pg_settings WHERE name = 'TimeZone')"),
              {}, &c, &ignored, QStringLiteral("read the database's time zone")))
        return session;
    const QString database = c.value(0, 0), builtIn = c.value(0, 1);
    if (!database.isEmpty())
        return database;
    if (!exec(QStringLiteral("SELECT setting FROM pg_file_settings WHERE lower(name) = 'timezone' AND applied ORDER BY seqno DESC LIMIT 1"),
              {}, &c, &ignored, QStringLiteral("read the server's time zone")))
        return session;
    return c.rowCount() == 1 ? c.value(0, 0) : builtIn;
}

void BackfillRun::countRowsBeforeRetention()
{
    // A retention policy drops whole chunks, those that end before its cutoff: the time of its
    // next run (or now, if that is past) minus drop_after; for integer time, the integer_now
    // function's value minus drop_after. Rows loaded into them now are deleted at that run.
    const PolicyJob *job = ht.retentionPolicy();
    if (!job || !job->scheduled || job->dropAfter.isEmpty() || staged - resumedRows <= 0)
        return;
    QueryResult c;
    DbError ignored;
    qint64 cutoff = 0;
    if (integerTime) {
        bool number = false;
        const qint64 dropAfter = job->dropAfter.toLongLong(&number);
        if (!number || !sum.integerNow)
            return;
        cutoff = *sum.integerNow - dropAfter;
    } else {
        // (the next run: NULL when not known, and greatest() takes now; timestamp and date: the
        // job takes its "now" as the local time of the server's zone)
        const QString at = cast == QLatin1String("timestamptz")
            ? QStringLiteral("greatest(now(), $2::timestamptz)")
            : QStringLiteral("(greatest(now(), $2::timestamptz) AT TIME ZONE coalesce(nullif($3, ''), current_setting('TimeZone')))");
        QStringList params{job->dropAfter, job->nextStart.isValid() ? isoUtc(job->nextStart) : QString()};
        if (cast != QLatin1String("timestamptz"))
            params << serverTimeZone();
        if (!exec(QStringLiteral("SELECT (extract(epoch FROM %1 - $1::interval) * 1000)::bigint").arg(at), params, &c, &ignored,
                  QStringLiteral("find the retention policy's cutoff"))
            || c.isNull(0, 0))
            return;
        cutoff = c.intValue(0, 0);
    }
    // Every staged row before the boundary goes into a chunk that ends by the cutoff; none after it.
    // The boundary is the start of the chunk that holds the cutoff. Where no chunk does, a new one
    // would: from where a chunk of the hypertable's interval begins (aligned on the epoch), or from
    // the end of the last chunk before it (TimescaleDB cuts a new chunk short where it would overlap).
    const qint64 step = integerTime ? timeDim->integerInterval : timeDim->intervalMicroseconds / 1000;
    qint64 boundary = step > 0 ? (cutoff >= 0 ? cutoff / step : -((-cutoff + step - 1) / step)) * step : cutoff;
    bool held = false;
    for (const ChunkInfo &ch : std::as_const(ht.chunks)) {
        const qint64 start = integerTime ? ch.rangeStartInteger : ch.rangeStart.toMSecsSinceEpoch();
        const qint64 end = integerTime ? ch.rangeEndInteger : ch.rangeEnd.toMSecsSinceEpoch();
        if (start <= cutoff && cutoff < end) {
            boundary = start;
            held = true;
            break;
        }
    }
    if (!held)
        for (const ChunkInfo &ch : std::as_const(ht.chunks)) {
            const qint64 end = integerTime ? ch.rangeEndInteger : ch.rangeEnd.toMSecsSinceEpoch();
            if (end <= cutoff)
                boundary = qMax(boundary, end);
        }
    const QString bound = integerTime ? QString::number(boundary) : isoUtc(QDateTime::fromMSecsSinceEpoch(boundary, Qt::UTC));
    if (!exec(QStringLiteral("SELECT count(*) FROM %1 WHERE %2 < $1::%3").arg(stage, timeStage, cast), {bound}, &c, &ignored,
              QStringLiteral("count the rows older than the retention policy's cutoff")))
        return;
    sum.rowsBeforeRetention = c.intValue(0, 0);
    // (timestamp and date columns hold no zone: their times are shown as they are)
    sum.retentionBoundary = integerTime ? bound
        : QDateTime::fromMSecsSinceEpoch(boundary, Qt::UTC)
              .toString(cast == QLatin1String("timestamptz") ? QStringLiteral("yyyy-MM-dd HH:mm 'UTC'") : QStringLiteral("yyyy-MM-dd HH:mm"));
}

bool BackfillRun::makePlan()
{
    // 5. Plan.
    pin.summary = sum;
    pin.conflictKey = res.load.conflictKey;
    res.plan = BackfillPlanner::plan(pin);
    res.planned = true;
    res.secondsPlan = timer.restart() / 1000.0;
    res.rowsLoadedEarlier = resumedRows;
    if (options.planOnly) {
        if (!options.exportSqlPath.isEmpty() && !exportScript()) {
            dropStage();
            return false;
        }
        dropStage();
        res.load.rowsExisting = sum.existingRows;
        res.load.rowsRepeated = sum.repeatedRows;
        if (res.plan.runnable())
            res.load.splitDryRun(staged - resumedRows, options.load.conflict);
        QString account = res.plan.runnable()
            ? CsvLoader::dryRunAccount(res.load, staged - resumedRows, options.load.conflict, options.load.rejectsPath)
            : QStringLiteral("%1 rows staged, but the run would be refused: %2").arg(staged - resumedRows).arg(res.plan.blockers.join(QStringLiteral("; ")));
        if (resumedRows > 0)
            account += QStringLiteral("; %1 rows are in ranges an interrupted earlier run loaded").arg(resumedRows);
        res.message = recovered.isEmpty()
            ? QStringLiteral("Dry run: %1; nothing was changed.").arg(account)
            : QStringLiteral("Dry run: %1; nothing of this backfill was changed. An interrupted earlier backfill on this "
                             "server was finished first: %2.").arg(account, recovered.join(QStringLiteral("; ")));
        if (!planNote.isEmpty())
            res.load.notes << planNote; // (shown as a "Note:" line by the CLI and the wizard)
        if (!res.exportedSqlPath.isEmpty())
            res.message += QStringLiteral(" The plan and its %1 staged rows were written to %2 (run it with psql -f).")
                               .arg(staged)
                               .arg(QDir::toNativeSeparators(res.exportedSqlPath));
        return false; // done: a dry run changes nothing
    }
    if (!res.plan.runnable()) {
        dropStage();
        return fail(CsvLoader::Outcome::ServerError,
                    QStringLiteral("Nothing was changed: %1.").arg(res.plan.blockers.join(QStringLiteral("; "))));
    }
    if (staged == 0) {
        // A file of a header alone, or of rejected rows only: no reason to pause the policy.
        dropStage();
        res.message = QStringLiteral("%1, %2 rejected: nothing to load into %3, and nothing was changed (the compression policy "
                                     "was not paused).")
                          .arg(CsvLoader::rowsReadText(res.load.rowsRead)).arg(res.load.rowsRejected).arg(ht.qualifiedName());
        return false; // (completed: res.outcome stays Completed)
    }
    for (const BackfillPlan::ChunkStep &s : std::as_const(res.plan.chunks)) {
        RangeGroup probe;
        probe.range = s.chunk;
        auto it = groups.find(probe.key());
        if (it != groups.end())
            it->second.steps << s;
    }
    for (auto &[k, g] : groups)
        ordered << g;
    std::sort(ordered.begin(), ordered.end(), [](const RangeGroup &a, const RangeGroup &b) {
        return a.range.integerRange ? a.range.rangeStartInteger < b.range.rangeStartInteger : a.range.rangeStart < b.range.rangeStart;
    });
    return true;
}

bool BackfillRun::exportScript()
{
    const QString blocker = BackfillEngine::exportBlocker(res);
    if (!blocker.isEmpty())
        return fail(CsvLoader::Outcome::InputError,
                    recovered.isEmpty() ? blocker
                                        : blocker + QStringLiteral(" (That interrupted backfill was finished first on the server: %1.)")
                                                        .arg(recovered.join(QStringLiteral("; "))));
    QString integerNow;
    if (integerTime && !integerNowFunction(db, ht.schema, ht.name, &integerNow, &e))
        return fail(outcomeOf(e), e.message, e);
    QueryResult path;
    if (!exec(QStringLiteral("SELECT array_to_string(ARRAY(SELECT quote_ident(s) FROM unnest(current_schemas(false)) s), ', ')"), {}, &path,
              &e, QStringLiteral("read the search path")))
        return fail(outcomeOf(e), e.message, e);
    const QString searchPath = path.value(0, 0);
    const BackfillEngine::Script script = BackfillEngine::exportSql(res.plan, res.load, options.load.csvPath, integerNow,
                                                                    searchPath.isNull() ? QStringLiteral("") : searchPath);
    QSaveFile f(options.exportSqlPath);
    auto cannotWrite = [&] {
        return fail(CsvLoader::Outcome::InputError,
                    QStringLiteral("Cannot write the script %1: %2. Nothing was changed.").arg(options.exportSqlPath, f.errorString()));
    };
    if (!f.open(QIODevice::WriteOnly) || f.write(script.beforeRows.toUtf8()) < 0)
        return cannotWrite();
    // The staged rows, read back as the server stores them (the run's conversions included), in
    // the file's order, a page at a time; ISO dates and exact floats whatever the session's settings.
    const int columns = int(res.load.mapping.size());
    QStringList names{QStringLiteral("bfs_line")};
    for (int i = 0; i < columns; ++i)
        names << QStringLiteral("c%1").arg(i);
    // (extra_float_digits 3: exact floats before PostgreSQL 12 too; from 12 on, any value above 0
    // gives the shortest exact form)
    if (!db.execScript(QStringLiteral("BEGIN; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; "
                                      "SET LOCAL extra_float_digits = 3; "
                                      "DECLARE bfs_export NO SCROLL CURSOR FOR SELECT %1 FROM %2 ORDER BY bfs_line")
                           .arg(names.join(QStringLiteral(", ")), stage),
                       &e, QStringLiteral("read the staged rows"))) {
        execCleanup(QStringLiteral("ROLLBACK"), {}, nullptr, QStringLiteral("end the read"));
        return fail(outcomeOf(e), e.message, e);
    }
    // Pages of 1000 rows, or of about 4 MiB of text when rows are wide: one INSERT each.
    int pageRows = 1000;
    for (;;) {
        if (cancelled()) {
            execCleanup(QStringLiteral("ROLLBACK"), {}, nullptr, QStringLiteral("end the read"));
            f.cancelWriting();
            e = DbError();
            e.kind = DbError::Kind::Cancelled;
            return fail(CsvLoader::Outcome::Cancelled, QStringLiteral("Cancelled: no script was written."), e);
        }
        QueryResult page;
        if (!db.exec(QStringLiteral("FETCH %1 FROM bfs_export").arg(pageRows), {}, &page, &e, QStringLiteral("read the staged rows"))) {
            execCleanup(QStringLiteral("ROLLBACK"), {}, nullptr, QStringLiteral("end the read"));
            return fail(outcomeOf(e), e.message, e);
        }
        if (page.rowCount() == 0)
            break;
        QList<QStringList> rows;
        rows.reserve(page.rowCount());
        for (int r = 0; r < page.rowCount(); ++r) {
            QStringList row;
            for (int c = 0; c <= columns; ++c)
                row << (page.isNull(r, c) ? QString() : page.value(r, c));
            rows << row;
        }
        const QByteArray sql = BackfillEngine::stageRowsSql(rows, columns).toUtf8();
        if (f.write(sql) < 0) {
            execCleanup(QStringLiteral("ROLLBACK"), {}, nullptr, QStringLiteral("end the read"));
            return cannotWrite();
        }
        const qint64 perRow = qMax<qint64>(1, sql.size() / page.rowCount());
        pageRows = int(qBound(qint64(1), (qint64(4) << 20) / perRow, qint64(1000)));
    }
    execCleanup(QStringLiteral("COMMIT"), {}, nullptr, QStringLiteral("end the read"));
    if (f.write(script.afterRows.toUtf8()) < 0 || !f.commit())
        return cannotWrite();
    res.exportedSqlPath = options.exportSqlPath;
    return true;
}

} // namespace bfs
