#include "ImportSession.h"

#include "Database.h"

#include <QFile>
#include <QFutureWatcher>
#include <QMap>
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
    s.setValue(QStringLiteral("timezone"), options.load.timeZone);
    s.setValue(QStringLiteral("conflict"), CsvLoader::conflictName(options.load.conflict));
    s.endGroup();
}

namespace {

// "name=value" lines ↔ a map (a CSV column's name may hold '=': the last one separates).
QMap<QString, QString> readPairs(const QStringList &lines)
{
    QMap<QString, QString> out;
    for (const QString &l : lines)
        out.insert(l.section(QLatin1Char('='), 0, -2), l.section(QLatin1Char('='), -1));
    return out;
}

QStringList writePairs(const QMap<QString, QString> &pairs)
{
    QStringList out;
    for (auto it = pairs.cbegin(); it != pairs.cend(); ++it)
        out << it.key() + QLatin1Char('=') + it.value();
    return out;
}

} // namespace

void ImportSession::rememberColumns(const QList<ColumnChoice> &choices)
{
    QSettings s;
    s.beginGroup(QStringLiteral("import/") + tableName());
    QMap<QString, QString> mapping = readPairs(s.value(QStringLiteral("columns")).toStringList());
    QMap<QString, QString> formats = readPairs(s.value(QStringLiteral("columnFormats")).toStringList());
    for (const ColumnChoice &c : choices) {
        mapping.insert(c.csvColumn, c.tableColumn); // (empty: skipped)
        rememberedColumns.insert(c.csvColumn, c.tableColumn);
        if (c.format.isEmpty()) {
            formats.remove(c.csvColumn);
            rememberedFormats.remove(c.csvColumn);
        } else {
            formats.insert(c.csvColumn, c.format);
            rememberedFormats.insert(c.csvColumn, c.format);
        }
    }
    s.setValue(QStringLiteral("columns"), writePairs(mapping));
    s.setValue(QStringLiteral("columnFormats"), writePairs(formats));
    s.remove(QStringLiteral("mapping")); // (what earlier versions kept: the last file's only)
    s.remove(QStringLiteral("formats"));
    s.endGroup();
}

void ImportSession::recall()
{
    QSettings s;
    s.beginGroup(QStringLiteral("import/") + tableName());
    options.load.mappings.clear(); // (the Columns page sets them from what it shows)
    options.load.formats.clear();
    rememberedColumns.clear();
    const QStringList columns = s.contains(QStringLiteral("columns")) ? s.value(QStringLiteral("columns")).toStringList()
                                                                        : s.value(QStringLiteral("mapping")).toStringList();
    const QMap<QString, QString> mapping = readPairs(columns);
    for (auto it = mapping.cbegin(); it != mapping.cend(); ++it)
        rememberedColumns.insert(it.key(), it.value());
    rememberedFormats.clear();
    const QMap<QString, QString> formats = readPairs(s.value(QStringLiteral("columnFormats")).toStringList());
    for (auto it = formats.cbegin(); it != formats.cend(); ++it)
        rememberedFormats.insert(it.key(), it.value());
    options.load.timeZone = s.value(QStringLiteral("timezone")).toString();
    CsvLoader::Conflict c;
    if (CsvLoader::conflictFromName(s.value(QStringLiteral("conflict"), QStringLiteral("skip")).toString(), &c))
        options.load.conflict = c;
    s.endGroup();
}

} // namespace bfs
