#pragma once

#include "backfill_core_export.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>

class QLockFile;

namespace bfs {

// The local record of a backfill's state changes, written before each change: the policy paused and its previous state, each chunk decompressed, rows
// moved, chunks recompressed, the policy restored. An unfinished journal tells
// `recover` what to put back, and a re-run of the same backfill which chunks are done.
// One JSON object per line; never contains a password.
class BACKFILL_CORE_EXPORT Journal
{
public:
    struct Entry
    {
        QString step;
        QJsonObject data;
    };

    // Folder for journals: $BFS_JOURNAL_DIR, else <app data>/journals.
    static QString defaultDirectory();

    Journal();
    ~Journal();
    Journal(const Journal &) = delete;
    Journal &operator=(const Journal &) = delete;

    // Starts a new journal for a run; `header` identifies the run (target, file, server). Its
    // lock file (…journal.lock) says, as long as this object lives, that the run is going on.
    bool create(const QString &directory, const QJsonObject &header, QString *error);
    // How far an entry must have gone when write() returns. Now: on the disk, as an entry must be
    // before the change it announces can happen (the policy paused, a transaction committed).
    // Later: in the file (it survives the process, and the operating system keeps it in order);
    // the next Now entry takes it to the disk. For entries that a lost power supply may take
    // back because recovery does not need them (a range begun: nothing is committed before its
    // "commit" entry; a range done: its "commit" entry lets the server say so).
    enum class Sync { Now, Later };
    // Appends one step.
    bool write(const QString &step, const QJsonObject &data = QJsonObject(), Sync sync = Sync::Now);
    // Marks the run finished: the journal is removed.
    void finish();

    QString path() const { return m_path; }

    // Unfinished journals in a folder (oldest first).
    static QStringList unfinished(const QString &directory);
    static bool read(const QString &path, QJsonObject *header, QList<Entry> *entries, QString *error);
    static void remove(const QString &path);
    // Claims the journal at `path` for recovery: *lock holds its lock file until it is destroyed.
    // False when the run that writes it is still going on (its lock is held; *holder names the
    // process and host). A lock left by a process that died, from before a restart of the
    // computer, or naming this process's id without being one of its journals (a process id
    // given again, as to a container's first process) is stale and taken over.
    static bool claim(const QString &path, std::unique_ptr<QLockFile> *lock, QString *holder);

    // Set by tests (BFS_CRASH_AT=step, or step#N for its Nth time): the process dies right after
    // writing that step.
    static QString crashPoint();
    // Fault injection for the recovery tests: dies like kill -9 when BFS_CRASH_AT names `point`
    // (every journal step is such a point; "after_commit" is one more, between COMMIT and its entry).
    static void crashIfAt(const QString &point);
    // Where an interrupted run's journal is kept as a ledger of its completed ranges
    // (…/backfill-….journal → …/backfill-….recovered).
    static QString ledgerPath(const QString &journalPath);

private:
    static QString lockPath(const QString &journalPath);
    void release();
    QString m_path;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace bfs
