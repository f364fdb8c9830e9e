#include "BackfillEngine.h"

#include "Database.h"
#include "Journal.h"
#include "LockHolders.h"
#include "ServerInspector.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QThread>

#include <QCoreApplication>

#include <map>
#ifdef Q_OS_UNIX
#include <signal.h>
#endif

namespace bfs {

namespace {

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
}

// One time range of the hypertable: with space partitions several chunks share it.
struct RangeGroup
{
    ChunkInfo range; // bounds (first chunk of the range)
    QList<BackfillPlan::ChunkStep> steps;
    qint64 rows = 0;
    bool decompress() const
    {
        for (const auto &s : steps)
            if (s.action == BackfillPlan::Action::DecompressInsertRecompress)
                return true;
        return false;
    }
    bool directOnCompressed() const
    {
        for (const auto &s : steps)
            if (s.action == BackfillPlan::Action::DirectInsert && s.chunk.isCompressed())
                return true;
        return false;
    }
    QString key() const
    {
        return range.integerRange ? QStringLiteral("%1-%2").arg(range.rangeStartInteger).arg(range.rangeEndInteger)
                                  : QStringLiteral("%1-%2").arg(range.rangeStart.toMSecsSinceEpoch()).arg(range.rangeEnd.toMSecsSinceEpoch());
    }
};

QString runKey(const QString &target, const QString &server, const QString &csvPath)
{
    const QFileInfo fi(csvPath);
    const QString id = QStringLiteral("%1|%2|%3|%4|%5")
                           .arg(server, target, fi.absoluteFilePath())
                           .arg(fi.size())
                           .arg(fi.lastModified().toMSecsSinceEpoch());
    return QString::fromLatin1(QCryptographicHash::hash(id.toUtf8(), QCryptographicHash::Sha256).toHex().left(32));
}

QString serverId(const Database &db)
{
    const ConnectionProfile &p = db.profile();
    return QStringLiteral("%1:%2/%3").arg(p.host, QString::number(p.port), p.database);
}

// Compresses the chunks of [from, to] that are not compressed and that the compression
// policy would compress now (range_end older than compress_after).
bool compressPolicyRange(Database &db, const QString &schema, const QString &name, const QString &compressAfter,
                         const QDateTime &from, const QDateTime &to, QStringList *actions, DbError *error)
{
    QueryResult r;
    if (!db.exec(QStringLiteral("SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks "
                                "WHERE hypertable_schema = $1 AND hypertable_name = $2 AND NOT is_compressed "
                                "AND range_end <= now() - $3::interval AND range_end > $4::timestamptz AND range_start <= $5::timestamptz "
                                "ORDER BY range_start"),
                 {schema, name, compressAfter, isoUtc(from), isoUtc(to)}, &r, error, QStringLiteral("find chunks to compress")))
        return false;
    bool ok = true;
    for (int i = 0; i < r.rowCount(); ++i) {
        const QString chunk = r.value(i, 0);
        if (db.exec(QStringLiteral("SELECT compress_chunk($1::regclass, true)"), {chunk}, nullptr, error,
                    QStringLiteral("compress %1").arg(chunk)))
            *actions << QStringLiteral("compressed new chunk %1").arg(chunk);
        else
            ok = false;
    }
    return ok;
}

} // namespace

BackfillEngine::BackfillEngine(Options options)
    : m_options(std::move(options))
{
}

BackfillEngine::Result BackfillEngine::run(Database &db, const std::atomic<bool> *cancel, const ProgressFn &progress,
                                           const LogFn &log)
{
    // A lost connection (network, admin shutdown, server restart) is retried with backoff:
    // reconnect, recover what the interrupted attempt left, and resume from the journal.
    Result res;
    for (int attempt = 0; attempt < 3; ++attempt) {
        res = runOnce(db, cancel, progress, log);
        if (res.outcome != CsvLoader::Outcome::ConnectionError || (cancel && cancel->load()) || m_options.planOnly)
            return res;
        const int waitMs = 500 << attempt;
        if (log)
            log(QStringLiteral("-- connection lost (%1); retrying in %2 ms").arg(res.message.simplified()).arg(waitMs));
        QThread::msleep(waitMs);
        DbError reopen;
        db.close();
        if (!db.open(&reopen))
            continue;
    }
    return res;
}

