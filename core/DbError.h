#pragma once

#include "backfill_core_export.h"

#include <QMetaType>
#include <QString>

namespace bfs {

// A structured error from core: what went wrong, in plain words, plus what the
// server said. Only the widgets layer turns it into dialogs.
struct BACKFILL_CORE_EXPORT DbError
{
    enum class Kind {
        None,
        AuthenticationFailed, // wrong password or role not allowed
        PasswordRequired,     // the server asked for a password and none was available
        Unreachable,          // nothing listens there / host unknown
        Timeout,              // connect_timeout expired
        SslRequired,          // the server only accepts encrypted connections
        SslFailed,            // TLS handshake or certificate verification failed
        DatabaseMissing,      // the database does not exist
        NotTimescale,         // TimescaleDB is not installed in this database
        TableMissing,         // the requested hypertable does not exist
        PermissionDenied,     // SQLSTATE 42501 and friends
        Query,                // any other server-side error
        Driver,               // the QPSQL driver is not available
        Cancelled,
    };

    Kind kind = Kind::None;
    QString message;  // plain-language sentence for the user
    QString server;   // what the server or libpq said, verbatim (never contains secrets)
    QString sqlState; // five-character SQLSTATE when the server sent one
    QString constraint; // the constraint a row broke, when the server named it (any message language)
    QString context;  // which statement or step was running

    bool isError() const { return kind != Kind::None; }
    explicit operator bool() const { return isError(); }

    static QString kindName(Kind kind);
    // Classifies a failed connection attempt from libpq's message.
    static DbError fromConnectFailure(const QString &libpqMessage, const QString &target);
    QString toString() const;
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::DbError)
