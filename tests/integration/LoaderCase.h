// What the loader's tests share: a folder for CSV files, SQL on a server, and loads with
// CsvLoader against PostgreSQL 15 or the TimescaleDB sandbox.
#pragma once

#include "CsvLoader.h"
#include "Database.h"

#include <QObject>
#include <QTemporaryDir>

#include <atomic>

// A readings table (time, device_id, temperature, humidity, status; unique time and device);
// %1 is its name. Dropped first.
extern const char *const kReadings;

class LoaderCase : public QObject
{
protected:
    QString writeCsv(const QString &name, const QByteArray &content);
    void exec(const bfs::ConnectionProfile &p, const QString &sql);
    qint64 count(const bfs::ConnectionProfile &p, const QString &sql);
    bfs::CsvLoader::Summary load(const bfs::ConnectionProfile &p, bfs::CsvLoader::Options o, const std::atomic<bool> *cancel = nullptr,
                                 const bfs::CsvLoader::ProgressFn &progress = bfs::CsvLoader::ProgressFn());
    // On PostgreSQL 15: runs `ddl`, then loads `content` (file `table`.csv) into `table` with the defaults.
    bfs::CsvLoader::Summary loadIntoPg15(const QString &table, const QString &ddl, const QByteArray &content);
    QTemporaryDir m_dir;
};
