#pragma once

#include "ConnectionProfile.h"
#include "ServerModel.h"

#include <QMainWindow>
#include <QPointer>

namespace bfs {
class ImportWizard;
class PasswordStore;
class ServerBrowser;
}

class QLabel;
class QMessageBox;
class QPlainTextEdit;
class QTreeWidget;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);

    bfs::ServerBrowser *browser() const { return m_browser; }
    void connectTo(const bfs::ConnectionProfile &profile);
    void startImport(const QString &csvPath);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void log(const QString &line);
    void reloadConnections();
    void showInspection(const bfs::ServerInspection &in);
    void recoverInterruptedBackfills(const bfs::ConnectionProfile &profile);
    QList<bfs::ImportWizard *> busyWizards(bool *backfilling) const;
    void cancelAndClose();

    bfs::ServerBrowser *m_browser = nullptr;
    QLabel *m_versions = nullptr;
    QTreeWidget *m_connections = nullptr;
    QLabel *m_chunkDetails = nullptr;
    QPlainTextEdit *m_activity = nullptr;
    bfs::PasswordStore *m_keychain = nullptr;
    QPointer<QMessageBox> m_closeQuestion; // "Backfill running … close?", while it is open
    bool m_closeWhenIdle = false; // the user chose to close while a backfill ran: close when it has stopped
};
