// The SQL the loader and the engine build over the staging table: keys, repeats, CHECK lines,
// and the INSERT from the staged rows into the target.
#include "CsvLoader.h"

#include "Database.h"

namespace bfs {

CsvLoader::StagedKey CsvLoader::stagedKey(const Database &db, const QStringList &keyColumns,
                                          const std::function<int(const QString &)> &stageColumn, bool nullsNotDistinct)
{
    QStringList inTable, earlier, notNull, columns;
    for (const QString &k : keyColumns) {
        const int pos = stageColumn(k);
        if (pos < 0)
            return {};
        // (NULLS NOT DISTINCT: written so that an index on the key still serves the lookup, which
        // IS NOT DISTINCT FROM would not)
        const QString column = QStringLiteral("t.%1").arg(db.quoteIdentifier(k));
        inTable << (nullsNotDistinct ? QStringLiteral("(%1 = s.c%2 OR (%1 IS NULL AND s.c%2 IS NULL))").arg(column).arg(pos)
                                     : QStringLiteral("%1 = s.c%2").arg(column).arg(pos));
        earlier << (nullsNotDistinct ? QStringLiteral("s2.c%1 IS NOT DISTINCT FROM s.c%1").arg(pos) : QStringLiteral("s2.c%1 = s.c%1").arg(pos));
        notNull << (nullsNotDistinct ? QStringLiteral("true") : QStringLiteral("c%1 IS NOT NULL").arg(pos));
        columns << QStringLiteral("c%1").arg(pos);
    }
    const QString all = QStringLiteral(" AND ");
    return {inTable.join(all), earlier.join(all), notNull.join(all), columns.join(QStringLiteral(", "))};
}

QString CsvLoader::firstRepeatSql(const QString &stage, const QString &target, const StagedKey &key, const QString &where,
                                  const StagedKey &except)
{
    const QString restrict = where.isEmpty() ? QString() : where + QStringLiteral(" AND ");
    if (except.isEmpty()) {
        // Repeats by a window over the key (sorted once), not by a join of the unindexed staged
        // rows with themselves, which grows with the square of their number.
        return QStringLiteral("SELECT min(bfs_line) FROM (SELECT *, %3 AS bfs_repeat FROM %1 s) s "
                              "WHERE %4(bfs_repeat OR EXISTS (SELECT 1 FROM %2 t WHERE %5))")
            .arg(stage, target, repeatsEarlierSql(key), restrict, key.inTable);
    }
    // A repeat that is not also a repeat of the other key: pairs of rows, within a range.
    const QString inTable = QStringLiteral("%1 AND NOT coalesce(%2, false)").arg(key.inTable, except.inTable);
    const QString earlier = QStringLiteral("%1 AND NOT coalesce(%2, false)").arg(key.earlier, except.earlier);
    return QStringLiteral("SELECT min(bfs_line) FROM %1 s WHERE %5(EXISTS (SELECT 1 FROM %2 t WHERE %3) "
                          "OR EXISTS (SELECT 1 FROM %1 s2 WHERE %4 AND s2.bfs_line < s.bfs_line))")
        .arg(stage, target, inTable, earlier, restrict);
}

QString CsvLoader::existingAndRepeatedSql(const QString &stage, const QString &target, const QList<StagedKey> &keys)
{
    QStringList exists, repeats;
    for (const StagedKey &k : keys) {
        exists << QStringLiteral("EXISTS (SELECT 1 FROM %1 t WHERE %2)").arg(target, k.inTable);
        repeats << repeatsEarlierSql(k);
    }
    return QStringLiteral("WITH e AS (SELECT s.*, %2 AS existing FROM %1 s) "
                          "SELECT (SELECT count(*) FROM e WHERE existing), "
                          "  (SELECT count(*) FILTER (WHERE repeated) FROM (SELECT %3 AS repeated FROM e WHERE NOT existing) x)")
        .arg(stage, exists.join(QStringLiteral(" OR ")), repeats.join(QStringLiteral(" OR ")));
}

QString CsvLoader::updatedAndRepeatedSql(const QString &stage, const QString &target, const StagedKey &updateKey)
{
    return QStringLiteral("SELECT count(*) FILTER (WHERE existing AND NOT repeated), count(*) FILTER (WHERE repeated) "
                          "FROM (SELECT EXISTS (SELECT 1 FROM %2 t WHERE %3) AS existing, %4 AS repeated FROM %1 s) e")
        .arg(stage, target, updateKey.inTable, repeatsEarlierSql(updateKey));
}

QStringList CsvLoader::stagedAsTable(const Database &db, const QList<ColumnMapping> &mapping)
{
    QStringList aliases;
    for (int i = 0; i < mapping.size(); ++i)
        aliases << QStringLiteral("c%1 AS %2").arg(i).arg(db.quoteIdentifier(mapping.at(i).tableColumn));
    return aliases;
}

QString CsvLoader::firstLineBreakingCheck(Database &db, const QString &stage, const QString &target, const QList<ColumnMapping> &mapping,
                                          const QString &constraint, const QString &where, const QStringList &params, QString *expression)
{
    QueryResult r;
    DbError ignored;
    if (constraint.isEmpty() || !db.isOpen()
        || !db.exec(QStringLiteral("SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2 "
                                   "AND contype = 'c'"),
                    {target, constraint}, &r, &ignored)
        || r.rowCount() != 1)
        return QString();
    *expression = r.value(0, 0);
    const QStringList aliases = QStringList{QStringLiteral("bfs_line")} + stagedAsTable(db, mapping);
    // (NOT: a check that comes out NULL passes)
    if (!db.exec(QStringLiteral("SELECT bfs_line FROM (SELECT %1 FROM %2%3) s WHERE NOT (%4) ORDER BY bfs_line LIMIT 1")
                     .arg(aliases.join(QStringLiteral(", ")), stage, where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where,
                          *expression),
                 params, &r, &ignored)
        || r.rowCount() == 0)
        return QString();
    return r.value(0, 0);
}

QString CsvLoader::otherKeyClashSql(const QString &stage, const QString &target, const StagedKey &updateKey, const QList<StagedKey> &others)
{
    // A row of the target that has the staged row's value of another key but is not the row the
    // update matches (inserting it, or updating the one it matches, would break that key).
    QStringList other;
    for (const StagedKey &k : others)
        other << QStringLiteral("EXISTS (SELECT 1 FROM %1 t WHERE %2 AND NOT coalesce(%3, false))").arg(target, k.inTable, updateKey.inTable);
    return QStringLiteral("SELECT count(*) FROM %1 s WHERE %2").arg(stage, other.join(QStringLiteral(" OR ")));
}

QString CsvLoader::repeatsEarlierSql(const StagedKey &key)
{
    return QStringLiteral("(%1 AND row_number() OVER (PARTITION BY %2 ORDER BY bfs_line) > 1)").arg(key.notNull, key.columns);
}

QString CsvLoader::insertStatement(const InsertSpec &spec)
{
    const QString cols = spec.targetColumns.join(QStringLiteral(", "));
    const QString src = spec.stageColumns.join(QStringLiteral(", "));
    const QString where = spec.where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + spec.where;
    switch (spec.conflict) {
    case Conflict::Error:
        return QStringLiteral("INSERT INTO %1 (%2) SELECT %3 FROM %4%5 ORDER BY bfs_line").arg(spec.target, cols, src, spec.stage, where);
    case Conflict::Skip:
        return QStringLiteral("INSERT INTO %1 (%2) SELECT %3 FROM %4%5 ORDER BY bfs_line ON CONFLICT DO NOTHING")
            .arg(spec.target, cols, src, spec.stage, where);
    case Conflict::Update: {
        QStringList updates;
        for (const QString &c : spec.targetColumns)
            if (!spec.keyTargetColumns.contains(c))
                updates << QStringLiteral("%1 = EXCLUDED.%1").arg(c);
        // The last row of the file wins when the file repeats a key. A key with a NULL in it
        // repeats nothing (NULLs are distinct, as in the unique constraint, unless it says NULLS
        // NOT DISTINCT): each such row is its own group.
        QStringList nulls;
        for (const QString &k : spec.keyStageColumns)
            nulls << QStringLiteral("%1 IS NULL").arg(k);
        const QString groups = spec.keyStageColumns.join(QStringLiteral(", "))
            + (spec.keyNullsNotDistinct ? QString() : QStringLiteral(", CASE WHEN %1 THEN bfs_line END").arg(nulls.join(QStringLiteral(" OR "))));
        return QStringLiteral("INSERT INTO %1 (%2) SELECT %3 FROM (SELECT DISTINCT ON (%4) * FROM %5%6 ORDER BY %4, bfs_line DESC) d "
                              "ORDER BY bfs_line ON CONFLICT (%7) DO %8")
            .arg(spec.target, cols, src, groups, spec.stage, where,
                 spec.keyTargetColumns.join(QStringLiteral(", ")),
                 updates.isEmpty() ? QStringLiteral("NOTHING") : QStringLiteral("UPDATE SET ") + updates.join(QStringLiteral(", ")));
    }
    }
    return QString();
}

} // namespace bfs
