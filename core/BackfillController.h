#pragma once

#include "BackfillEngine.h"
#include "ConnectionProfile.h"
#include "backfill_core_export.h"

#include <QMutex>
#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>

namespace bfs {

class Database;

// Runs a BackfillEngine on its own connection in a worker thread.
class BackfillWorker : public QObject
{
    Q_OBJECT
public:
    BackfillWorker(std::atomic<bool> *cancel, QMutex *mutex, std::function<void()> *canceller);

public Q_SLOTS:
    void run(const bfs::ConnectionProfile &profile, const bfs::BackfillEngine::Options &options);

Q_SIGNALS:
    void progress(const bfs::BackfillEngine::Progress &progress);
    void statement(const QString &sql);
    void finished(const bfs::BackfillEngine::Result &result);

private:
    std::atomic<bool> *m_cancel;
    QMutex *m_mutex;
    std::function<void()> *m_canceller;
};

// Owns the worker thread (Qt's QThread pattern): start() queues a run, progress and the
// result come back as queued signals carrying values, cancel() works between statements
// and inside one (PQcancel). The GUI thread never waits on the server.
class BACKFILL_CORE_EXPORT BackfillController : public QObject
{
    Q_OBJECT
public:
    explicit BackfillController(QObject *parent = nullptr);
    ~BackfillController() override;

    bool isRunning() const { return m_running; }
    // False (and nothing starts) while a run or dry run is under way.
    bool start(const ConnectionProfile &profile, const BackfillEngine::Options &options);
    void cancel();

Q_SIGNALS:
    void progress(const bfs::BackfillEngine::Progress &progress);
    void statement(const QString &sql);
    void finished(const bfs::BackfillEngine::Result &result);
    void requestRun(const bfs::ConnectionProfile &profile, const bfs::BackfillEngine::Options &options);

private:
    QThread m_thread;
    std::atomic<bool> m_cancel{false};
    QMutex m_mutex;
    std::function<void()> m_canceller; // sends a cancel request for the running statement
    bool m_running = false;
};

} // namespace bfs

Q_DECLARE_METATYPE(bfs::BackfillEngine::Progress)
Q_DECLARE_METATYPE(bfs::BackfillEngine::Result)
Q_DECLARE_METATYPE(bfs::BackfillEngine::Options)
