#pragma once

#include <QStringList>

// `backfill-studio-cli backfill --db CONNINFO --table [SCHEMA.]NAME --csv FILE [...]`
int runBackfill(const QStringList &arguments);

// `backfill-studio-cli recover --db CONNINFO [--journal-dir DIR]`
int runRecover(const QStringList &arguments);
