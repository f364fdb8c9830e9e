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
// On the sandbox: a hypertable `name` (time, device_id, temperature, humidity, status) with daily
// chunks from 2026-08-20, two devices every 30 minutes, all compressed, a compression policy
// (compress_after 30 days). Returns an error message, empty on success.
QString createCompressedHypertable(const QString &name, bool uniqueKey = true, int days = 3);
// Runs statements without parameters on the sandbox. Returns an error message, empty on success.
QString sandboxScript(const QString &sql);
// One value from the sandbox (t/f as 1/0); -1 with a warning when the query fails.
qint64 sandboxScalar(const QString &sql, const QStringList &params = {});
// The hypertable's compression policy: 1 scheduled, 0 paused, -1 no such job or the query failed.
qint64 policyScheduledFlag(const QString &table);
inline bool policyScheduled(const QString &table) { return policyScheduledFlag(table) == 1; }
// Chunks older than the policy's 30 days that are not fully compressed; -1 when the table has no
// such chunk at all (a test of compression would then test nothing).
qint64 chunksNotFullyCompressed(const QString &table);
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
// Runs a script with psql (PostgreSQL 15's) on the sandbox, as a user would run an exported plan.
CliRun runPsqlOnSandbox(const QString &scriptFile);

} // namespace TestServers
