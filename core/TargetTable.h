#pragma once

#include "DbError.h"
#include "ValueConverter.h"
#include "backfill_core_export.h"

#include <QList>
#include <QStringList>

namespace bfs {

class Database;

// A table a CSV file is loaded into — a hypertable or a plain table — as the catalog
// describes it.
struct BACKFILL_CORE_EXPORT TargetTable
{
    struct Column
    {
        QString name;
        QString sqlType;       // format_type(), e.g. "numeric(10,2)"
        QString baseType;      // what values convert as: a domain's base type with its modifiers, "text" for an enum
        ValueConverter::Type type = ValueConverter::Type::Text;
        bool notNull = false;
        bool hasDefault = false;
        bool generated = false; // GENERATED ALWAYS / identity ALWAYS: cannot be written
    };

    QString schema;
    QString name;
    QList<Column> columns;
    QList<QStringList> uniqueKeys; // column lists of unique indexes without expressions or predicates
    QList<bool> nullsNotDistinct;  // per unique key: UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+)
    bool isHypertable = false;

    QString displayName() const { return schema + QLatin1Char('.') + name; }
    int columnIndex(const QString &name) const; // exact match first, then case-insensitive
    QStringList primaryConflictKey() const { return uniqueKeys.isEmpty() ? QStringList() : uniqueKeys.first(); }

    // Resolves [schema.]name with the session's search_path.
    static bool load(Database &db, const QString &qualifiedName, TargetTable *out, DbError *error);
};

} // namespace bfs
