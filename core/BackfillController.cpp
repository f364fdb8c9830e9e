#include "BackfillController.h"

#include "Database.h"

#include <thread>

namespace bfs {

BackfillWorker::BackfillWorker(std::atomic<bool> *cancel, QMutex *mutex, std::function<void()> *canceller)
    : m_cancel(cancel)
    , m_mutex(mutex)
    , m_canceller(canceller)
{
}

void BackfillWorker::run(const ConnectionProfile &profile, const BackfillEngine::Options &options)
{
    Database db(profile);
    DbError error;
    if (!db.open(&error)) {
        BackfillEngine::Result r;
        r.outcome = CsvLoader::Outcome::ConnectionError;
        r.error = error;
        r.message = error.message;
        Q_EMIT finished(r);
        return;
    }
    {
        QMutexLocker lock(m_mutex);
        *m_canceller = db.canceller();
    }
    BackfillEngine engine(options);
    const BackfillEngine::Result r = engine.run(
        db, m_cancel, [this](const BackfillEngine::Progress &p) { Q_EMIT progress(p); },
        [this](const QString &sql) { Q_EMIT statement(sql); });
    {
        QMutexLocker lock(m_mutex);
        *m_canceller = nullptr;
    }
    Q_EMIT finished(r);
}

BackfillController::BackfillController(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<bfs::ConnectionProfile>();
    qRegisterMetaType<bfs::BackfillEngine::Progress>();
    qRegisterMetaType<bfs::BackfillEngine::Result>();
    qRegisterMetaType<bfs::BackfillEngine::Options>();
    m_thread.setObjectName(QStringLiteral("bfs-backfill"));
    auto *worker = new BackfillWorker(&m_cancel, &m_mutex, &m_canceller);
    worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, worker, &QObject::deleteLater);
    connect(this, &BackfillController::requestRun, worker, &BackfillWorker::run, Qt::QueuedConnection);
    connect(worker, &BackfillWorker::progress, this, &BackfillController::progress, Qt::QueuedConnection);
    connect(worker, &BackfillWorker::statement, this, &BackfillController::statement, Qt::QueuedConnection);
    connect(worker, &BackfillWorker::finished, this, [this](const BackfillEngine::Result &r) {
        m_running = false;
        Q_EMIT finished(r);
    }, Qt::QueuedConnection);
    m_thread.start();
}

BackfillController::~BackfillController()
{
    cancel();
    m_thread.quit();
    m_thread.wait();
}

bool BackfillController::start(const ConnectionProfile &profile, const BackfillEngine::Options &options)
{
    if (m_running) // one at a time: a second would queue behind the first, unseen
        return false;
    m_cancel = false;
    m_running = true;
    Q_EMIT requestRun(profile, options);
    return true;
}

void BackfillController::cancel()
{
    m_cancel = true; // the engine checks it between statements
    std::function<void()> send;
    {
        QMutexLocker lock(&m_mutex);
        send = m_canceller;
    }
    if (send)
        std::thread(send).detach(); // PQcancel connects to the server: never on the GUI thread
}

} // namespace bfs
