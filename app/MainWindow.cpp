#include "MainWindow.h"

#include "ConnectionManagerDialog.h"
#include "ImportWizard.h"
#include "ServerBrowser.h"
#include "ServerModel.h"

#include <QApplication>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QDragEnterEvent>
#include <QMimeData>
#include <QCloseEvent>
#include <QSettings>
#include <QMessageBox>
#include <QStatusBar>

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_browser(new bfs::ServerBrowser(this))
{
    setWindowTitle(QStringLiteral("Backfill Studio"));
    setCentralWidget(m_browser);
    setAcceptDrops(true);
    m_versions = new QLabel(this);
    statusBar()->addPermanentWidget(m_versions);

    QMenu *file = menuBar()->addMenu(QStringLiteral("&File"));
    QAction *connections = file->addAction(QStringLiteral("&Connections…"), this, [this] {
        QSettings settings;
        bfs::ConnectionManagerDialog dialog(&settings, this);
        if (dialog.exec() == QDialog::Accepted && !dialog.selectedProfile().name.isEmpty())
            m_browser->connectTo(dialog.selectedProfile());
    });
    connections->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    QAction *import = file->addAction(QStringLiteral("&Import CSV…"), this, [this] { startImport(QString()); });
    import->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    QAction *refresh = file->addAction(QStringLiteral("&Refresh"), m_browser, &bfs::ServerBrowser::refresh);
    refresh->setShortcut(QKeySequence::Refresh);
    file->addSeparator();
    QAction *quit = file->addAction(QStringLiteral("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    QMenu *help = menuBar()->addMenu(QStringLiteral("&Help"));
    help->addAction(QStringLiteral("&About Backfill Studio"), this, [this] {
        QMessageBox::about(this, QStringLiteral("About Backfill Studio"),
                           QStringLiteral("<b>Backfill Studio %1</b><p>Backfill historical data into compressed "
                                          "TimescaleDB hypertables.</p>")
                               .arg(QApplication::applicationVersion()));
    });

    connect(m_browser, &bfs::ServerBrowser::inspected, this, [this](const bfs::ServerInspection &in) {
        if (in.serverVersionNum > 0) {
            m_versions->setText(QStringLiteral("PostgreSQL %1 · TimescaleDB %2")
                                    .arg(in.serverVersion,
                                         in.timescaleInstalled ? in.timescaleVersion.toString()
                                                               : QStringLiteral("not installed")));
            setWindowTitle(QStringLiteral("%1 — Backfill Studio").arg(in.target));
        } else {
            m_versions->clear();
            setWindowTitle(QStringLiteral("Backfill Studio"));
        }
    });
    resize(1200, 760);
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::startImport(const QString &csvPath)
{
    bfs::HypertableInfo ht;
    if (!m_browser->currentHypertable(&ht)) {
        QMessageBox::information(this, QStringLiteral("Import CSV"), QStringLiteral("Connect and select a hypertable first."));
        return;
    }
    auto *wizard = new bfs::ImportWizard(m_browser->profile(), ht, this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    if (!csvPath.isEmpty())
        wizard->setFile(csvPath);
    connect(wizard, &QDialog::finished, m_browser, &bfs::ServerBrowser::refresh);
    wizard->show();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    startImport(event->mimeData()->urls().first().toLocalFile());
    event->acceptProposedAction();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::connectTo(const bfs::ConnectionProfile &profile)
{
    m_browser->connectTo(profile);
}
