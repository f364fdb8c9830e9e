// What the engine's sandbox tests share: hypertables to backfill into, CSV files, the engine
// and the CLI run against the TimescaleDB sandbox, a folder for files and journals.
#pragma once

#include "BackfillEngine.h"
#include "Database.h"

#include <QObject>
#include <QTemporaryDir>

#include <atomic>

// A CSV row of the test files (time,device_id,temperature,humidity,status).
QByteArray row(const char *time, int device, double temp = 21.5);

class EngineSandboxCase : public QObject
{
protected:
    // Compressed daily chunks from 2026-08-20, two devices, a compression policy.
    void createTable(const QString &name, bool uniqueKey = true, int days = 3);
    // A hypertable with the CSV's five columns (time of type timeType) and `constraints` (more
    // columns too), device 1 every `step` from `from` to `to`, chunks of `interval` (empty:
    // TimescaleDB's default, 7 days), all compressed (segment by device_id); `then` runs last.
    // partitions > 0: space partitions by device_id.
    void createHypertable(const QString &name, const QString &timeType, const QString &constraints, const QString &from,
                          const QString &to, const QString &step, const QString &interval, const QString &then = QString(),
                          int partitions = 0);
    // A continuous aggregate <table>_daily (day, device_id, n = count), materialized only, empty.
    void createDailyAggregate(const QString &table);
    QString csv(const QString &name, const QList<QByteArray> &rows);
    qint64 scalar(const QString &sql, const QStringList &params = {});
    bool policyScheduled(const QString &table);
    qint64 notFullyCompressed(const QString &table);
    // The engine on a connection to the sandbox (dbOut: that connection, kept open), journals in m_dir.
    bfs::BackfillEngine::Result run(bfs::BackfillEngine::Options o, const std::atomic<bool> *cancel = nullptr,
                                    const bfs::BackfillEngine::ProgressFn &progress = bfs::BackfillEngine::ProgressFn(),
                                    bfs::Database *dbOut = nullptr, const bfs::BackfillEngine::LogFn &log = bfs::BackfillEngine::LogFn());
    // backfill-studio-cli arguments for the sandbox, journals in m_dir/my.journals.
    QStringList cliBase(const QString &table, const QString &file) const;
    QTemporaryDir m_dir;
};
