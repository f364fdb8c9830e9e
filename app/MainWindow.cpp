#include "MainWindow.h"

#include "BackfillEngine.h"
#include "ChunkTimeline.h"
#include "ConnectionManagerDialog.h"
#include "Database.h"
#include "ImportRunPages.h"
#include "ImportSession.h"
#include "ImportWizard.h"
#include "OpenQuestion.h"
#include "Journal.h"
#include "PasswordStore.h"
#include "ProfileStore.h"
#include "ScreenFit.h"
#include "ServerBrowser.h"
#include "SingleThreadPool.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFutureWatcher>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStatusBar>
#include <QTreeWidget>
#include <QtConcurrent/QtConcurrentRun>

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_browser(new bfs::ServerBrowser(this))
    , m_keychain(new bfs::PasswordStore(this))
{
    setWindowTitle(QStringLiteral("Backfill Studio"));
    setObjectName(QStringLiteral("mainWindow"));
    setCentralWidget(m_browser);
    setAcceptDrops(true);
    m_versions = new QLabel(this);
    statusBar()->addPermanentWidget(m_versions);

    // Docks: saved connections and their hypertables, the selected chunk, the activity log.
    m_connections = new QTreeWidget(this);
    m_connections->setObjectName(QStringLiteral("connectionTree"));
    m_connections->setHeaderHidden(true);
    m_connections->setAccessibleName(QStringLiteral("Connections and hypertables"));
    auto *connectionsDock = new QDockWidget(QStringLiteral("Connections"), this);
    connectionsDock->setObjectName(QStringLiteral("connectionsDock"));
    connectionsDock->setWidget(m_connections);
    addDockWidget(Qt::LeftDockWidgetArea, connectionsDock);
    m_chunkDetails = new QLabel(QStringLiteral("Select a chunk on the timeline."), this);
    m_chunkDetails->setObjectName(QStringLiteral("chunkDetails"));
    m_chunkDetails->setWordWrap(true);
    m_chunkDetails->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_chunkDetails->setMargin(6);
    // (long chunk names wrap nowhere: they must not widen the dock, and the layout with it)
    m_chunkDetails->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *detailsDock = new QDockWidget(QStringLiteral("Chunk details"), this);
    detailsDock->setObjectName(QStringLiteral("chunkDetailsDock"));
    detailsDock->setWidget(m_chunkDetails);
    addDockWidget(Qt::RightDockWidgetArea, detailsDock);
    m_activity = new QPlainTextEdit(this);
    m_activity->setObjectName(QStringLiteral("activityLog"));
    m_activity->setReadOnly(true);
    m_activity->setMaximumBlockCount(2000);
    auto *activityDock = new QDockWidget(QStringLiteral("Activity"), this);
    activityDock->setObjectName(QStringLiteral("activityDock"));
    activityDock->setWidget(m_activity);
    addDockWidget(Qt::BottomDockWidgetArea, activityDock);

    QMenu *file = menuBar()->addMenu(QStringLiteral("&File"));
    QAction *connections = file->addAction(QStringLiteral("&Connections…"), this, [this] {
        QSettings settings;
        bfs::ConnectionManagerDialog dialog(&settings, this);
        const bool ok = dialog.exec() == QDialog::Accepted;
        reloadConnections();
        if (ok && !dialog.selectedProfile().name.isEmpty())
            connectTo(dialog.selectedProfile());
    });
    connections->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    QAction *import = file->addAction(QStringLiteral("&Import CSV…"), this, [this] { startImport(QString()); });
    import->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    QAction *refresh = file->addAction(QStringLiteral("&Refresh"), m_browser, &bfs::ServerBrowser::refresh);
    refresh->setShortcut(QKeySequence::Refresh);
    file->addSeparator();
    QAction *quit = file->addAction(QStringLiteral("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    QMenu *view = menuBar()->addMenu(QStringLiteral("&View"));
    view->addAction(connectionsDock->toggleViewAction());
    view->addAction(detailsDock->toggleViewAction());
    view->addAction(activityDock->toggleViewAction());
    view->addSeparator();
    QAction *fit = view->addAction(QStringLiteral("&Fit timeline"), m_browser->timeline(), &bfs::ChunkTimeline::fitAll);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    QMenu *help = menuBar()->addMenu(QStringLiteral("&Help"));
    help->addAction(QStringLiteral("&About Backfill Studio"), this, [this] {
        QMessageBox::about(this, QStringLiteral("About Backfill Studio"),
                           QStringLiteral("<b>Backfill Studio %1</b><p>Backfill historical data into compressed "
                                          "TimescaleDB hypertables.</p>")
                               .arg(QApplication::applicationVersion()));
    });

    connect(m_browser, &bfs::ServerBrowser::inspected, this, &MainWindow::showInspection);
    connect(m_browser->timeline(), &bfs::ChunkTimeline::chunkSelected, this, [this](int index) {
        m_chunkDetails->setText(m_browser->timeline()->toolTipFor(index));
    });
    connect(m_connections, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        if (item->parent()) { // a hypertable
            m_browser->selectHypertable(item->data(0, Qt::UserRole).toString());
            return;
        }
        QSettings settings;
        const auto entries = bfs::ProfileStore(&settings).load();
        const int index = m_connections->indexOfTopLevelItem(item);
        if (index < 0 || index >= entries.size())
            return;
        const bfs::ProfileStore::Entry entry = entries.at(index);
        if (!entry.passwordInKeychain) {
            connectTo(entry.profile); // password: .pgpass, service file, or the form
            return;
        }
        m_keychain->read(entry.profile.name, [this, entry](const QString &password, const QString &error) {
            bfs::ConnectionProfile profile = entry.profile;
            if (!error.isEmpty())
                log(QStringLiteral("The system keychain did not return the password of %1 (%2).").arg(profile.name, error));
            profile.password = password;
            connectTo(profile);
        });
    });
    reloadConnections();
    bfs::resizeToFit(this, QSize(1400, 880));
    // On a small screen the docks give way to the timeline and the chunk table: the chunk's
    // details go under the connections (one column of docks), at most a sixth of the window.
    if (width() < 1300)
        splitDockWidget(connectionsDock, detailsDock, Qt::Vertical);
    const int side = width() / 6;
    resizeDocks({connectionsDock, detailsDock}, {qMin(240, side), qMin(230, side)}, Qt::Horizontal);
    resizeDocks({activityDock}, {110}, Qt::Vertical);
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::log(const QString &line)
{
    m_activity->appendPlainText(QStringLiteral("%1  %2").arg(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")), line));
}

void MainWindow::reloadConnections()
{
    m_connections->clear();
    QSettings settings;
    for (const auto &e : bfs::ProfileStore(&settings).load()) {
        auto *item = new QTreeWidgetItem(m_connections, {e.profile.name});
        item->setToolTip(0, e.profile.displayTarget());
    }
}

void MainWindow::showInspection(const bfs::ServerInspection &in)
{
    if (in.serverVersionNum > 0) {
        m_versions->setText(QStringLiteral("PostgreSQL %1 · TimescaleDB %2")
                                .arg(in.serverVersion, in.timescaleInstalled ? in.timescaleVersion.toString() : QStringLiteral("not installed")));
        setWindowTitle(QStringLiteral("%1 — Backfill Studio").arg(in.target));
    } else {
        m_versions->clear();
        setWindowTitle(QStringLiteral("Backfill Studio"));
    }
    log(in.ok() ? QStringLiteral("Connected to %1: %2 hypertable(s).").arg(in.target).arg(in.hypertables.size())
                : QStringLiteral("%1: %2").arg(in.target, in.error.message));
    // The connection in the tree, with its hypertables and a compression summary.
    QTreeWidgetItem *node = nullptr;
    for (int i = 0; i < m_connections->topLevelItemCount(); ++i)
        if (m_connections->topLevelItem(i)->toolTip(0) == in.target || m_connections->topLevelItem(i)->text(0) == m_browser->profile().name)
            node = m_connections->topLevelItem(i);
    if (!node)
        node = new QTreeWidgetItem(m_connections, {m_browser->profile().name.isEmpty() ? in.target : m_browser->profile().name});
    node->setToolTip(0, in.target);
    qDeleteAll(node->takeChildren());
    for (const bfs::HypertableInfo &h : in.hypertables) {
        auto *child = new QTreeWidgetItem(node, {QStringLiteral("%1 — %2 chunks, %3 compressed")
                                                     .arg(h.qualifiedName()).arg(h.chunks.size()).arg(h.compressedChunkCount())});
        child->setData(0, Qt::UserRole, h.qualifiedName());
    }
    node->setExpanded(true);
    if (in.ok())
        recoverInterruptedBackfills(m_browser->profile());
}

void MainWindow::recoverInterruptedBackfills(const bfs::ConnectionProfile &profile)
{
    // A backfill that died (crash, power loss) left its journal: finish it in the background
    // (the journal folder too is read there: it may be on a network share).
    struct Outcome
    {
        QStringList actions; // what was finished
        QStringList left;    // journals left alone: their backfill still running, or a copy of the server
        QString error;
    };
    auto *watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher] {
        const Outcome o = watcher->result();
        watcher->deleteLater();
        for (const QString &a : o.actions + o.left)
            log(QStringLiteral("Recovery: ") + a);
        if (!o.error.isEmpty()) {
            log(QStringLiteral("Recovery: ") + o.error);
            statusBar()->showMessage(QStringLiteral("An interrupted backfill could not be recovered: see the Activity log."), 15000);
        } else if (!o.actions.isEmpty()) {
            statusBar()->showMessage(QStringLiteral("An interrupted backfill was recovered: see the Activity log."), 15000);
        }
        if (!o.actions.isEmpty())
            m_browser->refresh();
    });
    // (Its own thread: a journal folder on a share that does not answer holds up no other work,
    // nor quitting.)
    static QThreadPool *const pool = bfs::newSingleThreadPool();
    watcher->setFuture(QtConcurrent::run(pool, [profile] {
        Outcome o;
        if (bfs::Journal::unfinished(bfs::Journal::defaultDirectory()).isEmpty())
            return o;
        bfs::Database db(profile);
        bfs::DbError e;
        if (!db.open(&e))
            o.error = e.message;
        else if (!bfs::BackfillEngine::recover(db, QString(), &o.actions, &e, &o.left))
            o.error = e.message;
        return o;
    }));
}

void MainWindow::connectTo(const bfs::ConnectionProfile &profile)
{
    log(QStringLiteral("Connecting to %1…").arg(profile.displayTarget()));
    m_browser->connectTo(profile);
}

void MainWindow::startImport(const QString &csvPath)
{
    bfs::HypertableInfo ht;
    if (!m_browser->currentHypertable(&ht)) {
        // (connected to a database without hypertables, the user is told why, not to connect)
        const bfs::ServerInspection &in = m_browser->inspection();
        const bool connected = in.serverVersionNum > 0 && !in.error.isError();
        const QString cli = QStringLiteral("the import wizard backfills hypertables. (backfill-studio-cli backfill loads a CSV file "
                                           "into a plain table too.)");
        QString why = QStringLiteral("Connect to a database with TimescaleDB, and select a hypertable first.");
        if (in.error.kind == bfs::DbError::Kind::NotTimescale)
            why = QStringLiteral("%1 has no TimescaleDB: %2").arg(in.database, cli);
        else if (connected && in.hypertables.isEmpty())
            why = QStringLiteral("%1 has no hypertable: %2").arg(in.database, cli);
        else if (connected)
            why = QStringLiteral("Select a hypertable first.");
        QMessageBox::information(this, QStringLiteral("Import CSV"), why);
        return;
    }
    auto *wizard = new bfs::ImportWizard(m_browser->profile(), ht, this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    // The saved connection's upload method (a proxy that cannot take COPY: insert).
    QSettings settings;
    for (const bfs::ProfileStore::Entry &e : bfs::ProfileStore(&settings).load())
        if (e.profile.name == m_browser->profile().name && !e.profile.name.isEmpty())
            bfs::CsvLoader::uploadFromName(e.uploadMethod, &wizard->session()->options.load.upload);
    if (!csvPath.isEmpty())
        wizard->setFile(csvPath);
    connect(wizard, &QDialog::finished, this, [this, wizard] {
        if (wizard->session()->ran)
            log(wizard->session()->runResult.message);
        m_browser->refresh();
    });
    log(QStringLiteral("Import wizard opened for %1%2.").arg(ht.qualifiedName(), csvPath.isEmpty() ? QString() : QStringLiteral(" from ") + csvPath));
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
    // A wizard still at work (a backfill, a plan, an export, a retry): closing (or quitting)
    // would cancel it unseen, and its worker thread must not be waited for here.
    bool backfilling = false;
    const QList<bfs::ImportWizard *> busy = busyWizards(&backfilling);
    if (!busy.isEmpty()) {
        event->ignore();
        if (m_closeWhenIdle)
            return; // (asked already: waiting for the cancel to finish)
        if (!backfilling) {
            cancelAndClose();
            return;
        }
        if (m_closeQuestion) {
            m_closeQuestion->raise();
            return;
        }
        // Not modal: the run goes on while the question is open, and if it ends first the
        // question goes (there is nothing left to cancel; closing again closes at once).
        QMessageBox *box = bfs::openQuestion(this, QStringLiteral("Backfill running"),
                                             QStringLiteral("A backfill is still running. Cancel it and close? The chunk in progress is "
                                                            "rolled back and the compression policy restored before the window closes."),
                                             [this] { cancelAndClose(); });
        for (bfs::ImportWizard *w : std::as_const(busy))
            connect(w, &bfs::ImportWizard::becameIdle, box, [this, box] {
                if (!m_closeWhenIdle && busyWizards(nullptr).isEmpty())
                    box->close();
            });
        m_closeQuestion = box;
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

// The wizards still at work (a backfill, a plan, an export, a retry); *backfilling: one of them
// runs a backfill or a retry.
QList<bfs::ImportWizard *> MainWindow::busyWizards(bool *backfilling) const
{
    QList<bfs::ImportWizard *> busy;
    for (bfs::ImportWizard *w : findChildren<bfs::ImportWizard *>())
        if (w->isBusy()) {
            busy << w;
            if (backfilling)
                *backfilling = *backfilling || w->runPage()->isRunning() || w->summaryPage()->isRetrying();
        }
    return busy;
}

// Cancels every wizard's work, and closes the window once all of it has stopped.
void MainWindow::cancelAndClose()
{
    bool backfilling = false;
    const QList<bfs::ImportWizard *> busy = busyWizards(&backfilling);
    if (busy.isEmpty()) { // (it ended while the question was open)
        close();
        return;
    }
    m_closeWhenIdle = true;
    if (backfilling)
        log(QStringLiteral("Cancelling the running backfill; the window closes when its compression policy is restored."));
    for (bfs::ImportWizard *w : std::as_const(busy)) {
        connect(w, &bfs::ImportWizard::becameIdle, this, &QWidget::close, Qt::QueuedConnection);
        connect(w, &QObject::destroyed, this, &QWidget::close, Qt::QueuedConnection);
        w->cancelAndClose();
    }
}
