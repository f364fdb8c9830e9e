#include "DbError.h"

namespace bfs {

QString DbError::kindName(Kind kind)
{
    switch (kind) {
    case Kind::None: return QStringLiteral("none");
    case Kind::AuthenticationFailed: return QStringLiteral("authentication_failed");
    case Kind::PasswordRequired: return QStringLiteral("password_required");
    case Kind::Unreachable: return QStringLiteral("unreachable");
    case Kind::Timeout: return QStringLiteral("timeout");
    case Kind::SslRequired: return QStringLiteral("ssl_required");
    case Kind::SslFailed: return QStringLiteral("ssl_failed");
    case Kind::DatabaseMissing: return QStringLiteral("database_missing");
    case Kind::NotTimescale: return QStringLiteral("timescaledb_not_installed");
    case Kind::TableMissing: return QStringLiteral("table_missing");
    case Kind::PermissionDenied: return QStringLiteral("permission_denied");
    case Kind::Query: return QStringLiteral("query");
    case Kind::Driver: return QStringLiteral("driver");
    case Kind::Cancelled: return QStringLiteral("cancelled");
    }
    return QStringLiteral("unknown");
}

DbError DbError::fromConnectFailure(const QString &libpqMessage, const QString &target)
{
    DbError e;
    e.server = libpqMessage.trimmed();
    e.context = QStringLiteral("connect to %1").arg(target);
    const QString m = e.server;
    auto has = [&m](const char *needle) { return m.contains(QLatin1String(needle), Qt::CaseInsensitive); };

    // libpq's own messages (client side) are matched first; server FATALs follow.
    if (has("password authentication failed") || has("authentication failed for user")) {
        e.kind = Kind::AuthenticationFailed;
        e.sqlState = QStringLiteral("28P01");
        e.message = QStringLiteral("The server at %1 rejected the user name or password.").arg(target);
    } else if (has("no password supplied") || has("password is required")) {
        e.kind = Kind::PasswordRequired;
        e.message = QStringLiteral("The server at %1 asks for a password and none was given "
                                   "(enter one, or add it to your .pgpass file).").arg(target);
    } else if (has("does not exist") && has("database")) {
        e.kind = Kind::DatabaseMissing;
        e.sqlState = QStringLiteral("3D000");
        e.message = QStringLiteral("The database does not exist on %1.").arg(target);
    } else if ((has("no pg_hba.conf entry") || has("pg_hba.conf rejects connection")) && (has("no encryption") || has("SSL off"))) {
        e.kind = Kind::SslRequired;
        e.message = QStringLiteral("The server at %1 only accepts encrypted connections: set SSL mode to "
                                   "\"require\" or stricter.").arg(target);
    } else if (has("server does not support SSL")) {
        e.kind = Kind::SslFailed;
        e.message = QStringLiteral("SSL was required but the server at %1 does not support it.").arg(target);
    } else if (has("does not match host name")) {
        e.kind = Kind::SslFailed;
        e.message = QStringLiteral("The server's certificate is not valid for the host name you connect to (%1): %2")
                        .arg(target, m.section(QLatin1String("failed: "), -1).section(QLatin1Char('\n'), 0, 0));
    } else if (has("certificate") || has("SSL") || has("root certificate")) {
        e.kind = Kind::SslFailed;
        e.message = QStringLiteral("The secure connection to %1 failed: %2").arg(target, m.section(QLatin1String("failed: "), -1).section(QLatin1Char('\n'), 0, 0));
    } else if (has("timeout expired") || has("timed out")) {
        e.kind = Kind::Timeout;
        e.message = QStringLiteral("No answer from %1 within the connect timeout.").arg(target);
    } else if (has("Connection refused") || has("could not translate host name") || has("No route to host")
               || has("Network is unreachable") || has("Name or service not known")
               || has("could not connect to server") || has("is the server running")) {
        e.kind = Kind::Unreachable;
        e.message = QStringLiteral("Nothing answers at %1: check host and port, and that the server is running.").arg(target);
    } else if (has("no pg_hba.conf entry") || (has("role") && has("does not exist"))) {
        e.kind = Kind::AuthenticationFailed;
        e.message = QStringLiteral("The server at %1 does not let this user connect.").arg(target);
    } else {
        e.kind = Kind::Unreachable;
        e.message = QStringLiteral("Could not connect to %1.").arg(target);
    }
    return e;
}

QString DbError::toString() const
{
    if (!isError())
        return QString();
    QString s = message;
    if (!server.isEmpty() && !message.contains(server))
        s += QStringLiteral("\nServer: ") + server;
    if (!sqlState.isEmpty())
        s += QStringLiteral(" (SQLSTATE %1)").arg(sqlState);
    if (!context.isEmpty())
        s += QStringLiteral("\nWhile: ") + context;
    return s;
}

} // namespace bfs
