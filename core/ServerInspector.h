#pragma once

#include "ConnectionProfile.h"
#include "ServerModel.h"
#include "backfill_core_export.h"

namespace bfs {

class Database;

// Looks inside a server: versions, edition, hypertables with their dimensions, chunks,
// compression settings, unique keys and compression policies. Uses TimescaleDB's public
// views and functions only. Blocking: call it on a worker thread (InspectorController)
// or from the command line.
class BACKFILL_CORE_EXPORT ServerInspector
{
public:
    struct Options
    {
        QString table;        // "name" or "schema.name"; empty = every hypertable
        bool withChunks = true;
    };

    // Opens its own connection, inspects, closes it.
    static ServerInspection inspect(const ConnectionProfile &profile, const Options &options);
    static ServerInspection inspect(const ConnectionProfile &profile) { return inspect(profile, Options()); }
    // Inspects over an open connection.
    static ServerInspection inspect(Database &db, const Options &options);

    // Splits "schema.name" (identifiers may be double-quoted) into its parts.
    static bool splitQualifiedName(const QString &text, QString *schema, QString *name);
    // What an inspection that failed after connecting says: "Connected to PostgreSQL …" and its
    // error (the version once: the error may name it already); without a connection, the error.
    static QString failureText(const ServerInspection &in);
};

} // namespace bfs
