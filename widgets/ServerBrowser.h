#pragma once

#include "ConnectionProfile.h"
#include "ServerModel.h"
#include "backfill_widgets_export.h"

#include <QWidget>

class QLabel;
class QListWidget;
class QTableView;

namespace bfs {

class ChunkTableModel;
class ChunkTimeline;
class ConnectionForm;
class InspectorController;

// Connection form, the hypertables of the connected database, and the chunks of the
// selected one. All server work runs on the InspectorController's thread.
class BACKFILL_WIDGETS_EXPORT ServerBrowser : public QWidget
{
    Q_OBJECT
public:
    explicit ServerBrowser(QWidget *parent = nullptr);
    ~ServerBrowser() override;

    ConnectionForm *connectionForm() const { return m_form; }
    QListWidget *hypertableList() const { return m_hypertables; }
    QTableView *chunkView() const { return m_chunkView; }
    ChunkTableModel *chunkModel() const { return m_chunks; }
    ChunkTimeline *timeline() const { return m_timeline; }
    QString statusText() const;
    const ServerInspection &inspection() const { return m_inspection; }
    const ConnectionProfile &profile() const { return m_profile; }
    // The hypertable selected in the list; false when none.
    bool currentHypertable(HypertableInfo *out) const;

public Q_SLOTS:
    void connectTo(const bfs::ConnectionProfile &profile);
    void refresh();
    void selectHypertable(const QString &qualifiedName);

Q_SIGNALS:
    void inspected(const bfs::ServerInspection &inspection);
    void hypertableSelected(const bfs::HypertableInfo &hypertable);

private:
    void showInspection(const ServerInspection &inspection);
    void showHypertable(int row);

    ConnectionForm *m_form = nullptr;
    QListWidget *m_hypertables = nullptr;
    QTableView *m_chunkView = nullptr;
    ChunkTableModel *m_chunks = nullptr;
    ChunkTimeline *m_timeline = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_details = nullptr;
    InspectorController *m_inspector = nullptr;
    ConnectionProfile m_profile;
    ServerInspection m_inspection;
    quint64 m_pendingRequest = 0;
};

} // namespace bfs
