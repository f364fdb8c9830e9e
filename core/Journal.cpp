#include "Journal.h"

#include <QAtomicInt>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLockFile>
#include <QMutex>
#include <QSet>
#include <QStandardPaths>
#include <QUuid>

#include <cerrno>
#include <cstdlib>
#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <unistd.h>
#endif
#ifdef Q_OS_WIN
#include <io.h>
#endif

namespace bfs {

namespace {
// Data written to f reaches the disk (not only the system's cache) before this returns.
bool syncToDisk(QFile &f)
{
#if defined(Q_OS_UNIX)
    return ::fsync(f.handle()) == 0 || errno == EINVAL; // EINVAL: a file that cannot be synced at all
#elif defined(Q_OS_WIN)
    return ::_commit(f.handle()) == 0; // FlushFileBuffers (QFile::handle() gives a C runtime descriptor there too)
#else
    Q_UNUSED(f);
    return true;
#endif
}

// A new file's name in its folder reaches the disk too (POSIX: the folder is synced).
void syncDirectory(const QString &directory)
{
#ifdef Q_OS_UNIX
    const int fd = ::open(QFile::encodeName(directory).constData(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
#else
    Q_UNUSED(directory);
#endif
}
} // namespace

QString Journal::defaultDirectory()
{
    const QString env = qEnvironmentVariable("BFS_JOURNAL_DIR");
    if (!env.isEmpty())
        return env;
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share");
    return base + QStringLiteral("/Backfill Studio/journals");
}

QString Journal::crashPoint()
{
    return qEnvironmentVariable("BFS_CRASH_AT");
}

QString Journal::ledgerPath(const QString &journalPath)
{
    const QString suffix = QStringLiteral(".journal");
    const QString base = journalPath.endsWith(suffix) ? journalPath.left(journalPath.size() - suffix.size()) : journalPath;
    return base + QStringLiteral(".recovered");
}

void Journal::crashIfAt(const QString &point)
{
    const QString at = crashPoint();
    if (at.isEmpty() || at.section(QLatin1Char('#'), 0, 0) != point)
        return;
    static QAtomicInt seen;
    const int nth = at.contains(QLatin1Char('#')) ? at.section(QLatin1Char('#'), 1).toInt() : 1;
    if (seen.fetchAndAddRelaxed(1) + 1 == nth)
        std::_Exit(137);
}

namespace {
// The journals this process writes (their lock is held by a Journal object here).
QMutex s_ownMutex;
QSet<QString> s_own;

QString canonical(const QString &path)
{
    return QFileInfo(path).absoluteFilePath();
}
} // namespace

Journal::Journal() = default;

Journal::~Journal()
{
    release();
}

// The lock file goes, and the journal is no longer this process's.
void Journal::release()
{
    if (!m_lock)
        return;
    {
        QMutexLocker locker(&s_ownMutex);
        s_own.remove(canonical(m_path));
    }
    m_lock.reset();
}

QString Journal::lockPath(const QString &journalPath)
{
    return journalPath + QStringLiteral(".lock");
}

bool Journal::claim(const QString &path, std::unique_ptr<QLockFile> *lock, QString *holder)
{
    auto l = std::make_unique<QLockFile>(lockPath(path));
    l->setStaleLockTime(0); // a run may last hours: only a dead holder makes the lock stale
    if (!l->tryLock(0) && l->error() == QLockFile::LockFailedError) {
        qint64 pid = 0;
        QString host, app;
        const bool info = l->getLockInfo(&pid, &host, &app);
        bool own;
        {
            QMutexLocker locker(&s_ownMutex);
            own = s_own.contains(canonical(path));
        }
        // Stale although Qt cannot tell: our own process id but not one of our journals (left by
        // an earlier process that had the same id), or a lock file without its content (cut
        // short by a crash or a power loss; a live run writes it as it creates it). Removing it
        // fails while a live process holds it (a file lock on Unix, an open handle on Windows).
        const QFileInfo lockInfo(lockPath(path));
        const bool reused = info && !own && pid == QCoreApplication::applicationPid();
        const bool empty = !info && lockInfo.lastModified().secsTo(QDateTime::currentDateTime()) > 10;
        if (!(reused || empty) || !l->removeStaleLockFile() || !l->tryLock(0)) {
            if (holder) {
                if (!QFileInfo(lockInfo.absolutePath()).isWritable())
                    *holder = QStringLiteral("or its lock file %1 is left from a run that stopped: the folder is not writable, so it "
                                             "cannot be checked")
                                  .arg(QDir::toNativeSeparators(lockInfo.absoluteFilePath()));
                else
                    *holder = info ? QStringLiteral("process %1 on %2").arg(pid).arg(host) : QStringLiteral("another process");
            }
            return false;
        }
    }
    // (A lock file that cannot be made at all, in a read-only folder, holds nothing back.)
    *lock = std::move(l);
    return true;
}

bool Journal::create(const QString &directory, const QJsonObject &header, QString *error)
{
    if (!QDir().mkpath(directory)) {
        *error = QStringLiteral("cannot create the journal folder %1").arg(directory);
        return false;
    }
    m_path = QDir(directory).filePath(QStringLiteral("backfill-%1-%2.journal")
                                          .arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddHHmmss")),
                                               QUuid::createUuid().toString(QUuid::Id128).left(8)));
    // The lock first: a journal without a held lock is one to recover.
    m_lock = std::make_unique<QLockFile>(lockPath(m_path));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(0)) {
        *error = QStringLiteral("cannot create the journal's lock file %1%2")
                     .arg(QDir::toNativeSeparators(lockPath(m_path)),
                          m_lock->error() == QLockFile::PermissionError ? QStringLiteral(": the folder is not writable") : QString());
        m_lock.reset();
        return false;
    }
    {
        QMutexLocker locker(&s_ownMutex);
        s_own.insert(canonical(m_path));
    }
    QJsonObject h = header;
    h[QStringLiteral("started")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    h[QStringLiteral("pid")] = double(QCoreApplication::applicationPid());
    if (!write(QStringLiteral("start"), h)) {
        *error = QStringLiteral("cannot write the journal %1").arg(m_path);
        return false;
    }
    syncDirectory(directory);
    return true;
}

bool Journal::write(const QString &step, const QJsonObject &data, Sync sync)
{
    QJsonObject line = data;
    line[QStringLiteral("step")] = step;
    line[QStringLiteral("at")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QFile f(m_path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append))
        return false;
    const QByteArray bytes = QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    const bool ok = f.write(bytes) == bytes.size() && f.flush() && (sync == Sync::Later || syncToDisk(f));
    f.close();
    crashIfAt(step);
    return ok;
}

void Journal::finish()
{
    if (!m_path.isEmpty())
        QFile::remove(m_path);
    release();
    m_path.clear();
}

QStringList Journal::unfinished(const QString &directory)
{
    QDir dir(directory);
    QStringList out;
    const QStringList names = dir.entryList({QStringLiteral("backfill-*.journal")}, QDir::Files, QDir::Name);
    for (const QString &n : names)
        out << dir.filePath(n);
    return out;
}

bool Journal::read(const QString &path, QJsonObject *header, QList<Entry> *entries, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    int lineNo = 0;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty())
            continue;
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(line, &pe).object();
        if (pe.error != QJsonParseError::NoError) {
            // A torn last line (crash while writing) is ignored; anything else is corruption.
            if (f.atEnd())
                break;
            *error = QStringLiteral("%1, line %2: %3").arg(path).arg(lineNo).arg(pe.errorString());
            return false;
        }
        const QString step = o.value(QStringLiteral("step")).toString();
        if (step == QLatin1String("start"))
            *header = o;
        else
            entries->append(Entry{step, o});
    }
    return true;
}

void Journal::remove(const QString &path)
{
    QFile::remove(path);
}

} // namespace bfs
