#pragma once

#include "ConnectionProfile.h"

#include <QString>
#include <QStringList>

// Where the CTest fixtures put the test servers, and profiles to reach them.
namespace TestServers {

QString fixtureDir();
// PostgreSQL 15 (no TimescaleDB). Roles: bf_trust (trust), bf_scram (SCRAM), bf_owner.
bfs::ConnectionProfile pg15(const QString &user = QStringLiteral("bf_trust"),
                            const QString &database = QStringLiteral("appdb"));
QString pg15ScramPassword();
int pg15Port();
// The TimescaleDB sandbox with the demo data. It accepts any password but wants one.
bfs::ConnectionProfile sandbox();
int sandboxPort();
QString conninfo(const bfs::ConnectionProfile &profile);
// A loopback port where nothing listens.
int closedPort();
QString binary(const QString &name);

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};
// Runs backfill-studio-cli with PGPASSWORD set to `password` (or unset) and no stdin.
// `environment` adds NAME=VALUE entries.
CliRun runCli(const QStringList &args, const QString &password = QString(), const QStringList &environment = QStringList());

} // namespace TestServers