BackfillEngine::Result BackfillEngine::runOnce(Database &db, const std::atomic<bool> *cancel, const ProgressFn &progress,
                                               const LogFn &log)
{
    Result res;
    const CsvLoader::Options &lo = m_options.load;
    auto cancelled = [cancel] { return cancel && cancel->load(); };
    auto exec = [&](const QString &sql, const QStringList &params, QueryResult *r, DbError *e, const QString &ctx) {
        res.statements << sql;
        if (log)
            log(sql);
        return db.exec(sql, params, r, e, ctx);
    };
    auto fail = [&res](CsvLoader::Outcome o, const QString &message, const DbError &e = DbError()) {
        res.outcome = o;
        res.message = message;
        res.error = e;
        return res;
    };
    auto report = [&](const Progress &p) {
        if (progress)
            progress(p);
    };
    QElapsedTimer timer;
    timer.start();

    // 0. An earlier run on this server that died is finished first (policy, compression).
    const QString journalDirectory = m_options.journalDirectory.isEmpty() ? Journal::defaultDirectory() : m_options.journalDirectory;
    {
        QStringList actions;
        DbError recoverError;
        if (!recover(db, journalDirectory, &actions, &recoverError))
            return fail(CsvLoader::Outcome::ServerError,
                        QStringLiteral("An interrupted earlier backfill could not be recovered: %1").arg(recoverError.message), recoverError);
        for (const QString &a : std::as_const(actions))
            if (log)
                log(QStringLiteral("-- recover: ") + a);
    }

    // 1. What the server and the hypertable look like, and whether we may change them.
    ServerInspector::Options io;
    io.table = lo.table;
    const ServerInspection in = ServerInspector::inspect(db, io);
    if (!in.ok())
        return fail(in.error.kind == DbError::Kind::Unreachable ? CsvLoader::Outcome::ConnectionError : CsvLoader::Outcome::InputError,
                    in.error.message, in.error);
    const HypertableInfo ht = in.hypertables.first();
    const DimensionInfo *timeDim = ht.timeDimension();
    if (!timeDim)
        return fail(CsvLoader::Outcome::InputError, QStringLiteral("%1 has no time dimension").arg(ht.qualifiedName()));

    BackfillPlanner::Input pin;
    pin.version = in.timescaleVersion;
    pin.license = in.license;
    pin.hypertable = ht;
    pin.conflict = lo.conflict;
    pin.overrides = m_options.overrides;
    pin.currentUser = in.user;
    QueryResult r;
    DbError e;
    const PolicyJob *policy = ht.compressionPolicy();
    if (!exec(QStringLiteral("SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                             "  OR pg_has_role(current_user, $1::name, 'MEMBER') AS owns, "
                             "  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                             "  OR pg_has_role(current_user, coalesce($2, current_user)::name, 'MEMBER') AS job_member, "
                             "  coalesce(current_setting('timescaledb.enable_dml_decompression', true), 'on') <> 'off' AS dml"),
              {ht.owner, policy ? policy->owner : QString()}, &r, &e, QStringLiteral("check privileges")))
        return fail(CsvLoader::Outcome::ServerError, e.message, e);
    pin.ownsHypertable = r.boolValue(0, QStringLiteral("owns"));
    pin.memberOfJobOwner = r.boolValue(0, QStringLiteral("job_member"));
    pin.dmlDecompressionEnabled = r.boolValue(0, QStringLiteral("dml"));
    pin.continuousAggregates = ht.continuousAggregates;

    // Privileges are checked before the file is even read: nothing changes if they are missing.
    {
        BackfillPlanner::Input pre = pin;
        const BackfillPlan check = BackfillPlanner::plan(pre);
        if (!check.runnable() && !m_options.planOnly) {
            res.plan = check;
            res.planned = true;
            return fail(CsvLoader::Outcome::ServerError,
                        QStringLiteral("Nothing was changed: %1.").arg(check.blockers.join(QStringLiteral("; "))));
        }
    }

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
    const QString stage = res.load.stageTable;
    const qint64 staged = res.load.rowsRead - res.load.rowsRejected;
    auto dropStage = [&] {
        DbError ignored;
        if (db.isOpen())
            db.execScript(QStringLiteral("DROP TABLE IF EXISTS %1").arg(stage), &ignored);
    };

    QString timeStage;
    QStringList targetCols, stageCols, keyStage, keyTarget;
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
    // Each chunk's rows are picked by time range: index the staged times once (no ANALYZE: the
    // planner's estimate from the table's size already picks the index for a chunk's range).
    exec(QStringLiteral("CREATE INDEX ON %1 (%2)").arg(stage, timeStage), {}, nullptr, &e, QStringLiteral("index the staged rows"));
    const bool integerTime = timeDim->isIntegerTime();
    const QString cast = integerTime ? QStringLiteral("bigint") : QStringLiteral("timestamptz");
    auto rangeWhere = [&](const ChunkInfo &c, QStringList *params) {
        const int n = int(params->size());
        *params << (integerTime ? QString::number(c.rangeStartInteger) : isoUtc(c.rangeStart))
                << (integerTime ? QString::number(c.rangeEndInteger) : isoUtc(c.rangeEnd));
        return QStringLiteral("%1 >= $%2::%4 AND %1 < $%3::%4").arg(timeStage).arg(n + 1).arg(n + 2).arg(cast);
    };

    // Rows outside every chunk that existed before the run (they create new chunks).
    auto outsideWhere = [&](QStringList *params) {
        QStringList starts, ends;
        for (const ChunkInfo &c : ht.chunks) {
            starts << (integerTime ? QString::number(c.rangeStartInteger) : QLatin1Char('"') + isoUtc(c.rangeStart) + QLatin1Char('"'));
            ends << (integerTime ? QString::number(c.rangeEndInteger) : QLatin1Char('"') + isoUtc(c.rangeEnd) + QLatin1Char('"'));
        }
        const int n = int(params->size());
        *params << QLatin1Char('{') + starts.join(QLatin1Char(',')) + QLatin1Char('}')
                << QLatin1Char('{') + ends.join(QLatin1Char(',')) + QLatin1Char('}');
        return QStringLiteral("NOT EXISTS (SELECT 1 FROM unnest($%2::%4[], $%3::%4[]) AS r(a, b) WHERE %1 >= r.a AND %1 < r.b)")
            .arg(timeStage).arg(n + 1).arg(n + 2).arg(cast);
    };

    // 3. A re-run of an interrupted backfill skips the ranges that run completed.
    const QString key = runKey(ht.qualifiedName(), serverId(db), lo.csvPath);
    const QString journalDir = journalDirectory;
    QSet<QString> doneRanges;
    QStringList ledgers;
    qint64 resumedRows = 0;
    {
        QDir dir(journalDir);
        QHash<QString, QJsonObject> commits; // range -> its "commit" entry (transaction id, bounds)
        for (const QString &n : dir.entryList({QStringLiteral("*.recovered")}, QDir::Files)) {
            QJsonObject header;
            QList<Journal::Entry> entries;
            QString err;
            if (!Journal::read(dir.filePath(n), &header, &entries, &err) || header.value(QStringLiteral("run_key")).toString() != key)
                continue;
            ledgers << dir.filePath(n);
            for (const Journal::Entry &en : entries) {
                const QString range = en.data.value(QStringLiteral("range")).toString();
                if (en.step == QLatin1String("commit"))
                    commits.insert(range, en.data);
                else if (en.step == QLatin1String("chunk_done") || en.step == QLatin1String("new_rows_done"))
                    doneRanges.insert(range);
            }
        }
        // A COMMIT whose answer never arrived (crash, lost connection): the server knows whether
        // that transaction committed.
        for (auto it = commits.cbegin(); it != commits.cend(); ++it) {
            if (doneRanges.contains(it.key()))
                continue;
            const QString xid = it.value().value(QStringLiteral("xid")).toString();
            if (!xid.isEmpty() && exec(QStringLiteral("SELECT txid_status($1::bigint)"), {xid}, &r, &e, QStringLiteral("check transaction %1").arg(xid))
                && r.value(0, 0) == QLatin1String("committed")) {
                doneRanges.insert(it.key());
                if (log)
                    log(QStringLiteral("-- range %1 was committed by the interrupted run (transaction %2)").arg(it.key(), xid));
            }
        }
        // Rows that went into new chunks: outside every chunk that existed when that run began.
        if (doneRanges.contains(QStringLiteral("new")) && commits.contains(QStringLiteral("new"))) {
            const QJsonObject c = commits.value(QStringLiteral("new"));
            const QStringList params{c.value(QStringLiteral("outside_starts")).toString(), c.value(QStringLiteral("outside_ends")).toString()};
            if (exec(QStringLiteral("DELETE FROM %1 WHERE NOT EXISTS (SELECT 1 FROM unnest($1::%3[], $2::%3[]) AS r(a, b) WHERE %2 >= r.a AND %2 < r.b)")
                         .arg(stage, timeStage, cast),
                     params, &r, &e, QStringLiteral("skip the rows loaded into new chunks")))
                resumedRows += r.commandTag.section(QLatin1Char(' '), -1).toLongLong();
            else {
                dropStage();
                return fail(CsvLoader::Outcome::ServerError, e.message, e);
            }
        }
    }

    // 4. Summarise the staged rows per existing chunk range.
    report(Progress{QStringLiteral("plan"), 0, 0, 0, staged, QString()});
    std::map<QString, RangeGroup> groups; // ordered by key text is not time order; sorted below
    QList<ChunkInfo> ranges;
    for (const ChunkInfo &c : ht.chunks) {
        bool seen = false;
        for (const ChunkInfo &x : std::as_const(ranges))
            seen = seen || (x.rangeStart == c.rangeStart && x.rangeEnd == c.rangeEnd && x.rangeStartInteger == c.rangeStartInteger
                             && x.rangeEndInteger == c.rangeEndInteger);
        if (!seen)
            ranges << c;
    }
    StageSummary sum;
    sum.stagedRows = staged;
    sum.integerTime = integerTime;
    {
        // One pass over the staged rows: counts per chunk-interval bucket, mapped to ranges here.
        QString bucket;
        QStringList params;
        if (integerTime) {
            bucket = QStringLiteral("(%1 - (((%1 %% $1::bigint) + $1::bigint) %% $1::bigint))").arg(timeStage).replace(QStringLiteral("%%"), QStringLiteral("%"));
            params << QString::number(timeDim->integerInterval);
        } else {
            bucket = QStringLiteral("time_bucket(make_interval(secs => $1::double precision / 1000000), %1)").arg(timeStage);
            params << QString::number(timeDim->intervalMicroseconds);
        }
        const QString sql = integerTime
            ? QStringLiteral("SELECT %1 AS b, NULL AS b_ms, count(*) AS n FROM %2 GROUP BY 1 ORDER BY 1").arg(bucket, stage)
            : QStringLiteral("SELECT NULL AS b, (extract(epoch FROM %1) * 1000)::bigint AS b_ms, count(*) AS n FROM %2 GROUP BY 1, 2 ORDER BY 2")
                  .arg(bucket, stage);
        if (!exec(sql, params, &r, &e, QStringLiteral("summarise the staged rows"))) {
            dropStage();
            return fail(CsvLoader::Outcome::ServerError, e.message, e);
        }
        for (int i = 0; i < r.rowCount(); ++i) {
            const qint64 n = r.intValue(i, QStringLiteral("n"));
            const qint64 b = integerTime ? r.intValue(i, QStringLiteral("b")) : r.intValue(i, QStringLiteral("b_ms"));
            const ChunkInfo *hit = nullptr;
            for (const ChunkInfo &c : std::as_const(ranges)) {
                const bool inside = integerTime ? (b >= c.rangeStartInteger && b < c.rangeEndInteger)
                                                : (b >= c.rangeStart.toMSecsSinceEpoch() && b < c.rangeEnd.toMSecsSinceEpoch());
                if (inside) {
                    hit = &c;
                    break;
                }
            }
            if (!hit) {
                sum.rowsOutsideChunks += n;
            } else {
                RangeGroup probe;
                probe.range = *hit;
                RangeGroup &grp = groups[probe.key()];
                grp.range = *hit;
                grp.rows += n;
            }
            if (integerTime) {
                sum.minInteger = i == 0 ? b : qMin(sum.minInteger, b);
                sum.maxInteger = qMax(sum.maxInteger, b + timeDim->integerInterval);
            }
        }
        if (!integerTime && exec(QStringLiteral("SELECT (extract(epoch FROM min(%1)) * 1000)::bigint AS lo, "
                                                "(extract(epoch FROM max(%1)) * 1000)::bigint AS hi FROM %2").arg(timeStage, stage),
                                 {}, &r, &e, QStringLiteral("find the staged time range")) && !r.isNull(0, QStringLiteral("lo"))) {
            sum.minTime = QDateTime::fromMSecsSinceEpoch(r.intValue(0, QStringLiteral("lo")), Qt::UTC);
            sum.maxTime = QDateTime::fromMSecsSinceEpoch(r.intValue(0, QStringLiteral("hi")), Qt::UTC);
        }
    }
    // Ranges an interrupted run already completed: their rows were loaded then.
    for (auto it = groups.begin(); it != groups.end();) {
        if (doneRanges.contains(it->first)) {
            QStringList params;
            const QString where = rangeWhere(it->second.range, &params);
            if (exec(QStringLiteral("DELETE FROM %1 WHERE %2").arg(stage, where), params, &r, &e, QStringLiteral("skip a completed range")))
                resumedRows += r.commandTag.section(QLatin1Char(' '), -1).toLongLong();
            it = groups.erase(it);
        } else {
            ++it;
        }
    }
    for (auto &[k, g] : groups) {
        for (const ChunkInfo &c : ht.chunks)
            if (c.rangeStart == g.range.rangeStart && c.rangeEnd == g.range.rangeEnd && c.rangeStartInteger == g.range.rangeStartInteger
                && c.rangeEndInteger == g.range.rangeEndInteger)
                sum.chunks << StageSummary::ChunkRows{c.schema, c.name, g.rows, -1};
    }
    if (m_options.planOnly && !ht.uniqueKeys.isEmpty()) {
        // Dry-run count: staged rows whose unique key already exists (a real run counts the
        // duplicates it skips instead, and saves this pass over the hypertable).
        QStringList conditions;
        bool covered = !ht.uniqueKeys.isEmpty();
        if (covered) {
            for (const QString &k : ht.uniqueKeys.first().columns) {
                int pos = -1;
                for (int i = 0; i < res.load.mapping.size(); ++i)
                    if (res.load.mapping.at(i).tableColumn == k)
                        pos = i;
                covered = covered && pos >= 0;
                conditions << QStringLiteral("t.%1 = s.c%2").arg(db.quoteIdentifier(k)).arg(pos);
            }
        }
        if (covered && exec(QStringLiteral("SELECT count(*) FROM %1 s WHERE EXISTS (SELECT 1 FROM %2 t WHERE %3)")
                                .arg(stage, db.qualifiedName(ht.schema, ht.name), conditions.join(QStringLiteral(" AND "))),
                            {}, &r, &e, QStringLiteral("count rows that already exist")))
            sum.existingRows = r.intValue(0, 0);
    }

    // 5. Plan.
    pin.summary = sum;
    res.plan = BackfillPlanner::plan(pin);
    res.planned = true;
    res.secondsPlan = timer.restart() / 1000.0;
    if (m_options.planOnly) {
        dropStage();
        res.load.rowsExisting = sum.existingRows;
        res.message = QStringLiteral("Dry run: %1 rows staged, nothing was changed.").arg(staged);
        return res;
    }
    if (!res.plan.runnable()) {
        dropStage();
        return fail(CsvLoader::Outcome::ServerError,
                    QStringLiteral("Nothing was changed: %1.").arg(res.plan.blockers.join(QStringLiteral("; "))));
    }
    for (const BackfillPlan::ChunkStep &s : std::as_const(res.plan.chunks)) {
        RangeGroup probe;
        probe.range = s.chunk;
        auto it = groups.find(probe.key());
        if (it != groups.end())
            it->second.steps << s;
    }
    QList<RangeGroup> ordered;
    for (auto &[k, g] : groups)
        ordered << g;
    std::sort(ordered.begin(), ordered.end(), [](const RangeGroup &a, const RangeGroup &b) {
        return a.range.integerRange ? a.range.rangeStartInteger < b.range.rangeStartInteger : a.range.rangeStart < b.range.rangeStart;
    });

    // 6. The journal comes first: from here on, every state change is written down before it happens.
    Journal journal;
    {
        QJsonObject h;
        h[QStringLiteral("run_key")] = key;
        h[QStringLiteral("server")] = serverId(db);
        h[QStringLiteral("target")] = ht.qualifiedName();
        h[QStringLiteral("csv")] = QFileInfo(lo.csvPath).absoluteFilePath();
        h[QStringLiteral("timescaledb")] = in.timescaleVersion.text;
        QJsonArray chunks;
        for (const ChunkInfo &c : ht.chunks)
            if (c.isCompressed()) {
                QJsonObject o;
                o[QStringLiteral("chunk")] = c.qualifiedName();
                o[QStringLiteral("state")] = ChunkInfo::stateName(c.state);
                chunks << o;
            }
        h[QStringLiteral("compressed_before")] = chunks;
        if (sum.minTime.isValid() && res.plan.compressNewChunks) {
            h[QStringLiteral("min_time")] = isoUtc(sum.minTime);
            h[QStringLiteral("max_time")] = isoUtc(sum.maxTime);
            h[QStringLiteral("compress_after")] = res.plan.compressAfter;
            h[QStringLiteral("hypertable_schema")] = ht.schema;
            h[QStringLiteral("hypertable_name")] = ht.name;
        }
        QString err;
        if (!journal.create(journalDir, h, &err)) {
            dropStage();
            return fail(CsvLoader::Outcome::InputError, err);
        }
        res.journalPath = journal.path();
    }

    bool failed = false;
    auto stopWith = [&](CsvLoader::Outcome o, const QString &message, const DbError &err = DbError()) {
        failed = true;
        res.outcome = o;
        res.message = message;
        res.error = err;
    };
    auto outcomeOf = [&](const DbError &err) {
        if (cancelled() || err.kind == DbError::Kind::Cancelled)
            return CsvLoader::Outcome::Cancelled;
        return err.kind == DbError::Kind::Unreachable ? CsvLoader::Outcome::ConnectionError : CsvLoader::Outcome::ServerError;
    };
    auto reconnect = [&] {
        if (log)
            log(QStringLiteral("-- connection lost; reconnecting"));
        DbError reopen;
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (db.open(&reopen))
                return true;
            QThread::msleep(200 << attempt);
        }
        return false;
    };
    // Putting compression and the policy back survives a lost connection: reconnect, run it again.
    auto execCleanup = [&](const QString &sql, const QStringList &params, QueryResult *out, const QString &ctx) {
        if (exec(sql, params, out, &e, ctx))
            return true;
        return e.kind == DbError::Kind::Unreachable && reconnect() && exec(sql, params, out, &e, ctx);
    };

    // 7. Pause the policy.
    if (res.plan.pausePolicy) {
        res.policyJob = res.plan.policy.jobId;
        QJsonObject o;
        o[QStringLiteral("job_id")] = res.plan.policy.jobId;
        o[QStringLiteral("was_scheduled")] = true;
        journal.write(QStringLiteral("policy_pause"), o);
        if (exec(QStringLiteral("SELECT alter_job($1::integer, scheduled => false)"), {QString::number(res.plan.policy.jobId)}, nullptr, &e,
                 QStringLiteral("pause compression policy job %1").arg(res.plan.policy.jobId)))
            res.policyPaused = true;
        else
            stopWith(CsvLoader::Outcome::ServerError, e.message, e);
        journal.write(QStringLiteral("policy_paused"), o);
    } else if (res.plan.hasPolicy) {
        res.policyJob = res.plan.policy.jobId;
    }
    for (const QString &setting : std::as_const(res.plan.sessionSettings))
        if (!failed && !exec(setting, {}, nullptr, &e, QStringLiteral("session settings")))
            stopWith(CsvLoader::Outcome::ServerError, e.message, e);

    // 8. Move the rows, one transaction per chunk range.
    CsvLoader::InsertSpec spec;
    spec.target = db.qualifiedName(ht.schema, ht.name);
    spec.targetColumns = targetCols;
    spec.stage = stage;
    spec.stageColumns = stageCols;
    spec.conflict = lo.conflict;
    spec.keyStageColumns = keyStage;
    spec.keyTargetColumns = keyTarget;
    qint64 moved = 0;
    qint64 written = 0;
    QSet<QString> touchedCompressed; // chunks whose compression must be put back
    const int total = int(ordered.size()) + (sum.rowsOutsideChunks > 0 ? 1 : 0);
    int index = 0;
    int completedRanges = 0;
    bool commitUnknown = false; // the connection was lost during a COMMIT
    QElapsedTimer moveTimer;
    moveTimer.start();
    // Every range runs the same INSERT with its own bounds: parsed once per connection. The
    // name is the run's own (a single-session server keeps prepared statements across clients).
    const QString movePlan = stage + QStringLiteral("_insert");
    QString preparedSql;
    auto execRepeated = [&](const QString &sql, const QStringList &params, QueryResult *out, DbError *err, const QString &ctx) {
        if (sql != preparedSql) {
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
        }
        QStringList literals;
        for (const QString &p : params)
            literals << QLatin1Char('\'') + QString(p).replace(QLatin1Char('\''), QStringLiteral("''")) + QLatin1Char('\'');
        const QString shown = QStringLiteral("EXECUTE %1(%2)").arg(movePlan, literals.join(QStringLiteral(", ")));
        res.statements << shown;
        if (log)
            log(shown);
        return db.execPrepared(movePlan, params, out, err, ctx);
    };
    auto runRange = [&](const RangeGroup *g) -> bool {
        ++index;
        const QString label = g ? g->steps.value(0).chunk.name : QStringLiteral("new chunks");
        report(Progress{QStringLiteral("move"), index, total, moved, staged, label});
        if (cancelled()) {
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
        journal.write(g ? QStringLiteral("chunk_begin") : QStringLiteral("new_rows_begin"), o);
        if (!exec(QStringLiteral("BEGIN"), {}, nullptr, &e, QStringLiteral("begin")))
            return false;
        bool ok = true;
        QString failing = label;
        if (g) {
            for (const auto &s : g->steps) {
                if (s.chunk.isCompressed())
                    touchedCompressed.insert(s.chunk.qualifiedName());
                if (ok && s.action == BackfillPlan::Action::DecompressInsertRecompress) {
                    failing = s.chunk.qualifiedName();
                    ok = exec(QStringLiteral("SELECT decompress_chunk($1::regclass, true)"), {s.chunk.qualifiedName()}, nullptr, &e,
                              QStringLiteral("decompress %1").arg(s.chunk.qualifiedName()));
                }
            }
        }
        QueryResult ins;
        if (ok) {
            failing = g ? g->steps.value(0).chunk.qualifiedName() : label;
            // The insert also returns the transaction id, which goes into the journal before COMMIT:
            // if the answer to COMMIT is lost, the next run asks the server (txid_status) whether
            // this range committed.
            const QString sql = QStringLiteral("WITH moved AS (%1 RETURNING 1) SELECT count(*) AS inserted, txid_current() AS xid FROM moved")
                                    .arg(CsvLoader::insertStatement(rs));
            const QString context = QStringLiteral("insert into %1").arg(failing);
            ok = g ? execRepeated(sql, params, &ins, &e, context) : exec(sql, params, &ins, &e, context);
        }
        if (g) {
            // Compressed again in the same transaction: the chunk is never left decompressed.
            for (const auto &s : g->steps) {
                if (ok && res.plan.recompressInTransaction(s)) {
                    failing = s.chunk.qualifiedName();
                    ok = exec(QStringLiteral("SELECT compress_chunk($1::regclass, true)"), {failing}, nullptr, &e,
                              QStringLiteral("compress %1").arg(failing));
                }
            }
        }
        if (ok) {
            o[QStringLiteral("xid")] = ins.value(0, QStringLiteral("xid"));
            journal.write(QStringLiteral("commit"), o);
            ok = exec(QStringLiteral("COMMIT"), {}, nullptr, &e, QStringLiteral("commit %1").arg(failing));
            commitUnknown = !ok && e.kind == DbError::Kind::Unreachable;
            if (ok)
                Journal::crashIfAt(QStringLiteral("after_commit"));
        }
        if (!ok) {
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
            }
            return false;
        }
        const qint64 rows = g ? g->rows : sum.rowsOutsideChunks;
        const qint64 inserted = ins.intValue(0, QStringLiteral("inserted"));
        moved += rows;
        written += inserted;
        ++completedRanges;
        if (g) {
            for (const auto &s : g->steps)
                res.chunks << ChunkResult{s.chunk.qualifiedName(), BackfillPlan::actionName(s.action), rows, inserted,
                                          s.chunk.isCompressed(), false};
        } else {
            res.newChunkRows = rows;
        }
        o[QStringLiteral("rows")] = double(rows);
        o[QStringLiteral("inserted")] = double(inserted);
        journal.write(g ? QStringLiteral("chunk_done") : QStringLiteral("new_rows_done"), o);
        return true;
    };
    for (const RangeGroup &g : std::as_const(ordered)) {
        if (failed)
            break;
        if (cancelled()) {
            stopWith(CsvLoader::Outcome::Cancelled, QString());
            break;
        }
        if (!runRange(&g))
            stopWith(outcomeOf(e), e.message, e);
    }
    if (!failed && sum.rowsOutsideChunks > 0) {
        if (cancelled())
            stopWith(CsvLoader::Outcome::Cancelled, QString());
        else if (!runRange(nullptr))
            stopWith(outcomeOf(e), e.message, e);
    }
    res.secondsMove = moveTimer.elapsed() / 1000.0;
    if (!preparedSql.isEmpty())
        db.deallocate(movePlan);

    // 9. In every outcome: put compression back, resume the policy.
    if (!db.isOpen())
        reconnect();
    report(Progress{QStringLiteral("recompress"), index, total, moved, staged, QString()});
    QElapsedTimer rt;
    rt.start();
    bool cleanupOk = db.isOpen();
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
                ok = execCleanup(QStringLiteral("CALL recompress_chunk($1::regclass)"), {chunk}, nullptr, QStringLiteral("recompress %1").arg(chunk));
            if (!ok) {
                cleanupOk = false;
                if (!failed)
                    stopWith(outcomeOf(e), e.message, e);
            } else {
                journal.write(QStringLiteral("recompressed"), o);
            }
        }
    }
    if (cleanupOk && res.plan.compressNewChunks && !integerTime && !res.plan.compressAfter.isEmpty() && sum.minTime.isValid()) {
        // Chunks of the backfilled range that the policy would compress now, as run_job would.
        QStringList actions;
        QJsonObject o;
        o[QStringLiteral("from")] = isoUtc(sum.minTime);
        o[QStringLiteral("to")] = isoUtc(sum.maxTime);
        journal.write(QStringLiteral("compress_new"), o);
        bool ok = compressPolicyRange(db, ht.schema, ht.name, res.plan.compressAfter, sum.minTime, sum.maxTime, &actions, &e);
        if (!ok && e.kind == DbError::Kind::Unreachable && reconnect())
            ok = compressPolicyRange(db, ht.schema, ht.name, res.plan.compressAfter, sum.minTime, sum.maxTime, &actions, &e);
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
    }
    if (cleanupOk && !failed && !res.plan.continuousAggregates.isEmpty() && sum.minTime.isValid()) {
        const QDateTime from = QDateTime(QDate(sum.minTime.date().year(), sum.minTime.date().month(), 1), QTime(0, 0), Qt::UTC);
        const QDateTime to = QDateTime(QDate(sum.maxTime.date().year(), sum.maxTime.date().month(), 1), QTime(0, 0), Qt::UTC).addMonths(1);
        for (const QString &cagg : std::as_const(res.plan.continuousAggregates))
            execCleanup(QStringLiteral("CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz)"),
                        {cagg, isoUtc(from), isoUtc(to)}, nullptr, QStringLiteral("refresh %1").arg(cagg));
    }

    // 10. Reconcile and report.
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
    if (db.isOpen()) {
        DbError ignored;
        db.execScript(QStringLiteral("RESET lock_timeout; RESET timescaledb.max_tuples_decompressed_per_dml_transaction"), &ignored);
    }
    dropStage();
    if (!failed) {
        res.load.rowsLoaded = written;
        res.load.rowsDuplicate = staged - written; // includes rows loaded by an interrupted earlier run
        res.message = QStringLiteral("%1 rows read: %2 loaded, %3 skipped as duplicates, %4 rejected.")
                          .arg(res.load.rowsRead).arg(written).arg(res.load.rowsDuplicate).arg(res.load.rowsRejected);
        if (resumedRows > 0)
            res.message += QStringLiteral(" %1 rows were loaded by the interrupted earlier run.").arg(resumedRows);
        for (const QString &l : std::as_const(ledgers))
            Journal::remove(l);
    } else {
        res.load.rowsLoaded = written;
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
        res.message = (res.outcome == CsvLoader::Outcome::Cancelled ? QStringLiteral("Cancelled.") : res.message)
            + QLatin1Char(' ') + done + restored;
    }
    if (cleanupOk) {
        if (failed && (written > 0 || commitUnknown)) {
            // Keep the completed ranges as a ledger for the re-run.
            journal.write(QStringLiteral("stopped"));
            const QString ledger = journal.path() + QStringLiteral(".recovered");
            QFile::rename(journal.path(), QString(ledger).replace(QStringLiteral(".journal.recovered"), QStringLiteral(".recovered")));
        } else {
            journal.write(QStringLiteral("finish"));
            journal.finish();
        }
        res.journalPath.clear();
    }
    report(Progress{QStringLiteral("finish"), index, total, moved, staged, QString()});
    return res;
}

