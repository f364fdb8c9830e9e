#include "InspectorController.h"

namespace bfs {

void InspectorWorker::inspect(quint64 requestId, const ConnectionProfile &profile, const QString &table,
                              bool withChunks)
{
    ServerInspector::Options options;
    options.table = table;
    options.withChunks = withChunks;
    Q_EMIT finished(requestId, ServerInspector::inspect(profile, options));
}

InspectorController::InspectorController(QObject *parent)
    : QObject(parent)
    , m_thread(new QThread)
{
    qRegisterMetaType<bfs::ConnectionProfile>();
    qRegisterMetaType<bfs::ServerInspection>();
    m_thread->setObjectName(QStringLiteral("bfs-inspector"));
    auto *worker = new InspectorWorker;
    worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, worker, &QObject::deleteLater);
    connect(this, &InspectorController::requestInspect, worker, &InspectorWorker::inspect, Qt::QueuedConnection);
    connect(worker, &InspectorWorker::finished, this,
            [this](quint64 id, const ServerInspection &result) {
                --m_pending;
                Q_EMIT finished(id, result);
            },
            Qt::QueuedConnection);
    m_thread->start();
}

InspectorController::~InspectorController()
{
    if (m_pending > 0) {
        // An inspection may be waiting on a server that does not answer (up to the connection
        // timeout): the GUI does not wait for it. The thread ends when it returns; its answer
        // goes nowhere (this object is gone, and with it the connection to its signal).
        connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
        m_thread->quit();
        return;
    }
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

quint64 InspectorController::inspect(const ConnectionProfile &profile, const QString &table, bool withChunks)
{
    const quint64 id = m_nextId++;
    ++m_pending;
    Q_EMIT requestInspect(id, profile, table, withChunks);
    return id;
}

} // namespace bfs
