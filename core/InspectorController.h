#pragma once

#include "ConnectionProfile.h"
#include "ServerInspector.h"
#include "ServerModel.h"
#include "backfill_core_export.h"

#include <QObject>
#include <QThread>

namespace bfs {

// Runs ServerInspector on a worker thread it owns, so the GUI never waits on the
// network. Requests are queued; each answer comes back as finished(requestId, result).
class InspectorWorker : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

public Q_SLOTS:
    void inspect(quint64 requestId, const bfs::ConnectionProfile &profile, const QString &table, bool withChunks);

Q_SIGNALS:
    void finished(quint64 requestId, const bfs::ServerInspection &result);
};

class BACKFILL_CORE_EXPORT InspectorController : public QObject
{
    Q_OBJECT
public:
    explicit InspectorController(QObject *parent = nullptr);
    ~InspectorController() override;

    // Returns the id that finished() will carry.
    quint64 inspect(const ConnectionProfile &profile, const QString &table = QString(), bool withChunks = true);
    bool isBusy() const { return m_pending > 0; }

Q_SIGNALS:
    void finished(quint64 requestId, const bfs::ServerInspection &result);
    void requestInspect(quint64 requestId, const bfs::ConnectionProfile &profile, const QString &table,
                        bool withChunks);

private:
    QThread *m_thread; // (left to finish alone when this goes with an inspection still connecting)
    quint64 m_nextId = 1;
    int m_pending = 0;
};

} // namespace bfs
