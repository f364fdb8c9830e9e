#include "ImportSession.h"

#include "Database.h"

#include <QFile>
#include <QFutureWatcher>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>

namespace bfs {

ImportSession::ImportSession(QObject *parent)
    : QObject(parent)
{
    options.load.conflict = CsvLoader::Conflict::Skip;
}

void ImportSession::loadTarget()
{
    struct Loaded
    {
        TargetTable table;
        QString error;
    };
    auto *watcher = new QFutureWatcher<Loaded>(this);
    const int request = ++m_targetRequest;
    connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher, request] {
        const Loaded l = watcher->result();
        watcher->deleteLater();
        if (request != m_targetRequest) // a later request is on its way (a late failure must not undo it)
            return;
        target = l.table;
        targetError = l.error;
        targetLoaded = l.error.isEmpty();
        Q_EMIT targetReady();
        // A file read before the table was known is read again with its columns (a header that
        // names them, the numeric ones that decide the decimal separator), as the load reads it.
        if (targetLoaded && m_sniffedWithoutTable && !options.load.csvPath.isEmpty())
            sniff(options.load.csvPath);
    });
    const ConnectionProfile p = profile;
    const QString table = tableName();
    watcher->setFuture(QtConcurrent::run([p, table] {
        Loaded l;
        Database db(p);
        DbError e;
        if (!db.open(&e) || !TargetTable::load(db, table, &l.table, &e))
            l.error = e.message;
        return l;
    }));
}

void ImportSession::sniff(const QString &csvPath)
{
    using Sniffed = std::pair<CsvSniffer::Result, QByteArray>;
    auto *watcher = new QFutureWatcher<Sniffed>(this);
    const int request = ++m_sniffRequest;
    connect(watcher, &QFutureWatcher<Sniffed>::finished, this, [this, watcher, request] {
        if (request != m_sniffRequest) { // a later request is on its way
            watcher->deleteLater();
            return;
        }
        sniffed = watcher->result().first;
        sample = watcher->result().second;
        watcher->deleteLater();
        Q_EMIT sniffReady();
    });
    const CsvSniffer::Hints hints = CsvLoader::sniffHints(options.load, target); // (as the load will read the file)
    m_sniffedWithoutTable = !targetLoaded;
    watcher->setFuture(QtConcurrent::run([csvPath, hints] {
        QFile f(csvPath);
        QByteArray bytes;
        if (f.open(QIODevice::ReadOnly))
            bytes = f.read(CsvSniffer::SampleBytes);
        return Sniffed(CsvSniffer::sniffFile(csvPath, hints), bytes);
    }));
}

void ImportSession::remember() const
{
    QSettings s;
    s.beginGroup(QStringLiteral("import/") + tableName());
    QStringList mapping;
    for (const auto &[csv, column] : options.load.mappings)
        mapping << csv + QLatin1Char('=') + column;
    s.setValue(QStringLiteral("mapping"), mapping);
    QStringList formats;
    for (auto it = options.load.formats.cbegin(); it != options.load.formats.cend(); ++it)
        formats << it.key() + QLatin1Char('=') + it.value();
    s.setValue(QStringLiteral("formats"), formats);
    s.setValue(QStringLiteral("timezone"), options.load.timeZone);
    s.setValue(QStringLiteral("conflict"), CsvLoader::conflictName(options.load.conflict));
    s.endGroup();
}

void ImportSession::recall()
{
    QSettings s;
    s.beginGroup(QStringLiteral("import/") + tableName());
    options.load.mappings.clear();
    for (const QString &m : s.value(QStringLiteral("mapping")).toStringList())
        options.load.mappings << qMakePair(m.section(QLatin1Char('='), 0, 0), m.section(QLatin1Char('='), 1));
    options.load.formats.clear();
    for (const QString &f : s.value(QStringLiteral("formats")).toStringList())
        options.load.formats.insert(f.section(QLatin1Char('='), 0, 0), f.section(QLatin1Char('='), 1));
    options.load.timeZone = s.value(QStringLiteral("timezone")).toString();
    CsvLoader::Conflict c;
    if (CsvLoader::conflictFromName(s.value(QStringLiteral("conflict"), QStringLiteral("skip")).toString(), &c))
        options.load.conflict = c;
    s.endGroup();
}

} // namespace bfs
