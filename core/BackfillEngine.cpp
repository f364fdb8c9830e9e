#include "BackfillEngine.h"

#include "BackfillRun.h"
#include "Database.h"
#include "Journal.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QLocale>
#include <QLockFile>
#include <QRegularExpression>
#include <QThread>

#include <algorithm>

namespace bfs {

namespace detail {

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
}

bool RangeGroup::decompress() const
{
    for (const auto &s : steps)
        if (s.action == BackfillPlan::Action::DecompressInsertRecompress)
            return true;
    return false;
}

QString RangeGroup::key() const
{
    return range.integerRange ? QStringLiteral("%1-%2").arg(range.rangeStartInteger).arg(range.rangeEndInteger)
                              : QStringLiteral("%1-%2").arg(range.rangeStart.toMSecsSinceEpoch()).arg(range.rangeEnd.toMSecsSinceEpoch());
}

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

QString serverKey(const Database &db)
{
    return db.serverIdentity().isEmpty() ? serverId(db) : db.serverIdentity();
}

bool sameTarget(const QJsonObject &header, const QString &schema, const QString &name)
{
    if (header.contains(QStringLiteral("target_schema")))
        return header.value(QStringLiteral("target_schema")).toString() == schema && header.value(QStringLiteral("target_name")).toString() == name;
    return header.value(QStringLiteral("target")).toString() == schema + QLatin1Char('.') + name;
}

bool sameServer(const QJsonObject &header, const Database &db)
{
    const QString system = header.value(QStringLiteral("system")).toString();
    if (!system.isEmpty() && !db.serverIdentity().isEmpty())
        return system == db.serverIdentity();
    return header.value(QStringLiteral("server")).toString() == serverId(db);
}

bool compressChunks(Database &db, const QueryResult &r, QStringList *actions, DbError *error, const ChunkGate &next);

bool compressPolicyRange(Database &db, const QString &schema, const QString &name, const QString &compressAfter,
                         const QDateTime &from, const QDateTime &to, const QStringList &chunksBefore, QStringList *actions,
                         DbError *error, const ChunkGate &next)
{
    QueryResult r;
    if (!db.exec(QStringLiteral("SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks "
                                "WHERE hypertable_schema = $1 AND hypertable_name = $2 AND NOT is_compressed "
                                "AND range_end <= now() - $3::interval AND range_end > $4::timestamptz AND range_start <= $5::timestamptz "
                                // as ChunkInfo::qualifiedName() writes it (journals before quoting: unquoted)
                                "AND format('%I.%I', chunk_schema, chunk_name) <> ALL ($6::text[]) AND chunk_schema || '.' || chunk_name <> ALL ($6::text[]) "
                                "ORDER BY range_start"),
                 {schema, name, compressAfter, isoUtc(from), isoUtc(to), Database::textArray(chunksBefore)}, &r, error,
                 QStringLiteral("find chunks to compress")))
        return false;
    return compressChunks(db, r, actions, error, next);
}

bool integerNowFunction(Database &db, const QString &schema, const QString &name, QString *function, DbError *error)
{
    // The view gives the function's name only; a name that is not unique among functions
    // without arguments counts as not found.
    QueryResult r;
    if (!db.exec(QStringLiteral("SELECT p.oid::regproc::text FROM timescaledb_information.dimensions d "
                                "JOIN pg_proc p ON p.proname = d.integer_now_func AND p.pronargs = 0 "
                                "WHERE d.hypertable_schema = $1 AND d.hypertable_name = $2 AND d.dimension_type = 'Time'"),
                 {schema, name}, &r, error, QStringLiteral("find the integer_now function")))
        return false;
    *function = r.rowCount() == 1 ? r.value(0, 0) : QString();
    return true;
}

bool compressPolicyRangeInteger(Database &db, const QString &schema, const QString &name, const QString &compressAfter, qint64 from,
                                qint64 to, const QStringList &chunksBefore, QStringList *actions, DbError *error,
                                const ChunkGate &next)
{
    // The policy's "now": the function set_integer_now_func named.
    QString now;
    if (!integerNowFunction(db, schema, name, &now, error))
        return false;
    if (now.isEmpty()) {
        *actions << QStringLiteral("new chunks left to the compression policy: no single integer_now function found");
        return true;
    }
    QueryResult r;
    if (!db.exec(QStringLiteral("SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks "
                                "WHERE hypertable_schema = $1 AND hypertable_name = $2 AND NOT is_compressed "
                                "AND range_end_integer <= %1()::bigint - $3::bigint AND range_end_integer > $4::bigint "
                                "AND range_start_integer < $5::bigint AND format('%I.%I', chunk_schema, chunk_name) <> ALL ($6::text[]) "
                                "ORDER BY range_start_integer").arg(now),
                 {schema, name, compressAfter, QString::number(from), QString::number(to), Database::textArray(chunksBefore)}, &r, error,
                 QStringLiteral("find chunks to compress")))
        return false;
    return compressChunks(db, r, actions, error, next);
}

bool compressChunks(Database &db, const QueryResult &r, QStringList *actions, DbError *error, const ChunkGate &next)
{
    bool ok = true;
    for (int i = 0; i < r.rowCount(); ++i) {
        const QString chunk = r.value(i, 0);
        if (next && !next(i + 1, r.rowCount(), chunk)) {
            *actions << QStringLiteral("%1 new chunk(s) left uncompressed for the compression policy").arg(r.rowCount() - i);
            break;
        }
        DbError chunkError;
        if (db.exec(QStringLiteral("SELECT compress_chunk($1::regclass, true)"), {chunk}, nullptr, &chunkError,
                    QStringLiteral("compress %1").arg(chunk))) {
            *actions << QStringLiteral("compressed new chunk %1").arg(chunk);
        } else {
            if (ok) // the first failure is the one reported
                *error = chunkError;
            ok = false;
        }
    }
    return ok;
}

} // namespace detail

