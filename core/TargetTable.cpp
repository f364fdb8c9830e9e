#include "TargetTable.h"

#include "Database.h"
#include "ServerInspector.h"

namespace bfs {

int TargetTable::columnIndex(const QString &n) const
{
    for (int i = 0; i < columns.size(); ++i)
        if (columns.at(i).name == n)
            return i;
    for (int i = 0; i < columns.size(); ++i)
        if (columns.at(i).name.compare(n, Qt::CaseInsensitive) == 0)
            return i;
    return -1;
}

bool TargetTable::load(Database &db, const QString &qualifiedName, TargetTable *out, DbError *error)
{
    QString schema, name;
    if (!ServerInspector::splitQualifiedName(qualifiedName, &schema, &name)) {
        error->kind = DbError::Kind::TableMissing;
        error->message = QStringLiteral("\"%1\" is not a valid table name.").arg(qualifiedName);
        return false;
    }
    QueryResult r;
    const QString rel = schema.isEmpty() ? db.quoteIdentifier(name) : db.qualifiedName(schema, name);
    if (!db.exec(QStringLiteral("SELECT c.oid::bigint AS oid, n.nspname, c.relname, c.relkind::text AS relkind "
                                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                "WHERE c.oid = to_regclass($1)"),
                 {rel}, &r, error, QStringLiteral("find table %1").arg(qualifiedName)))
        return false;
    if (r.rowCount() == 0 || !QStringList{QStringLiteral("r"), QStringLiteral("p")}.contains(r.value(0, QStringLiteral("relkind")))) {
        error->kind = DbError::Kind::TableMissing;
        error->context = QStringLiteral("find table %1").arg(qualifiedName);
        error->message = QStringLiteral("Table \"%1\" does not exist (or is not a table you can see).").arg(qualifiedName);
        return false;
    }
    TargetTable t;
    const QString oid = r.value(0, QStringLiteral("oid"));
    t.schema = r.value(0, QStringLiteral("nspname"));
    t.name = r.value(0, QStringLiteral("relname"));

    // A domain converts as its base type with the domain's modifiers (a domain over a domain:
    // the last base), an enum as text: its labels are text, and the server checks them.
    if (!db.exec(QStringLiteral("SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS sqltype, a.attnotnull, "
                                "  a.atthasdef, (a.attgenerated <> '' OR a.attidentity = 'a') AS generated, "
                                "  (WITH RECURSIVE d(base, mod, depth) AS ("
                                "     SELECT a.atttypid, a.atttypmod, 0 "
                                "     UNION ALL "
                                "     SELECT t.typbasetype, t.typtypmod, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.base "
                                "     WHERE t.typtype = 'd' AND d.depth < 16) "
                                "   SELECT CASE WHEN t.typtype = 'e' THEN 'text' ELSE format_type(d.base, d.mod) END "
                                "   FROM d JOIN pg_type t ON t.oid = d.base ORDER BY d.depth DESC LIMIT 1) AS basetype "
                                "FROM pg_attribute a WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 "
                                "AND NOT a.attisdropped ORDER BY a.attnum"),
                 {oid}, &r, error, QStringLiteral("read the columns of %1").arg(t.displayName())))
        return false;
    for (int i = 0; i < r.rowCount(); ++i) {
        Column c;
        c.name = r.value(i, QStringLiteral("attname"));
        c.sqlType = r.value(i, QStringLiteral("sqltype"));
        c.baseType = r.value(i, QStringLiteral("basetype"));
        if (c.baseType.isEmpty())
            c.baseType = c.sqlType;
        c.type = ValueConverter::typeFromCatalog(c.baseType);
        c.notNull = r.boolValue(i, QStringLiteral("attnotnull"));
        c.hasDefault = r.boolValue(i, QStringLiteral("atthasdef"));
        c.generated = r.boolValue(i, QStringLiteral("generated"));
        t.columns << c;
    }

    if (!db.exec(QStringLiteral("SELECT i.indexrelid::bigint AS idx, i.indisprimary, k.ord, a.attname, "
                                "  coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct "
                                "FROM pg_index i "
                                "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                                "WHERE i.indrelid = $1::bigint::oid AND i.indisunique AND i.indexprs IS NULL "
                                "AND i.indpred IS NULL "
                                "ORDER BY i.indisprimary DESC, i.indexrelid, k.ord"),
                 {oid}, &r, error, QStringLiteral("read the unique keys of %1").arg(t.displayName())))
        return false;
    QString current;
    for (int i = 0; i < r.rowCount(); ++i) {
        if (r.value(i, QStringLiteral("idx")) != current) {
            current = r.value(i, QStringLiteral("idx"));
            t.uniqueKeys << QStringList();
            t.nullsNotDistinct << r.boolValue(i, QStringLiteral("nulls_not_distinct"));
        }
        t.uniqueKeys.last() << r.value(i, QStringLiteral("attname"));
    }

    DbError ignored;
    if (db.exec(QStringLiteral("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"), &r, &ignored) && r.rowCount() > 0
        && db.exec(QStringLiteral("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 "
                                  "AND hypertable_name = $2"),
                   {t.schema, t.name}, &r, &ignored))
        t.isHypertable = r.rowCount() > 0;
    *out = t;
    return true;
}

} // namespace bfs
