#include "CliInspect.h"

#include "ConnectionProfile.h"
#include "InspectionJson.h"
#include "ServerInspector.h"
#include "Terminal.h"

#include <QCommandLineParser>
#include <QJsonDocument>

using namespace bfs;

namespace {

int exitCodeFor(const DbError &e)
{
    switch (e.kind) {
    case DbError::Kind::None: return ExitCode::Ok;
    case DbError::Kind::AuthenticationFailed:
    case DbError::Kind::PasswordRequired:
    case DbError::Kind::Unreachable:
    case DbError::Kind::Timeout:
    case DbError::Kind::SslRequired:
    case DbError::Kind::SslFailed:
    case DbError::Kind::DatabaseMissing:
    case DbError::Kind::Driver:
        return ExitCode::Connection;
    case DbError::Kind::Cancelled: return ExitCode::Cancelled;
    default: return ExitCode::Server;
    }
}

void printText(const ServerInspection &in)
{
    Terminal::out(QStringLiteral("Server:       %1").arg(in.target));
    Terminal::out(QStringLiteral("PostgreSQL:   %1 (%2)").arg(in.serverVersion).arg(in.serverVersionNum));
    Terminal::out(QStringLiteral("Database:     %1 as %2").arg(in.database, in.user));
    if (!in.timescaleInstalled)
        return;
    Terminal::out(QStringLiteral("TimescaleDB:  %1 (%2 license)").arg(in.timescaleVersion.toString(), in.license));
    if (in.error.kind == DbError::Kind::TableMissing)
        return; // (the table asked for is not there: a count of none would read as the database's)
    Terminal::out(QStringLiteral("Hypertables:  %1").arg(in.hypertables.size()));
    for (const HypertableInfo &h : in.hypertables) {
        Terminal::out(QString());
        Terminal::out(QStringLiteral("%1 (owner %2): %3 chunks, %4 compressed")
                          .arg(h.qualifiedName(), h.owner)
                          .arg(h.chunks.size())
                          .arg(h.compressedChunkCount()));
        {
            // What a backfill will need of the current user (checked again before it changes anything).
            QStringList missing;
            if (!h.ownerPrivileges)
                missing << QStringLiteral("the owner's privileges (%1), which decompress_chunk and compress_chunk need").arg(h.owner);
            if (!h.canInsert)
                missing << QStringLiteral("INSERT");
            for (const PolicyJob &j : h.policies)
                if (j.scheduled && !j.canAlter)
                    missing << QStringLiteral("the privileges of %1, which owns job %2 (alter_job pauses it)").arg(j.owner).arg(j.jobId);
            Terminal::out(missing.isEmpty() ? QStringLiteral("  privileges   %1 has what a backfill needs").arg(in.user)
                                            : QStringLiteral("  privileges   %1 lacks %2").arg(in.user, missing.join(QStringLiteral("; "))));
        }
        for (const DimensionInfo &d : h.dimensions) {
            if (d.isTime)
                Terminal::out(QStringLiteral("  time column  %1 %2, interval %3")
                                  .arg(d.column, d.columnType,
                                       d.timeInterval.isEmpty() ? QString::number(d.integerInterval) : d.timeInterval));
            else
                Terminal::out(QStringLiteral("  space column %1 %2, %3 partitions").arg(d.column, d.columnType).arg(d.numPartitions));
        }
        if (h.compressionEnabled)
            Terminal::out(QStringLiteral("  compression  segment by [%1], order by [%2]")
                              .arg(h.segmentBy().join(QStringLiteral(", ")), h.orderBy()));
        for (const UniqueKey &k : h.uniqueKeys)
            Terminal::out(QStringLiteral("  %1 %2 (%3)")
                              .arg(k.primaryKey ? QStringLiteral("primary key") : QStringLiteral("unique key "), k.name,
                                   k.columns.join(QStringLiteral(", "))));
        for (const PolicyJob &j : h.policies)
            Terminal::out(QStringLiteral("  job %1 %2 %3%4")
                              .arg(j.jobId)
                              .arg(j.procName, j.scheduled ? QStringLiteral("scheduled") : QStringLiteral("PAUSED"),
                                   j.compressAfter.isEmpty() ? QString() : QStringLiteral(", compress after ") + j.compressAfter));
        for (const QString &cagg : h.continuousAggregates)
            Terminal::out(QStringLiteral("  continuous aggregate %1").arg(cagg));
        for (const ChunkInfo &c : h.chunks) {
            const QString range = c.integerRange
                ? QStringLiteral("[%1, %2)").arg(c.rangeStartInteger).arg(c.rangeEndInteger)
                : QStringLiteral("[%1, %2)").arg(c.rangeStart.toString(Qt::ISODate), c.rangeEnd.toString(Qt::ISODate));
            Terminal::out(QStringLiteral("  %1 %2 %3").arg(c.qualifiedName(), range, ChunkInfo::stateName(c.state)));
        }
    }
}

} // namespace

int runInspect(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Show what Backfill Studio sees in a database."));
    parser.addHelpOption();
    const QCommandLineOption db(QStringLiteral("db"),
                                QStringLiteral("libpq connection string or postgresql:// URI."),
                                QStringLiteral("CONNINFO"));
    const QCommandLineOption table(QStringLiteral("table"), QStringLiteral("Only this hypertable ([SCHEMA.]NAME)."),
                                   QStringLiteral("NAME"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON object."));
    parser.addOptions({db, table, json});
    if (!parser.parse(arguments)) {
        Terminal::err(QStringLiteral("backfill-studio-cli inspect: %1").arg(parser.errorText()));
        return ExitCode::Usage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        Terminal::out(parser.helpText());
        return ExitCode::Ok;
    }
    if (!parser.isSet(db)) {
        Terminal::err(QStringLiteral("backfill-studio-cli inspect: --db CONNINFO is required"));
        return ExitCode::Usage;
    }
    ConnectionProfile profile;
    QString parseError;
    if (!ConnectionProfile::fromConnInfo(parser.value(db), &profile, &parseError)) {
        Terminal::err(QStringLiteral("backfill-studio-cli inspect: invalid --db: %1").arg(parseError));
        return ExitCode::Usage;
    }
    ServerInspector::Options options;
    options.table = parser.value(table);
    ServerInspection in = ServerInspector::inspect(profile, options);
    if (in.error.kind == DbError::Kind::PasswordRequired && Terminal::stdinIsTerminal()) {
        profile.password = Terminal::readPassword(QStringLiteral("Password for %1: ").arg(profile.displayTarget()));
        in = ServerInspector::inspect(profile, options);
    }

    // A database without TimescaleDB is a valid answer when no table was asked for.
    const bool notTimescaleOnly = in.error.kind == DbError::Kind::NotTimescale && options.table.isEmpty();
    if (parser.isSet(json)) {
        Terminal::out(QString::fromUtf8(QJsonDocument(InspectionJson::toJson(in)).toJson(QJsonDocument::Indented)));
    } else {
        if (in.serverVersionNum > 0)
            printText(in);
        if (in.error.isError())
            Terminal::err(in.error.toString());
    }
    return notTimescaleOnly ? ExitCode::Ok : exitCodeFor(in.error);
}
