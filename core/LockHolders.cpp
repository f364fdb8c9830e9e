#include "LockHolders.h"

#include "Database.h"

namespace bfs {

QString describeLockHolders(Database &db, const QStringList &relations)
{
    if (!db.isOpen() || relations.isEmpty())
        return QString();
    QueryResult r;
    DbError ignored;
    if (!db.exec(QStringLiteral("SELECT DISTINCT a.pid, coalesce(a.usename::text, '') AS usename, coalesce(a.application_name, '') AS app, "
                                "  left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 200) AS query "
                                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                                "WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() "
                                "  AND l.relation = ANY (SELECT to_regclass(n)::oid FROM unnest($1::text[]) AS n) "
                                "ORDER BY a.pid LIMIT 3"),
                 {Database::textArray(relations)}, &r, &ignored, QStringLiteral("find the lock holder")))
        return QString();
    QStringList holders;
    for (int i = 0; i < r.rowCount(); ++i) {
        QStringList who;
        for (const QString &part : {r.value(i, QStringLiteral("usename")), r.value(i, QStringLiteral("app"))})
            if (!part.isEmpty())
                who << part;
        holders << QStringLiteral("backend %1%2 running: %3")
                       .arg(r.value(i, QStringLiteral("pid")),
                            who.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(who.join(QStringLiteral(", "))),
                            r.value(i, QStringLiteral("query")));
    }
    return holders.join(QStringLiteral("; "));
}

} // namespace bfs
