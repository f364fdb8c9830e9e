#include "EngineSandboxCase.h"

#include "TestServers.h"

#include <QFile>
#include <QtTest>

using namespace bfs;

QByteArray row(const char *time, int device, double temp)
{
    return QByteArray(time) + ',' + QByteArray::number(device) + ',' + QByteArray::number(temp) + ",50,ok";
}

void EngineSandboxCase::createTable(const QString &name, bool uniqueKey, int days)
{
    const QString error = TestServers::createCompressedHypertable(name, uniqueKey, days);
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void EngineSandboxCase::createHypertable(const QString &name, const QString &timeType, const QString &constraints, const QString &from,
                                         const QString &to, const QString &step, const QString &interval, const QString &then,
                                         int partitions)
{
    const QString error = TestServers::sandboxScript(
        QStringLiteral("DROP TABLE IF EXISTS %1 CASCADE; "
                       "CREATE TABLE %1 (time %2 NOT NULL, device_id int NOT NULL, temperature double precision, "
                       "  humidity double precision, status text%3); "
                       "SELECT create_hypertable('%1', 'time'%4); "
                       "INSERT INTO %1 SELECT t, 1, 20, 50, 'seed' FROM generate_series('%5'::%2, '%6', '%7') t; "
                       "ALTER TABLE %1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
                       "SELECT compress_chunk(c, true) FROM show_chunks('%1') c; %8")
            .arg(name, timeType, constraints.isEmpty() ? QString() : QStringLiteral(", ") + constraints,
                 (partitions > 0 ? QStringLiteral(", 'device_id', %1").arg(partitions) : QString())
                     + (interval.isEmpty() ? QString() : QStringLiteral(", chunk_time_interval => interval '%1'").arg(interval)),
                 from, to, step, then));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

QString EngineSandboxCase::csv(const QString &name, const QList<QByteArray> &rows)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write("time,device_id,temperature,humidity,status\n");
    for (const QByteArray &r : rows)
        f.write(r + '\n');
    return path;
}

void EngineSandboxCase::createDailyAggregate(const QString &table)
{
    const QString error = TestServers::sandboxScript(
        QStringLiteral("CREATE MATERIALIZED VIEW %1_daily WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                       "SELECT time_bucket('1 day', time) AS day, device_id, count(*) AS n FROM %1 GROUP BY 1, 2 WITH NO DATA")
            .arg(table));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

qint64 EngineSandboxCase::scalar(const QString &sql, const QStringList &params)
{
    return TestServers::sandboxScalar(sql, params);
}

bool EngineSandboxCase::policyScheduled(const QString &table)
{
    return TestServers::policyScheduled(table);
}

qint64 EngineSandboxCase::notFullyCompressed(const QString &table)
{
    return TestServers::chunksNotFullyCompressed(table);
}

BackfillEngine::Result EngineSandboxCase::run(BackfillEngine::Options o, const std::atomic<bool> *cancel,
                                              const BackfillEngine::ProgressFn &progress, Database *dbOut, const BackfillEngine::LogFn &log)
{
    if (o.journalDirectory.isEmpty())
        o.journalDirectory = m_dir.filePath(QStringLiteral("journals"));
    Database own(TestServers::sandbox());
    Database &db = dbOut ? *dbOut : own;
    DbError e;
    if (!db.isOpen() && !db.open(&e)) {
        BackfillEngine::Result r;
        r.outcome = CsvLoader::Outcome::ConnectionError;
        r.message = e.toString();
        return r;
    }
    return BackfillEngine(o).run(db, cancel, progress, log);
}

QStringList EngineSandboxCase::cliBase(const QString &table, const QString &file) const
{
    // The journal folder's name holds ".journal" on purpose: only the file's suffix may change.

    return {QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(), QStringLiteral("--table"), table,
            QStringLiteral("--csv"), file, QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))};
}

