#pragma once

#include "ConnectionProfile.h"

#include <QMainWindow>

namespace bfs {
class ServerBrowser;
}

class QLabel;

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
    bfs::ServerBrowser *m_browser = nullptr;
    QLabel *m_versions = nullptr;
};
