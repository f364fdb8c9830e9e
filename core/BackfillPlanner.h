#pragma once

#include "BackfillPlan.h"
#include "backfill_core_export.h"

namespace bfs {

// Decides, per touched chunk, between direct insert, decompress → insert → recompress
// and new chunk, from the TimescaleDB version matrix and its known bug windows, the
// hypertable's unique keys, the conflict mode and the batch size. Pure: no server access.
class BACKFILL_CORE_EXPORT BackfillPlanner
{
public:
    struct Input
    {
        TimescaleVersion version;
        QString license = QStringLiteral("timescale");
        HypertableInfo hypertable;
        StageSummary summary;
        CsvLoader::Conflict conflict = CsvLoader::Conflict::Error;
        QStringList conflictKey; // update: the unique key ON CONFLICT names (the loader's choice); empty: the first
        BackfillPlan::Overrides overrides;
        bool dmlDecompressionEnabled = true; // timescaledb.enable_dml_decompression
        QString currentUser;
        bool ownsHypertable = true;          // owner, or has the owner role's privileges (pg_has_role USAGE)
        bool memberOfJobOwner = true;        // alter_job / run_job need the job owner's privileges
        QStringList missingPrivileges;       // the load needs them on the hypertable: "INSERT", "UPDATE", …
        QStringList aggregatesNotOwned;      // "name (owner: role)": refresh_continuous_aggregate needs the owner's privileges
        QStringList continuousAggregates;
    };

    static BackfillPlan plan(const Input &input);

    // Whether INSERT into a compressed chunk is safe on this version with these keys and
    // this conflict mode; *reason gets the sentence either way.
    static bool directInsertAllowed(const TimescaleVersion &v, const QList<UniqueKey> &keys, CsvLoader::Conflict conflict,
                                    bool dmlDecompressionEnabled, QString *reason);
};

} // namespace bfs