bool BackfillEngine::recover(Database &db, const QString &journalDirectory, QStringList *actions, DbError *error)
{
    const QString dir = journalDirectory.isEmpty() ? Journal::defaultDirectory() : journalDirectory;
    const QString server = serverId(db);
    bool allOk = true;
    for (const QString &path : Journal::unfinished(dir)) {
        QJsonObject header;
        QList<Journal::Entry> entries;
        QString err;
        if (!Journal::read(path, &header, &entries, &err)) {
            *actions << QStringLiteral("skipped %1: %2").arg(path, err);
            continue;
        }
        if (header.value(QStringLiteral("server")).toString() != server)
            continue; // another server's journal
        const qint64 pid = qint64(header.value(QStringLiteral("pid")).toDouble());
#ifdef Q_OS_UNIX
        if (pid > 0 && pid != QCoreApplication::applicationPid() && ::kill(pid_t(pid), 0) == 0)
            continue; // a backfill that is still running in another process
#endif
        const QString target = header.value(QStringLiteral("target")).toString();
        *actions << QStringLiteral("recovering the interrupted backfill into %1 (%2)").arg(target, QFileInfo(path).fileName());
        // Chunks that were compressed before: compress whatever is not fully compressed now.
        const QJsonArray chunks = header.value(QStringLiteral("compressed_before")).toArray();
        DbError e;
        QueryResult r;
        for (const QJsonValue &v : chunks) {
            const QString chunk = v.toObject().value(QStringLiteral("chunk")).toString();
            if (!db.exec(QStringLiteral("SELECT c.is_compressed, CASE WHEN to_regprocedure('_timescaledb_functions.chunk_status(regclass)') "
                                        "IS NOT NULL THEN _timescaledb_functions.chunk_status($1::text::regclass) END AS status "
                                        "FROM timescaledb_information.chunks c WHERE format('%I.%I', c.chunk_schema, c.chunk_name) = $1::text"),
                         {chunk}, &r, &e, QStringLiteral("check %1").arg(chunk))
                || r.rowCount() == 0)
                continue;
            const int status = int(r.intValue(0, QStringLiteral("status"), -1));
            if (r.boolValue(0, QStringLiteral("is_compressed")) && !(status >= 0 && (status & 8)))
                continue;
            if (db.exec(QStringLiteral("SELECT compress_chunk($1::regclass, true)"), {chunk}, nullptr, &e, QStringLiteral("compress %1").arg(chunk)))
                *actions << QStringLiteral("compressed %1 again").arg(chunk);
            else {
                *actions << QStringLiteral("could not compress %1: %2").arg(chunk, e.message);
                allOk = false;
                *error = e;
            }
        }
        // Chunks of the backfilled range that the policy would have compressed by now.
        if (header.contains(QStringLiteral("min_time"))) {
            const QDateTime from = QDateTime::fromString(header.value(QStringLiteral("min_time")).toString(), QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
            const QDateTime to = QDateTime::fromString(header.value(QStringLiteral("max_time")).toString(), QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
            if (!compressPolicyRange(db, header.value(QStringLiteral("hypertable_schema")).toString(),
                                     header.value(QStringLiteral("hypertable_name")).toString(),
                                     header.value(QStringLiteral("compress_after")).toString(), QDateTime(from.date(), from.time(), Qt::UTC),
                                     QDateTime(to.date(), to.time(), Qt::UTC), actions, &e)) {
                allOk = false;
                *error = e;
            }
        }
        // The policy: resumed if the run paused it.
        for (const Journal::Entry &en : std::as_const(entries)) {
            if (en.step != QLatin1String("policy_pause"))
                continue;
            const int job = en.data.value(QStringLiteral("job_id")).toInt();
            if (db.exec(QStringLiteral("SELECT alter_job($1::integer, scheduled => true)"), {QString::number(job)}, nullptr, &e,
                        QStringLiteral("resume job %1").arg(job)))
                *actions << QStringLiteral("resumed compression policy job %1").arg(job);
            else {
                *actions << QStringLiteral("could not resume job %1: %2").arg(job).arg(e.message);
                allOk = false;
                *error = e;
            }
        }
        if (allOk) {
            // Keep what was completed as a ledger: re-running the same backfill skips it.
            QFile::rename(path, QString(path).replace(QStringLiteral(".journal"), QStringLiteral(".recovered")));
            *actions << QStringLiteral("done: run the same backfill again to load the rest (completed chunk ranges are skipped)");
        }
    }
    return allOk;
}

} // namespace bfs