using namespace detail;

BackfillEngine::BackfillEngine(Options options)
    : m_options(std::move(options))
{
}

BackfillEngine::Result BackfillEngine::run(Database &db, const std::atomic<bool> *cancel, const ProgressFn &progress,
                                           const LogFn &log)
{
    // A lost connection (network, admin shutdown, server restart) is retried with backoff:
    // reconnect, recover what the interrupted attempt left, and resume from the journal.
    // Until a new connection is open, the last attempt's account (what it committed, whether the
    // policy is still paused) is what the user gets.
    Result res = runOnce(db, cancel, progress, log);
    for (int retry = 0; retry < 3; ++retry) {
        if (res.outcome != CsvLoader::Outcome::ConnectionError || (cancel && cancel->load()) || m_options.planOnly)
            return res;
        const int waitMs = 500 << retry;
        if (log)
            log(QStringLiteral("-- connection lost (%1); retrying in %2 ms").arg(res.message.simplified(), QString::number(waitMs)));
        QThread::msleep(waitMs);
        DbError reopen;
        db.close();
        if (!db.open(&reopen)) {
            if (log)
                log(QStringLiteral("-- reconnecting failed: %1").arg(reopen.message.simplified()));
            continue;
        }
        res = runOnce(db, cancel, progress, log);
    }
    return res;
}

BackfillEngine::Result BackfillEngine::runOnce(Database &db, const std::atomic<bool> *cancel, const ProgressFn &progress,
                                               const LogFn &log)
{
    Result res = BackfillRun(db, m_options, cancel, progress, log).execute();
    // (a dry run loads nothing: its counts are what a run would do, stopped or not)
    if (m_options.planOnly)
        res.load.rowsNotLoaded = 0;
    else if (res.outcome != CsvLoader::Outcome::Completed)
        res.load.countRowsNotLoaded();
    return res;
}

QStringList BackfillEngine::afterRunLines(const Result &r)
{
    QStringList lines;
    qint64 before = 0, after = 0;
    int measured = 0;
    for (const ChunkResult &c : r.chunks + r.newChunks) {
        if (c.bytesBefore > 0 && c.bytesAfter > 0) {
            before += c.bytesBefore;
            after += c.bytesAfter;
            ++measured;
        }
    }
    if (measured > 0) {
        const QLocale locale;
        lines << QStringLiteral("Compression of the %1 chunk(s) the run compressed whole: %2 of rows in %3 (ratio %4×).")
                     .arg(measured)
                     .arg(locale.formattedDataSize(before, 1, QLocale::DataSizeTraditionalFormat),
                          locale.formattedDataSize(after, 1, QLocale::DataSizeTraditionalFormat),
                          locale.toString(double(before) / double(after), 'f', 1));
    }
    if (!r.aggregatesRefreshed.isEmpty())
        lines << QStringLiteral("Continuous aggregates refreshed over the backfilled range: %1.").arg(r.aggregatesRefreshed.join(QStringLiteral(", ")));
    return lines;
}

QStringList BackfillEngine::runningBackfills(Database &db, const QString &journalDirectory, const QString &schema, const QString &name,
                                             const QString &exceptJournal)
{
    QStringList running;
    for (const QString &path : Journal::unfinished(journalDirectory.isEmpty() ? Journal::defaultDirectory() : journalDirectory)) {
        if (!exceptJournal.isEmpty() && QFileInfo(path) == QFileInfo(exceptJournal))
            continue;
        QJsonObject header;
        QList<Journal::Entry> entries;
        QString err;
        if (!Journal::read(path, &header, &entries, &err) || !sameServer(header, db)
            || !sameTarget(header, schema, name))
            continue;
        std::unique_ptr<QLockFile> claimed; // (released at once when it could be taken)
        QString holder;
        if (!Journal::claim(path, &claimed, &holder))
            running << holder;
    }
    return running;
}

