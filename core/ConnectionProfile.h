#pragma once

#include "backfill_core_export.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace bfs {

// Where and how to connect. The password lives here only in memory: it is never
// written by toConnInfo(), to settings, logs or journals.
struct BACKFILL_CORE_EXPORT ConnectionProfile
{
    QString name;
    QString host = QStringLiteral("localhost");
    QString hostAddress;                   // libpq hostaddr: connect here, verify certificates against host
    int port = 5432;
    QString database;
    QString user;
    QString password;                      // in memory only
    QString sslMode = QStringLiteral("prefer");
    QString sslRootCert;
    QString sslCert;
    QString sslKey;
    QString service;                       // pg_service.conf entry, if any
    int connectTimeoutSeconds = 10;
    QString applicationName = QStringLiteral("Backfill Studio");
    // Every other libpq keyword the connection string gave (options, target_session_attrs,
    // keepalives, gssencmode, …) as key=value, passed on as given. Secret ones (sslpassword)
    // are kept apart: they are never written by toConnInfo().
    QStringList otherOptions;
    QStringList secretOptions;

    // Parses any libpq connection string or postgresql:// URI (PQconninfoParse).
    // Returns false and fills *error when the text is not a valid conninfo.
    static bool fromConnInfo(const QString &conninfo, ConnectionProfile *out, QString *error);

    // A libpq connection string without the password, safe to show and log.
    QString toConnInfo() const;
    // "user@host:port/database", for messages.
    QString displayTarget() const;
    // The QPSQL connect options (everything that has no QSqlDatabase setter).
    QString qpsqlConnectOptions() const;

    bool operator==(const ConnectionProfile &o) const;

private:
    QStringList connInfoParts(bool withTarget) const;
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::ConnectionProfile)
