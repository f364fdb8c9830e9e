#pragma once

#include <QStringList>

// `backfill-studio-cli backfill --db CONNINFO --table [SCHEMA.]NAME --csv FILE [...]`
int runBackfill(const QStringList &arguments);
