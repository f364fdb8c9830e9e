#include "ServerInspector.h"

#include "Database.h"

#include <QHash>
#include <QTimeZone>

namespace bfs {

namespace {

QDateTime fromMsecs(const QString &v)
{
    if (v.isNull())
        return QDateTime();
    return QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

bool loadVersions(Database &db, ServerInspection &out)
{
    QueryResult r;
    if (!db.exec(QStringLiteral("SELECT current_setting('server_version_num') AS num, "
                                "current_setting('server_version') AS version, "
                                "current_database() AS db, current_user AS usr"),
                 &r, &out.error, QStringLiteral("read the server version")))
        return false;
    out.serverVersionNum = int(r.intValue(0, QStringLiteral("num")));
    out.serverVersion = r.value(0, QStringLiteral("version"));
    out.database = r.value(0, QStringLiteral("db"));
    out.user = r.value(0, QStringLiteral("usr"));

    if (!db.exec(QStringLiteral("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"), &r,
                 &out.error, QStringLiteral("look for the TimescaleDB extension")))
        return false;
    if (r.rowCount() == 0) {
        out.timescaleInstalled = false;
        QueryResult avail;
        const bool available =
            db.exec(QStringLiteral("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"), &avail,
                    nullptr)
            && avail.rowCount() > 0;
        out.error.kind = DbError::Kind::NotTimescale;
        out.error.context = QStringLiteral("look for the TimescaleDB extension");
        out.error.message = available
            ? QStringLiteral("TimescaleDB is not installed in database \"%1\" (the server has it: run "
                             "CREATE EXTENSION timescaledb there).").arg(out.database)
            : QStringLiteral("TimescaleDB is not installed in database \"%1\", and this server "
                             "(PostgreSQL %2) does not provide it.").arg(out.database, out.serverVersion);
        return false;
    }
    out.timescaleInstalled = true;
    out.timescaleVersion = TimescaleVersion::parse(r.value(0, 0));
    DbError ignored;
    if (db.exec(QStringLiteral("SELECT current_setting('timescaledb.license', true) AS license"), &r, &ignored))
        out.license = r.value(0, 0);
    return true;
}

QString chunkStatusFunction(Database &db)
{
    // chunk_status() tells partial and frozen chunks apart; its schema moved in 2.12.
    QueryResult r;
    DbError ignored;
    if (!db.exec(QStringLiteral("SELECT to_regprocedure('_timescaledb_functions.chunk_status(regclass)') IS NOT NULL AS f, "
                                "to_regprocedure('_timescaledb_internal.chunk_status(regclass)') IS NOT NULL AS i"),
                 &r, &ignored))
        return QString();
    if (r.boolValue(0, QStringLiteral("f")))
        return QStringLiteral("_timescaledb_functions.chunk_status");
    if (r.boolValue(0, QStringLiteral("i")))
        return QStringLiteral("_timescaledb_internal.chunk_status");
    return QString();
}

bool loadChunks(Database &db, HypertableInfo &ht, const QString &statusFn, DbError *error)
{
    const QString status = statusFn.isEmpty()
        ? QStringLiteral("NULL::int")
        : statusFn + QStringLiteral("(format('%I.%I', c.chunk_schema, c.chunk_name)::regclass)");
    QueryResult r;
    const QString sql = QStringLiteral(
        "SELECT c.chunk_schema, c.chunk_name, format('%I.%I', c.chunk_schema, c.chunk_name) AS quoted, "
        "  CASE WHEN isfinite(c.range_start) THEN (extract(epoch FROM c.range_start) * 1000)::bigint END AS start_ms, "
        "  CASE WHEN isfinite(c.range_end) THEN (extract(epoch FROM c.range_end) * 1000)::bigint END AS end_ms, "
        "  c.range_start_integer, c.range_end_integer, c.is_compressed, %1 AS status "
        "FROM timescaledb_information.chunks c "
        "WHERE c.hypertable_schema = $1 AND c.hypertable_name = $2 "
        "ORDER BY coalesce(c.range_start_integer, 0), c.range_start, c.chunk_name").arg(status);
    if (!db.exec(sql, {ht.schema, ht.name}, &r, error, QStringLiteral("list the chunks of %1").arg(ht.qualifiedName())))
        return false;
    QHash<QString, int> byName;
    for (int i = 0; i < r.rowCount(); ++i) {
        ChunkInfo c;
        c.schema = r.value(i, QStringLiteral("chunk_schema"));
        c.name = r.value(i, QStringLiteral("chunk_name"));
        c.quotedName = r.value(i, QStringLiteral("quoted"));
        c.rangeStart = fromMsecs(r.value(i, QStringLiteral("start_ms")));
        c.rangeEnd = fromMsecs(r.value(i, QStringLiteral("end_ms")));
        c.integerRange = !r.isNull(i, QStringLiteral("range_start_integer"));
        c.rangeStartInteger = r.intValue(i, QStringLiteral("range_start_integer"));
        c.rangeEndInteger = r.intValue(i, QStringLiteral("range_end_integer"));
        c.statusBits = int(r.intValue(i, QStringLiteral("status"), -1));
        const bool compressed = r.boolValue(i, QStringLiteral("is_compressed"));
        if (c.statusBits >= 0 && (c.statusBits & 4))
            c.state = ChunkInfo::State::Frozen;
        else if (c.statusBits >= 0 && (c.statusBits & 1) && (c.statusBits & 8))
            c.state = ChunkInfo::State::PartiallyCompressed;
        else if (compressed || (c.statusBits > 0 && (c.statusBits & 1)))
            c.state = ChunkInfo::State::Compressed;
        byName.insert(c.name, int(ht.chunks.size()));
        ht.chunks << c;
    }
    if (ht.chunks.isEmpty())
        return true;

    const QString rel = db.qualifiedName(ht.schema, ht.name);
    DbError sizeError;
    if (db.exec(QStringLiteral("SELECT chunk_name, total_bytes FROM chunks_detailed_size($1::regclass)"),
                {rel}, &r, &sizeError)) {
        for (int i = 0; i < r.rowCount(); ++i) {
            const auto it = byName.constFind(r.value(i, QStringLiteral("chunk_name")));
            if (it != byName.constEnd())
                ht.chunks[*it].totalBytes = r.intValue(i, QStringLiteral("total_bytes"), -1);
        }
    }
    if (ht.compressionEnabled
        && db.exec(QStringLiteral("SELECT chunk_name, before_compression_total_bytes AS before, "
                                  "after_compression_total_bytes AS after FROM chunk_compression_stats($1::regclass)"),
                   {rel}, &r, &sizeError)) {
        for (int i = 0; i < r.rowCount(); ++i) {
            const auto it = byName.constFind(r.value(i, QStringLiteral("chunk_name")));
            if (it == byName.constEnd())
                continue;
            ht.chunks[*it].bytesBefore = r.intValue(i, QStringLiteral("before"), -1);
            ht.chunks[*it].bytesAfter = r.intValue(i, QStringLiteral("after"), -1);
        }
    }
    return true;
}

bool loadDetails(Database &db, HypertableInfo &ht, DbError *error)
{
    QueryResult r;
    if (!db.exec(QStringLiteral(
                     "SELECT dimension_number, column_name, column_type::text AS column_type, dimension_type, "
                     "  time_interval::text AS time_interval, "
                     "  (extract(epoch FROM time_interval) * 1000000)::bigint AS interval_us, "
                     "  integer_interval, num_partitions "
                     "FROM timescaledb_information.dimensions "
                     "WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY dimension_number"),
                 {ht.schema, ht.name}, &r, error, QStringLiteral("read the dimensions of %1").arg(ht.qualifiedName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i) {
        DimensionInfo d;
        d.number = int(r.intValue(i, QStringLiteral("dimension_number")));
        d.column = r.value(i, QStringLiteral("column_name"));
        d.columnType = r.value(i, QStringLiteral("column_type"));
        d.isTime = r.value(i, QStringLiteral("dimension_type")) == QLatin1String("Time");
        d.timeInterval = r.value(i, QStringLiteral("time_interval"));
        d.intervalMicroseconds = r.intValue(i, QStringLiteral("interval_us"));
        d.integerInterval = r.intValue(i, QStringLiteral("integer_interval"));
        d.numPartitions = int(r.intValue(i, QStringLiteral("num_partitions")));
        ht.dimensions << d;
    }

    if (!db.exec(QStringLiteral("SELECT attname, segmentby_column_index, orderby_column_index, orderby_asc, "
                                "orderby_nullsfirst FROM timescaledb_information.compression_settings "
                                "WHERE hypertable_schema = $1 AND hypertable_name = $2"),
                 {ht.schema, ht.name}, &r, error,
                 QStringLiteral("read the compression settings of %1").arg(ht.qualifiedName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i) {
        CompressionColumn c;
        c.column = r.value(i, QStringLiteral("attname"));
        c.segmentByIndex = int(r.intValue(i, QStringLiteral("segmentby_column_index")));
        c.orderByIndex = int(r.intValue(i, QStringLiteral("orderby_column_index")));
        c.orderByAsc = r.value(i, QStringLiteral("orderby_asc")) != QLatin1String("f");
        c.orderByNullsFirst = r.boolValue(i, QStringLiteral("orderby_nullsfirst"));
        ht.compression << c;
    }

    // Unique indexes, whether declared as constraints or created with CREATE UNIQUE INDEX.
    if (!db.exec(QStringLiteral(
                     "SELECT ic.relname AS index_name, i.indisprimary AS is_primary, k.ord, a.attname, "
                     "  i.indexprs IS NOT NULL AS has_expr, i.indpred IS NOT NULL AS is_partial, "
                     "  coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct "
                     "FROM pg_index i "
                     "JOIN pg_class ic ON ic.oid = i.indexrelid "
                     "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                     "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                     "WHERE i.indrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND i.indisunique "
                     "ORDER BY i.indisprimary DESC, ic.relname, k.ord"),
                 {ht.schema, ht.name}, &r, error,
                 QStringLiteral("read the unique keys of %1").arg(ht.qualifiedName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i) {
        const QString name = r.value(i, QStringLiteral("index_name"));
        if (ht.uniqueKeys.isEmpty() || ht.uniqueKeys.last().name != name) {
            UniqueKey k;
            k.name = name;
            k.primaryKey = r.boolValue(i, QStringLiteral("is_primary"));
            k.hasExpression = r.boolValue(i, QStringLiteral("has_expr"));
            k.partial = r.boolValue(i, QStringLiteral("is_partial"));
            k.nullsNotDistinct = r.boolValue(i, QStringLiteral("nulls_not_distinct"));
            ht.uniqueKeys << k;
        }
        ht.uniqueKeys.last().columns << r.value(i, QStringLiteral("attname"));
    }

    // Triggers (a continuous aggregate's invalidation trigger included) turn off direct compression.
    // (tgtype bits: 1 row, 2 before, 4 insert)
    if (!db.exec(QStringLiteral("SELECT tgname, (tgtype::int & 7) = 7 AS before_insert_row FROM pg_trigger "
                                "WHERE tgrelid = to_regclass(format('%I.%I', $1::text, $2::text)) "
                                "AND NOT tgisinternal AND tgname <> 'ts_insert_blocker' ORDER BY tgname"),
                 {ht.schema, ht.name}, &r, error, QStringLiteral("read the triggers of %1").arg(ht.qualifiedName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i) {
        ht.triggers << r.value(i, 0);
        if (r.boolValue(i, QStringLiteral("before_insert_row")))
            ht.beforeInsertRowTriggers << r.value(i, 0);
    }
    // Together they break TimescaleDB's insert into compressed chunks (see the planner).
    // CHECK constraints: TimescaleDB's direct compression on insert does not check them.
    if (!db.exec(QStringLiteral("SELECT coalesce(bool_or(attisdropped), false) AS dropped, coalesce(bool_or(coalesce(to_jsonb(a) ->> 'attgenerated', '') <> ''), false) AS generated, "
                                "  EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND contype = 'c') AS checks "
                                "FROM pg_attribute a WHERE attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND attnum > 0"),
                 {ht.schema, ht.name}, &r, error, QStringLiteral("read the columns of %1").arg(ht.qualifiedName())))
        return false;
    ht.hasDroppedColumns = r.boolValue(0, QStringLiteral("dropped"));
    ht.hasGeneratedColumns = r.boolValue(0, QStringLiteral("generated"));
    ht.hasCheckConstraints = r.boolValue(0, QStringLiteral("checks"));

    if (!db.exec(QStringLiteral(
                     "SELECT job_id, proc_schema, proc_name, scheduled, owner::text AS owner, "
                     "  schedule_interval::text AS schedule_interval, config::text AS config, "
                     "  config->>'compress_after' AS compress_after, config->>'drop_after' AS drop_after, "
                     "  CASE WHEN isfinite(next_start) THEN (extract(epoch FROM next_start) * 1000)::bigint END AS next_ms, "
                     "  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, owner, 'USAGE') AS can_alter "
                     "FROM timescaledb_information.jobs "
                     "WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY job_id"),
                 {ht.schema, ht.name}, &r, error, QStringLiteral("read the policies of %1").arg(ht.qualifiedName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i) {
        PolicyJob j;
        j.jobId = int(r.intValue(i, QStringLiteral("job_id")));
        j.procSchema = r.value(i, QStringLiteral("proc_schema"));
        j.procName = r.value(i, QStringLiteral("proc_name"));
        j.scheduled = r.boolValue(i, QStringLiteral("scheduled"));
        j.owner = r.value(i, QStringLiteral("owner"));
        j.scheduleInterval = r.value(i, QStringLiteral("schedule_interval"));
        j.configJson = r.value(i, QStringLiteral("config"));
        j.compressAfter = r.value(i, QStringLiteral("compress_after"));
        j.dropAfter = r.value(i, QStringLiteral("drop_after"));
        j.nextStart = fromMsecs(r.value(i, QStringLiteral("next_ms")));
        j.canAlter = r.boolValue(i, QStringLiteral("can_alter"));
        ht.policies << j;
    }

    // With the aggregates built on them (2.9+: a continuous aggregate over another one is listed
    // under the lower one's materialization hypertable), lower ones first: the order to refresh.
    if (!db.exec(QStringLiteral("WITH RECURSIVE c AS ("
                                "  SELECT view_schema, view_name, materialization_hypertable_schema AS ms, "
                                "    materialization_hypertable_name AS mn, 1 AS depth "
                                "  FROM timescaledb_information.continuous_aggregates WHERE hypertable_schema = $1 AND hypertable_name = $2 "
                                "  UNION ALL "
                                "  SELECT a.view_schema, a.view_name, a.materialization_hypertable_schema, a.materialization_hypertable_name, c.depth + 1 "
                                "  FROM timescaledb_information.continuous_aggregates a "
                                "  JOIN c ON a.hypertable_schema = c.ms AND a.hypertable_name = c.mn WHERE c.depth < 16) "
                                "SELECT format('%I.%I', view_schema, view_name) FROM c ORDER BY depth, 1"),
                 {ht.schema, ht.name}, &r, error,
                 QStringLiteral("list the continuous aggregates of %1").arg(ht.qualifiedName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i)
        ht.continuousAggregates << r.value(i, 0);
    return true;
}

} // namespace

QString ServerInspector::failureText(const ServerInspection &in)
{
    if (in.serverVersionNum <= 0)
        return in.error.message;
    return in.error.message.contains(in.serverVersion) ? QStringLiteral("Connected. %1").arg(in.error.message)
                                                       : QStringLiteral("Connected to PostgreSQL %1. %2").arg(in.serverVersion, in.error.message);
}

bool ServerInspector::splitQualifiedName(const QString &text, QString *schema, QString *name)
{
    // Accepts name, schema.name, "Quoted ""name""", "my schema"."my.table".
    QStringList parts;
    QString current;
    bool quoted = false;
    bool wasQuoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar ch = text.at(i);
        if (quoted) {
            if (ch == QLatin1Char('"')) {
                if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('"')) {
                    current += ch;
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                current += ch;
            }
        } else if (ch == QLatin1Char('"')) {
            quoted = true;
            wasQuoted = true;
        } else if (ch == QLatin1Char('.')) {
            parts << current;
            current.clear();
            wasQuoted = false;
        } else {
            current += ch;
        }
    }
    if (quoted)
        return false;
    Q_UNUSED(wasQuoted)
    parts << current;
    if (parts.size() > 2 || parts.contains(QString()))
        return false;
    *name = parts.last();
    *schema = parts.size() == 2 ? parts.first() : QString();
    return true;
}

ServerInspection ServerInspector::inspect(const ConnectionProfile &profile, const Options &options)
{
    Database db(profile);
    ServerInspection out;
    out.target = profile.displayTarget();
    if (!db.open(&out.error))
        return out;
    return inspect(db, options);
}

ServerInspection ServerInspector::inspect(Database &db, const Options &options)
{
    ServerInspection out;
    out.target = db.profile().displayTarget();
    if (!loadVersions(db, out))
        return out;

    QString schema;
    QString name;
    if (!options.table.isEmpty() && !splitQualifiedName(options.table, &schema, &name)) {
        out.error.kind = DbError::Kind::TableMissing;
        out.error.message = QStringLiteral("\"%1\" is not a valid table name.").arg(options.table);
        return out;
    }

    QueryResult r;
    // (USAGE, not MEMBER: a NOINHERIT member has the owner's privileges only after SET ROLE)
    QString sql = QStringLiteral("SELECT hypertable_schema, hypertable_name, owner::text AS owner, num_dimensions, "
                                 "num_chunks, compression_enabled, "
                                 "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, owner, 'USAGE') AS owner_privileges, "
                                 "has_table_privilege(format('%I.%I', hypertable_schema, hypertable_name), 'INSERT') AS can_insert "
                                 "FROM timescaledb_information.hypertables");
    QStringList params;
    if (!name.isEmpty()) {
        sql += QStringLiteral(" WHERE hypertable_name = $1 AND hypertable_schema = coalesce($2, "
                              "(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              " WHERE c.oid = to_regclass(quote_ident($1))))");
        params << name << (schema.isEmpty() ? QString() : schema);
    }
    sql += QStringLiteral(" ORDER BY hypertable_schema, hypertable_name");
    if (!db.exec(sql, params, &r, &out.error, QStringLiteral("list the hypertables")))
        return out;
    if (!name.isEmpty() && r.rowCount() == 0) {
        out.error.kind = DbError::Kind::TableMissing;
        out.error.context = QStringLiteral("find %1").arg(options.table);
        out.error.message = QStringLiteral("\"%1\" is not a hypertable in database \"%2\".").arg(options.table, out.database);
        return out;
    }
    for (int i = 0; i < r.rowCount(); ++i) {
        HypertableInfo ht;
        ht.schema = r.value(i, QStringLiteral("hypertable_schema"));
        ht.name = r.value(i, QStringLiteral("hypertable_name"));
        ht.owner = r.value(i, QStringLiteral("owner"));
        ht.ownerPrivileges = r.boolValue(i, QStringLiteral("owner_privileges"));
        ht.canInsert = r.boolValue(i, QStringLiteral("can_insert"));
        ht.numDimensions = int(r.intValue(i, QStringLiteral("num_dimensions")));
        ht.numChunks = int(r.intValue(i, QStringLiteral("num_chunks")));
        ht.compressionEnabled = r.boolValue(i, QStringLiteral("compression_enabled"));
        out.hypertables << ht;
    }

    const QString statusFn = options.withChunks ? chunkStatusFunction(db) : QString();
    for (HypertableInfo &ht : out.hypertables) {
        if (!loadDetails(db, ht, &out.error))
            return out;
        if (options.withChunks && !loadChunks(db, ht, statusFn, &out.error))
            return out;
    }
    return out;
}

} // namespace bfs
