#pragma once

#include <QStringList>

// Exit codes shared by every subcommand (see README).
namespace ExitCode {
constexpr int Ok = 0;
constexpr int Rejected = 1;
constexpr int Usage = 2;
constexpr int Connection = 3;
constexpr int Server = 4;
constexpr int Cancelled = 5;
} // namespace ExitCode

// `backfill-studio-cli inspect --db CONNINFO [--table NAME] [--json]`
int runInspect(const QStringList &arguments);
