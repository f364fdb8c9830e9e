#pragma once

#include "backfill_core_export.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace bfs {

// The local record of a backfill's state changes, written (and flushed to disk) before
// each change: the policy paused and its previous state, each chunk decompressed, rows
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

    // Starts a new journal for a run; `header` identifies the run (target, file, server).
    bool create(const QString &directory, const QJsonObject &header, QString *error);
    // Appends one step and syncs it to disk before returning.
    bool write(const QString &step, const QJsonObject &data = QJsonObject());
    // Marks the run finished: the journal is removed.
    void finish();

    QString path() const { return m_path; }

    // Unfinished journals in a folder (oldest first).
    static QStringList unfinished(const QString &directory);
    static bool read(const QString &path, QJsonObject *header, QList<Entry> *entries, QString *error);
    static void remove(const QString &path);

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
    QString m_path;
};

} // namespace bfs
