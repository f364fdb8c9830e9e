#pragma once

#include "ServerModel.h"
#include "backfill_core_export.h"

#include <QJsonObject>

namespace bfs {

// The machine-readable form of an inspection, as `backfill-studio-cli inspect --json` prints it.
class BACKFILL_CORE_EXPORT InspectionJson
{
public:
    static QJsonObject toJson(const ServerInspection &inspection);
    static QJsonObject toJson(const HypertableInfo &hypertable);
    static QJsonObject toJson(const DbError &error);
};

} // namespace bfs
