#pragma once

#include "backfill_core_export.h"

#include <QString>
#include <QStringList>

namespace bfs {

class Database;

// Who else holds a lock on these relations ([schema.]name, quoted as needed), for the message
// of a lock timeout: "backend 4242 (alice, psql) running: LOCK TABLE …". Empty when nobody
// does any more or the lookup fails; never throws the caller off its error path.
BACKFILL_CORE_EXPORT QString describeLockHolders(Database &db, const QStringList &relations);

} // namespace bfs
