#include "LoaderCase.h"

#include "TestServers.h"

#include <QFile>
#include <QtTest>

using namespace bfs;

const char *const kReadings = "DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, device_id int NOT NULL, "
                                  "temperature double precision, humidity double precision, status text, UNIQUE (time, device_id));";

QString LoaderCase::writeCsv(const QString &name, const QByteArray &content)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    return path;
}

void LoaderCase::exec(const ConnectionProfile &p, const QString &sql)
{
    Database db(p);
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    QVERIFY2(db.execScript(sql, &e), qPrintable(e.toString()));
}

qint64 LoaderCase::count(const ConnectionProfile &p, const QString &sql)
{
    Database db(p);
    DbError e;
    QueryResult r;
    if (!db.open(&e) || !db.exec(sql, &r, &e)) {
        qWarning("%s", qPrintable(e.toString()));
        return -1;
    }
    return r.intValue(0, 0);
}

CsvLoader::Summary LoaderCase::load(const ConnectionProfile &p, CsvLoader::Options o, const std::atomic<bool> *cancel,
                                    const CsvLoader::ProgressFn &progress)
{
    Database db(p);
    DbError e;
    if (!db.open(&e)) {
        CsvLoader::Summary s;
        s.outcome = CsvLoader::Outcome::ConnectionError;
        s.message = e.toString();
        return s;
    }
    return CsvLoader(o).run(db, cancel, progress);
}

CsvLoader::Summary LoaderCase::loadIntoPg15(const QString &table, const QString &ddl, const QByteArray &content)
{
    const ConnectionProfile pg = TestServers::pg15(QStringLiteral("bf_owner"));
    exec(pg, ddl);
    CsvLoader::Options o;
    o.table = table;
    o.csvPath = writeCsv(table + QStringLiteral(".csv"), content);
    return load(pg, o);
}