bool BackfillEngine::recover(Database &db, const QString &journalDirectory, QStringList *actions, DbError *error, QStringList *leftAlone)
{
    QStringList *left = leftAlone ? leftAlone : actions;
    const QString dir = journalDirectory.isEmpty() ? Journal::defaultDirectory() : journalDirectory;
    bool allOk = true;
    for (const QString &path : Journal::unfinished(dir)) {
        QJsonObject header;
        QList<Journal::Entry> entries;
        QString err;
        if (!Journal::read(path, &header, &entries, &err)) {
            if (!header.isEmpty() && !sameServer(header, db))
                continue; // another server's journal
            // Possibly this server's: what it paused or decompressed cannot be known, so nothing
            // may go on as if it were not there.
            allOk = false;
            *actions << QStringLiteral("skipped %1: %2").arg(path, err);
            *error = DbError();
            error->kind = DbError::Kind::Query; // nothing may change on the server until it is dealt with
            error->message = QStringLiteral("Cannot read the backfill journal %1. The backfill it records may have left a compression "
                                            "policy paused or chunks decompressed on this server. Repair or remove the file, then run "
                                            "recover again.").arg(err);
            continue;
        }
        if (header.isEmpty() && entries.isEmpty()) {
            // Empty, or its first line torn: the run stopped while writing its header, before it
            // changed anything anywhere (unless it is still starting: it holds the lock then).
            std::unique_ptr<QLockFile> claimed;
            QString holder;
            if (Journal::claim(path, &claimed, &holder)) {
                Journal::remove(path);
                *actions << QStringLiteral("removed %1: the backfill that began it stopped before it changed anything").arg(path);
            } else {
                *left << QStringLiteral("left %1: the backfill that writes it is still running (%2)").arg(path, holder);
            }
            continue;
        }
        if (!sameServer(header, db))
            continue; // another server's journal
        std::unique_ptr<QLockFile> claimed; // held while this journal is worked on
        QString holder;
        if (!Journal::claim(path, &claimed, &holder)) { // (this process's own runs included)
            *left << QStringLiteral("left %1: the backfill that writes it is still running (%2)").arg(path, holder);
            continue;
        }
        // Read again under the lock: the run may have written more, or finished (and removed it),
        // since the first read.
        entries.clear();
        if (!QFileInfo::exists(path) || !Journal::read(path, &header, &entries, &err))
            continue;
        const QString target = header.value(QStringLiteral("target")).toString();
        // Same cluster, another address: a copy of the server (replica, restore, fork) shares its
        // identifier. It is taken for the server the run worked on only if it shows the run's
        // pause; otherwise the journal stays for that server, and nothing goes on here until
        // someone decides.
        if (header.value(QStringLiteral("server")).toString() != serverId(db)) {
            QStringList running;
            for (const Journal::Entry &en : std::as_const(entries)) {
                QueryResult jr;
                DbError je;
                if (en.step == QLatin1String("policy_pause")
                    && db.exec(QStringLiteral("SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = $1::integer"),
                               {QString::number(en.data.value(QStringLiteral("job_id")).toInt())}, &jr, &je)
                    && jr.rowCount() > 0 && jr.boolValue(0, 0))
                    running << QString::number(en.data.value(QStringLiteral("job_id")).toInt());
            }
            if (!running.isEmpty()) {
                allOk = false;
                *error = DbError();
                error->kind = DbError::Kind::Query;
                error->message = QStringLiteral("The interrupted backfill into %1 in %2 ran at %3, which has the identifier of this server, "
                                                "but compression policy job %4 runs here, although that backfill paused it: this server "
                                                "may be a copy of that one (a replica, a restore). Run recover at %3 (also if you "
                                                "resumed the policy yourself there); the journal keeps what that run loaded.")
                                     .arg(target, path, header.value(QStringLiteral("server")).toString(), running.join(QStringLiteral(", ")));
                *left << QStringLiteral("left %1: %2").arg(QFileInfo(path).fileName(), error->message);
                continue;
            }
        }
        bool journalOk = true;
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
                journalOk = false;
                *error = e;
            }
        }
        // Chunks of the backfilled range that the policy would have compressed by now.
        // (Journals of earlier versions may hold an empty compress_after: nothing to do then.)
        if (header.contains(QStringLiteral("min_integer")) && !header.value(QStringLiteral("compress_after")).toString().isEmpty()) {
            QStringList chunksBefore;
            for (const QJsonValue &v : header.value(QStringLiteral("chunks_before")).toArray())
                chunksBefore << v.toString();
            if (!compressPolicyRangeInteger(db, header.value(QStringLiteral("hypertable_schema")).toString(),
                                            header.value(QStringLiteral("hypertable_name")).toString(),
                                            header.value(QStringLiteral("compress_after")).toString(),
                                            header.value(QStringLiteral("min_integer")).toString().toLongLong(),
                                            header.value(QStringLiteral("max_integer")).toString().toLongLong(), chunksBefore, actions, &e)) {
                journalOk = false;
                *error = e;
            }
        }
        if (header.contains(QStringLiteral("min_time")) && !header.value(QStringLiteral("compress_after")).toString().isEmpty()) {
            QStringList chunksBefore;
            for (const QJsonValue &v : header.value(QStringLiteral("chunks_before")).toArray())
                chunksBefore << v.toString();
            const QDateTime from = QDateTime::fromString(header.value(QStringLiteral("min_time")).toString(), QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
            const QDateTime to = QDateTime::fromString(header.value(QStringLiteral("max_time")).toString(), QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
            if (!compressPolicyRange(db, header.value(QStringLiteral("hypertable_schema")).toString(),
                                     header.value(QStringLiteral("hypertable_name")).toString(),
                                     header.value(QStringLiteral("compress_after")).toString(), QDateTime(from.date(), from.time(), Qt::UTC),
                                     QDateTime(to.date(), to.time(), Qt::UTC), chunksBefore, actions, &e)) {
                journalOk = false;
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
            else if (e.sqlState == QLatin1String("42704")) // removed since (remove_compression_policy, DROP TABLE)
                *actions << QStringLiteral("compression policy job %1 no longer exists: nothing to resume").arg(job);
            else {
                *actions << QStringLiteral("could not resume job %1: %2").arg(job).arg(e.message);
                journalOk = false;
                *error = e;
            }
        }
        // Continuous aggregates over the backfilled range (after the policy), when a range may have committed.
        const bool committed = std::any_of(entries.cbegin(), entries.cend(), [](const Journal::Entry &en) { return en.step == QLatin1String("commit"); });
        const QJsonArray window = header.value(QStringLiteral("cagg_window")).toArray();
        static const QRegularExpression bound(QStringLiteral("^(NULL|-?\\d{1,19}|'\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+00')$"));
        if (committed && window.size() == 2 && bound.match(window.at(0).toString()).hasMatch() && bound.match(window.at(1).toString()).hasMatch()) {
            for (const QJsonValue &v : header.value(QStringLiteral("caggs")).toArray()) {
                const QString cagg = v.toString();
                if (db.exec(QStringLiteral("CALL refresh_continuous_aggregate($1::regclass, %1, %2)").arg(window.at(0).toString(), window.at(1).toString()),
                            {cagg}, nullptr, &e, QStringLiteral("refresh %1").arg(cagg)))
                    *actions << QStringLiteral("refreshed continuous aggregate %1").arg(cagg);
                else if (e.sqlState == QLatin1String("42P01")) // dropped since
                    *actions << QStringLiteral("continuous aggregate %1 no longer exists: nothing to refresh").arg(cagg);
                else // reported, and no reason to keep the journal: a refresh can be run by hand at any time
                    *actions << QStringLiteral("could not refresh continuous aggregate %1 (refresh it by hand): %2").arg(cagg, e.message);
            }
        }
        if (journalOk) {
            // Keep what was completed as a ledger: re-running the same backfill skips it.
            if (QFile::rename(path, Journal::ledgerPath(path))) {
                *actions << QStringLiteral("done: run the same backfill again to load the rest (completed chunk ranges are skipped)");
            } else {
                *actions << QStringLiteral("could not keep %1 as %2").arg(path, Journal::ledgerPath(path));
                // (A local file, not the server: the next recover would finish it again, harmlessly.)
                *error = DbError();
                error->kind = DbError::Kind::Query;
                error->message = QStringLiteral("The server was put back, but the journal %1 could not be renamed to %2%3. Rename it by "
                                                "hand (or delete it to load the whole file again).")
                                     .arg(QDir::toNativeSeparators(path), QDir::toNativeSeparators(Journal::ledgerPath(path)),
                                          QFileInfo(QFileInfo(path).absolutePath()).isWritable() ? QString()
                                                                                                  : QStringLiteral(": its folder is not writable"));
                journalOk = false;
            }
        }
        allOk = allOk && journalOk; // one journal's trouble keeps no other from being finished
    }
    return allOk;
}

} // namespace bfs
