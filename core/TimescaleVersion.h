#pragma once

#include "backfill_core_export.h"

#include <QMetaType>
#include <QString>

namespace bfs {

// A TimescaleDB extension version as pg_extension reports it: "2.11.2", "2.23.0-dev",
// "2.14.0-rc1". Suffixes are kept; comparisons use major.minor.patch only, so a
// "-dev" build counts as its release.
struct BACKFILL_CORE_EXPORT TimescaleVersion
{
    int major = 0;
    int minor = 0;
    int patch = 0;
    QString suffix; // "dev", "rc1", … without the dash
    QString text;   // as reported

    static TimescaleVersion parse(const QString &text);
    bool isValid() const { return major > 0; }
    bool isPreRelease() const { return !suffix.isEmpty(); }
    QString toString() const;

    // True when this version is at least major.minor.patch.
    bool atLeast(int maj, int min, int pat = 0) const;
    int compare(const TimescaleVersion &other) const;
    bool operator<(const TimescaleVersion &o) const { return compare(o) < 0; }
    bool operator==(const TimescaleVersion &o) const { return compare(o) == 0 && suffix == o.suffix; }
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::TimescaleVersion)
