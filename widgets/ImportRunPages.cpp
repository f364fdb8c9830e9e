#include "ImportRunPages.h"

#include "BackfillController.h"
#include "ChunkTimeline.h"
#include "CsvReader.h"
#include "ImportSession.h"
#include "RejectsWriter.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUrl>
#include <QVBoxLayout>
#include <QWizard>

#include <algorithm>
#include <utility>

namespace bfs {

namespace {

QString settleRetryFiles(const QString &retryPath, const QString &retryRejects, const QString &rejects, bool completed);

// What a planned chunk looks like once its range has committed: compressed again in the range's
// own transaction, or, when that waits (for the end of the run or the policy), partly compressed
// after a direct insert and uncompressed after a decompression.
ChunkInfo::State stateAfterRange(const BackfillPlan &plan, const BackfillPlan::ChunkStep &s)
{
    if (!s.chunk.isCompressed())
        return s.chunk.state;
    if (plan.recompressInTransaction(s))
        return ChunkInfo::State::Compressed;
    return s.action == BackfillPlan::Action::DecompressInsertRecompress ? ChunkInfo::State::Uncompressed
                                                                        : ChunkInfo::State::PartiallyCompressed;
}

QString rejectsPathFor(const QString &csv)
{
    // (the folder is made when the file is opened, on the worker thread)
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/rejects");
    return QDir(dir).filePath(QStringLiteral("%1-%2.rejects.csv")
                                  .arg(QFileInfo(csv).completeBaseName(), QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
}

QString outcomeText(CsvLoader::Outcome o)
{
    switch (o) {
    case CsvLoader::Outcome::Completed: return QStringLiteral("completed");
    case CsvLoader::Outcome::InputError: return QStringLiteral("stopped: input error");
    case CsvLoader::Outcome::ConnectionError: return QStringLiteral("stopped: connection lost");
    case CsvLoader::Outcome::ServerError: return QStringLiteral("stopped: server error");
    case CsvLoader::Outcome::Cancelled: return QStringLiteral("cancelled");
    }
    return QString();
}

} // namespace

// ---------------------------------------------------------------- plan

ImportPlanPage::ImportPlanPage(ImportSession *session, BackfillController *controller, QWidget *parent)
    : QWizardPage(parent)
    , m_session(session)
    , m_controller(controller)
{
    setTitle(QStringLiteral("Plan"));
    setSubTitle(QStringLiteral("What will happen to each chunk, and why. Nothing has changed yet."));
    // Run commits: once the backfill starts, Back cannot lead to this page and a second run.
    setCommitPage(true);
    setButtonText(QWizard::CommitButton, QStringLiteral("&Run >"));
    m_conflict = new QComboBox(this);
    m_conflict->setObjectName(QStringLiteral("conflict"));
    m_conflict->addItem(QStringLiteral("Skip rows that already exist"), int(CsvLoader::Conflict::Skip));
    m_conflict->addItem(QStringLiteral("Update rows that already exist"), int(CsvLoader::Conflict::Update));
    m_conflict->addItem(QStringLiteral("Stop at the first existing row"), int(CsvLoader::Conflict::Error));
    m_recompress = new QCheckBox(QStringLiteral("Re&compress touched chunks during the run (otherwise the policy will)"), this);
    m_recompress->setObjectName(QStringLiteral("recompress"));
    m_recompress->setChecked(true);
    m_summary = new QLabel(QStringLiteral("Planning…"), this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setWordWrap(true);
    m_timeline = new ChunkTimeline(this);
    m_timeline->setMinimumHeight(150);
    m_reasons = new QPlainTextEdit(this);
    m_reasons->setObjectName(QStringLiteral("reasons"));
    m_reasons->setReadOnly(true);
    m_export = new QPushButton(QStringLiteral("&Export SQL…"), this);
    m_export->setObjectName(QStringLiteral("exportSql"));
    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("E&xisting rows:"), m_conflict);
    form->addRow(QString(), m_recompress);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_summary);
    layout->addWidget(m_timeline, 2);
    layout->addWidget(m_reasons, 2);
    layout->addLayout(buttons);

    connect(m_conflict, &QComboBox::activated, this, &ImportPlanPage::plan);
    connect(m_recompress, &QCheckBox::toggled, this, &ImportPlanPage::plan);
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, QStringLiteral("Export the plan as SQL"),
                                                       QFileInfo(m_session->options.load.csvPath).completeBaseName() + QStringLiteral(".sql"),
                                                       QStringLiteral("SQL scripts (*.sql)"));
        if (!f.isEmpty())
            exportSql(f);
    });
    // A large file takes a while to read: how far the pass has come.
    connect(m_controller, &BackfillController::progress, this, [this](const BackfillEngine::Progress &p) {
        if (!m_planning)
            return;
        if (p.phase == QLatin1String("stage") && p.rowsMoved > 0)
            m_summary->setText(QStringLiteral("%1 %2 rows read so far.").arg(m_planMessage, QLocale().toString(p.rowsMoved)));
        else if (p.phase == QLatin1String("plan"))
            m_summary->setText(QStringLiteral("%1 The file is read (%2 to plan); counting them per chunk, and those already there…")
                                   .arg(m_planMessage, p.rowsTotal == 1 ? QStringLiteral("1 row")
                                                                        : QStringLiteral("%1 rows").arg(QLocale().toString(p.rowsTotal))));
    });
    connect(m_controller, &BackfillController::finished, this, [this](const BackfillEngine::Result &r) {
        if (!m_planning)
            return;
        m_planning = false;
        if (m_replan && m_exportPath.isEmpty()) {
            // Options changed while it ran (Back, a new mapping, Next): its plan is stale.
            m_replan = false;
            plan();
            return;
        }
        m_session->planResult = r;
        m_session->planned = r.planned;
        // A plan that cannot run, or no plan: the summary in the error colour (why Run is off).
        QPalette pal = palette();
        if (!r.planned || !r.plan.runnable())
            pal.setColor(QPalette::WindowText, QColor(0xb0, 0x00, 0x20));
        m_summary->setPalette(pal);
        if (!r.planned) {
            m_summary->setText(r.message);
            m_reasons->clear();
        } else {
            const BackfillPlan &p = r.plan;
            m_summary->setText(QStringLiteral("%1 rows read, %2 rejected; %3 touched (%4 direct insert, %5 decompress), "
                                              "%6 rows for new chunks; %7.%8")
                                   .arg(r.load.rowsRead).arg(r.load.rowsRejected)
                                   .arg(p.chunks.size() == 1 ? QStringLiteral("1 chunk") : QStringLiteral("%1 chunks").arg(p.chunks.size()))
                                   .arg(p.count(BackfillPlan::Action::DirectInsert))
                                   .arg(p.count(BackfillPlan::Action::DecompressInsertRecompress))
                                   .arg(p.newChunkRows)
                                   .arg((p.conflict == CsvLoader::Conflict::Update ? QStringLiteral("%1 rows already there would be updated")
                                                                                   : QStringLiteral("%1 rows already exist"))
                                            .arg(qMax<qint64>(0, p.summary.existingRows)))
                                   .arg(p.blockers.isEmpty() ? QString() : QStringLiteral(" BLOCKED: ") + p.blockers.join(QStringLiteral("; ")))
                               + (p.warnings.isEmpty() ? QString() : QStringLiteral("\nWarning: ") + p.warnings.join(QStringLiteral("\nWarning: ")))
                               + (r.load.notes.isEmpty() ? QString() : QStringLiteral("\nNote: ") + r.load.notes.join(QStringLiteral("\nNote: "))));
            m_reasons->setPlainText(p.toText());
            m_timeline->setHypertable(m_session->hypertable);
            m_timeline->setPlan(p);
        }
        m_export->setEnabled(r.planned);
        m_conflict->setEnabled(true);
        m_recompress->setEnabled(true);
        if (!m_exportPath.isEmpty()) {
            const QString path = std::exchange(m_exportPath, QString());
            const QString error = r.exportedSqlPath.isEmpty() ? r.message : QString();
            m_summary->setText(error.isEmpty() ? m_summary->text() + QStringLiteral("\nThe plan and its rows were written to %1.")
                                                                          .arg(QDir::toNativeSeparators(path))
                                               : error);
            Q_EMIT exported(path, error);
        }
        Q_EMIT completeChanged();
        Q_EMIT planReady();
        if (std::exchange(m_replan, false)) // (an export pass ended: now the plan of what was chosen since)
            plan();
    });
}

void ImportPlanPage::initializePage()
{
    m_conflict->setCurrentIndex(qMax(0, m_conflict->findData(int(m_session->options.load.conflict))));
    m_active = true;
    // The chunks as they are while the plan is made (not an empty timeline); its marks follow.
    m_timeline->setHypertable(m_session->hypertable);
    plan();
}

void ImportPlanPage::cleanupPage()
{
    m_active = false;
}

void ImportPlanPage::plan()
{
    if (!m_active)
        return;
    if (m_planning) { // (the pass under way plans what was chosen before: plan again when it ends)
        m_replan = true;
        return;
    }
    m_session->options.load.conflict = CsvLoader::Conflict(m_conflict->currentData().toInt());
    m_session->options.overrides.leaveRecompressionToPolicy = !m_recompress->isChecked();
    m_session->planned = false;
    m_timeline->clearPlan(); // (the last plan's marks are not this one's)
    startPlanning(QString(), QStringLiteral("Planning: reading the whole file and counting rows per chunk…"));
}

// A dry run over the whole file on the worker thread; with exportPath, it also writes the script.
void ImportPlanPage::startPlanning(const QString &exportPath, const QString &message)
{
    m_exportPath = exportPath;
    m_planning = true;
    m_export->setEnabled(false);
    m_conflict->setEnabled(false); // (a change now would be lost: it plans again when this pass ends)
    m_recompress->setEnabled(false);
    m_summary->setText(message);
    m_planMessage = message;
    Q_EMIT completeChanged();
    BackfillEngine::Options o = m_session->options;
    o.planOnly = true;
    o.exportSqlPath = exportPath;
    o.journalDirectory = m_session->journalDirectory;
    m_controller->start(m_session->profile, o);
}

QString ImportPlanPage::planText() const
{
    return m_reasons->toPlainText();
}

bool ImportPlanPage::exportSql(const QString &path)
{
    if (m_planning || !m_active || !m_session->planned)
        return false;
    const QString blocker = BackfillEngine::exportBlocker(m_session->planResult);
    if (!blocker.isEmpty()) { // known from the plan: no need to read the file again to say so
        m_summary->setText(blocker);
        Q_EMIT exported(path, blocker);
        return true;
    }
    // The script carries the converted rows: a planning pass over the file writes it.
    startPlanning(path, QStringLiteral("Writing the script: reading the whole file again…"));
    return true;
}

bool ImportPlanPage::isComplete() const
{
    return !m_planning && m_session->planned && m_session->planResult.plan.runnable();
}

bool ImportPlanPage::validatePage()
{
    m_active = false;
    m_session->remember();
    return true;
}

// ---------------------------------------------------------------- run

ImportRunPage::ImportRunPage(ImportSession *session, BackfillController *controller, QWidget *parent)
    : QWizardPage(parent)
    , m_session(session)
    , m_controller(controller)
{
    setTitle(QStringLiteral("Run"));
    setSubTitle(QStringLiteral("The backfill runs in the background; the compression policy is restored whatever happens."));
    setCommitPage(true);
    setButtonText(QWizard::CommitButton, QStringLiteral("&Summary >"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("progress"));
    m_phase = new QLabel(this);
    m_phase->setWordWrap(true); // (a stopped run's message is long)
    m_phase->setObjectName(QStringLiteral("phase"));
    m_rate = new QLabel(this);
    m_rate->setObjectName(QStringLiteral("rate"));
    m_timeline = new ChunkTimeline(this);
    m_timeline->setMinimumHeight(120);
    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("log"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_cancel = new QPushButton(QStringLiteral("&Cancel the backfill"), this);
    m_cancel->setObjectName(QStringLiteral("cancelRun"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_phase);
    layout->addWidget(m_progress);
    layout->addWidget(m_rate);
    layout->addWidget(m_timeline, 1);
    layout->addWidget(m_log, 2);
    layout->addWidget(m_cancel, 0, Qt::AlignRight);

    connect(m_cancel, &QPushButton::clicked, this, &ImportRunPage::cancelRun);
    connect(m_controller, &BackfillController::statement, this, [this](const QString &sql) {
        if (m_running)
            m_log->appendPlainText(sql.simplified());
    });
    connect(m_controller, &BackfillController::progress, this, [this](const BackfillEngine::Progress &p) {
        if (!m_running)
            return;
        const double secs = qMax(0.001, m_clock.elapsed() / 1000.0);
        if (p.phase == QLatin1String("stage") || p.phase == QLatin1String("plan") || p.phase == QLatin1String("move")) {
            // (also when the engine tries again after a lost connection)
            m_compressingNew = false;
            m_cancel->setEnabled(!m_cancelAsked);
        }
        if (p.phase == QLatin1String("stage")) {
            m_phase->setText(QStringLiteral("Reading and staging the file: %1 rows").arg(p.rowsMoved));
            m_rate->setText(QStringLiteral("%1 rows/s").arg(qRound64(p.rowsMoved / secs)));
        } else if (p.phase == QLatin1String("move")) {
            m_progress->setRange(0, qMax(1, p.chunks));
            m_progress->setValue(p.chunk - 1);
            m_phase->setText(QStringLiteral("Moving rows: chunk %1 of %2 (%3)").arg(p.chunk).arg(p.chunks).arg(p.chunkName));
            const double rate = p.rowsMoved / secs;
            const qint64 left = p.rowsTotal - p.rowsMoved;
            m_rate->setText(QStringLiteral("%1 of %2 rows, %3 rows/s, about %4 s left")
                                .arg(p.rowsMoved).arg(p.rowsTotal).arg(qRound64(rate))
                                .arg(rate > 0 ? qRound64(left / rate) : 0));
            // Live chunk states: the chunk before this one is done (its COMMIT goes with this
            // range's statements); the one in progress keeps its state until then (it was drawn
            // partly compressed while its transaction, compressing it again, was open).
            // (with space partitions a range has a chunk per partition: progress names the first)
            if (p.chunkName != m_movingChunk) {
                const BackfillPlan &plan = m_session->planResult.plan;
                const auto named = std::find_if(plan.chunks.cbegin(), plan.chunks.cend(),
                                                [this](const BackfillPlan::ChunkStep &s) { return s.chunk.name == m_movingChunk; });
                if (named != plan.chunks.cend())
                    for (const auto &s : plan.chunks)
                        if (s.chunk.rangeStart == named->chunk.rangeStart && s.chunk.rangeEnd == named->chunk.rangeEnd
                            && s.chunk.rangeStartInteger == named->chunk.rangeStartInteger)
                            m_timeline->setChunkState(s.chunk.qualifiedName(), stateAfterRange(plan, s));
                m_movingChunk = p.chunkName;
            }
        } else if (p.phase == QLatin1String("recompress")) {
            m_progress->setValue(m_progress->maximum());
            m_phase->setText(QStringLiteral("Compressing the touched chunks again…"));
            m_cancel->setEnabled(false); // what was decompressed must be compressed again
        } else if (p.phase == QLatin1String("compress_new")) {
            m_phase->setText(QStringLiteral("Compressing new chunk %1 of %2 (%3), as the compression policy would…")
                                 .arg(p.chunk).arg(p.chunks).arg(p.chunkName));
            m_compressingNew = true;
            m_cancel->setEnabled(!m_cancelAsked); // cancel: the policy compresses the rest
        } else if (p.phase == QLatin1String("restore")) {
            m_phase->setText(QStringLiteral("Resuming the compression policy, refreshing continuous aggregates…"));
            m_compressingNew = false;
            m_cancel->setEnabled(false);
        }
    });
    connect(m_controller, &BackfillController::finished, this, [this](const BackfillEngine::Result &r) {
        if (!m_running)
            return;
        m_running = false;
        m_done = true;
        m_session->runResult = r;
        m_session->ran = true;
        // Each planned chunk as the run left it: those of committed ranges by their state at the
        // end, the others (rolled back after a cancel or a failure, or not reached) as they were.
        for (const auto &s : (r.planned ? r.plan : m_session->planResult.plan).chunks) { // (the run's own plan)
            const auto done = std::find_if(r.chunks.cbegin(), r.chunks.cend(),
                                           [&s](const BackfillEngine::ChunkResult &c) { return c.name == s.chunk.qualifiedName(); });
            m_timeline->setChunkState(s.chunk.qualifiedName(),
                                      done == r.chunks.cend()                                         ? s.chunk.state
                                          : done->compressedAfter                                     ? ChunkInfo::State::Compressed
                                          : s.chunk.isCompressed() && s.action == BackfillPlan::Action::DirectInsert ? ChunkInfo::State::PartiallyCompressed
                                                                                                      : ChunkInfo::State::Uncompressed);
        }
        m_movingChunk.clear();
        m_cancel->setEnabled(false);
        m_phase->setText(r.message);
        const double secs = qMax(0.001, m_clock.elapsed() / 1000.0);
        m_rate->setText(QStringLiteral("%1 rows written in %2 s (%3 rows/s)")
                            .arg(r.load.rowsLoaded).arg(secs, 0, 'f', 1).arg(qRound64(r.load.rowsLoaded / secs)));
        // The bar ends as full as the run went: a stopped run's share of the rows read that it
        // loaded, skipped or rejected (putting compression back had filled it), no busy stripes.
        m_progress->setRange(0, 1000);
        m_progress->setValue(r.outcome == CsvLoader::Outcome::Completed ? 1000
                             : r.load.rowsRead > 0 ? int(1000 * (r.load.rowsRead - r.load.rowsNotLoaded) / r.load.rowsRead)
                                                   : 0);
        Q_EMIT completeChanged();
        Q_EMIT runFinished();
        if (wizard())
            wizard()->button(QWizard::CancelButton)->setEnabled(true);
    });
}

void ImportRunPage::cancelRun()
{
    if (!m_running || m_cancelAsked || !m_cancel->isEnabled())
        return;
    m_cancel->setEnabled(false);
    m_cancelAsked = true;
    m_phase->setText(m_compressingNew ? QStringLiteral("Cancelling: the rows are in; the new chunks not compressed yet are left to the "
                                                       "compression policy…")
                                      : QStringLiteral("Cancelling: the current chunk is rolled back, the policy restored…"));
    m_controller->cancel();
}

void ImportRunPage::initializePage()
{
    m_log->clear();
    m_done = false;
    m_running = true;
    m_movingChunk.clear();
    m_cancelAsked = false;
    m_compressingNew = false;
    m_cancel->setEnabled(true);
    m_progress->setRange(0, 0);
    m_phase->setText(QStringLiteral("Starting…"));
    m_timeline->setHypertable(m_session->hypertable);
    m_timeline->setPlan(m_session->planResult.plan);
    m_clock.start();
    BackfillEngine::Options o = m_session->options;
    o.planOnly = false;
    o.journalDirectory = m_session->journalDirectory;
    // The file as the plan read it: changed since, the run stops before changing anything (it
    // would have done other than the plan showed).
    o.load.expectedFileSize = m_session->planResult.load.fileSize;
    o.load.expectedFileModified = m_session->planResult.load.fileModified;
    if (o.load.rejectsPath.isEmpty())
        o.load.rejectsPath = rejectsPathFor(o.load.csvPath);
    m_session->options.load.rejectsPath = o.load.rejectsPath;
    if (!m_controller->start(m_session->profile, o)) { // (a pass still under way: nothing started)
        m_running = false;
        m_done = true;
        m_cancel->setEnabled(false);
        m_phase->setText(QStringLiteral("The backfill did not start: a planning pass was still running. Close the wizard and start again."));
        Q_EMIT completeChanged();
        return;
    }
    if (wizard())
        wizard()->button(QWizard::CancelButton)->setEnabled(false); // Cancel the run with the page's button
}

bool ImportRunPage::isComplete() const
{
    return m_done;
}

// ---------------------------------------------------------------- summary

ImportSummaryPage::ImportSummaryPage(ImportSession *session, BackfillController *controller, QWidget *parent)
    : QWizardPage(parent)
    , m_session(session)
    , m_controller(controller)
{
    setTitle(QStringLiteral("Summary"));
    setFinalPage(true);
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("summaryText"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_text->setOpenExternalLinks(true);
    m_text->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_text->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_retry = new QPushButton(QStringLiteral("Re&try rejected rows"), this);
    m_retry->setObjectName(QStringLiteral("retry"));
    m_retry->setToolTip(QStringLiteral("Fix the rows in the rejects file (the record column), then load them again."));
    m_save = new QPushButton(QStringLiteral("&Save report…"), this);
    m_save->setObjectName(QStringLiteral("saveReport"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_retry);
    buttons->addWidget(m_save);
    buttons->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_text, 1);
    layout->addLayout(buttons);
    connect(m_retry, &QPushButton::clicked, this, &ImportSummaryPage::retryRejected);
    connect(m_save, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, QStringLiteral("Save the report"), QStringLiteral("backfill-report.txt"));
        if (f.isEmpty())
            return;
        // Written off the GUI thread (a network share can stall); a failure is said.
        auto *watcher = new QFutureWatcher<QString>(this);
        connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher] {
            const QString error = watcher->result();
            watcher->deleteLater();
            if (!error.isEmpty())
                QMessageBox::warning(this, QStringLiteral("Save the report"), error);
        });
        watcher->setFuture(QtConcurrent::run(writeReport, f, report()));
    });
    connect(m_controller, &BackfillController::finished, this, [this](const BackfillEngine::Result &r) {
        if (!m_retrying || m_retryPath.isEmpty())
            return;
        BackfillEngine::Result &total = m_session->runResult;
        total.load.rowsLoaded += r.load.rowsLoaded;
        total.load.rowsDuplicate += r.load.rowsDuplicate;
        total.load.rowsNotWritten += r.load.rowsNotWritten;
        for (const auto &c : r.chunks) { // (a chunk both touched: its state after the retry)
            auto same = std::find_if(total.chunks.begin(), total.chunks.end(), [&c](const auto &t) { return t.name == c.name; });
            if (same == total.chunks.end())
                total.chunks << c;
            else
                same->compressedAfter = c.compressedAfter;
        }
        total.message += QStringLiteral("\nRetry of the rejected rows: ") + r.message;
        // The rows it wrote (or skipped) are no longer rejected; the others still are (also those
        // taken out of the rejects file by hand), and a retry that stopped leaves its rows in the
        // rejects file it read (another retry picks them up; the ranges it committed are skipped then).
        const bool completed = r.outcome == CsvLoader::Outcome::Completed;
        total.load.rowsRejected -= r.load.rowsLoaded + r.load.rowsDuplicate + r.load.rowsNotWritten;
        if (completed)
            total.load.firstRejections = r.load.firstRejections; // (named by their original lines)
        // The files are put in place off the GUI thread; the page waits for them.
        auto *settled = new QFutureWatcher<QString>(this);
        connect(settled, &QFutureWatcher<QString>::finished, this, [this, settled, r] {
            m_session->runResult.load.rejectsPath = settled->result();
            settled->deleteLater();
            m_retryPath.clear();
            m_retryRejectsPath.clear();
            m_retrying = false;
            initializePage();
            Q_EMIT retryFinished(r);
        });
        settled->setFuture(QtConcurrent::run(settleRetryFiles, m_retryPath, m_retryRejectsPath, total.load.rejectsPath, completed));
    });
}

QString ImportSummaryPage::report() const
{
    const BackfillEngine::Result &r = m_session->runResult;
    int decompressed = 0, recompressed = 0, leftToPolicy = 0;
    for (const auto &c : r.chunks) {
        decompressed += c.action.startsWith(QLatin1String("decompress")) ? 1 : 0;
        recompressed += (c.compressedBefore && c.compressedAfter) ? 1 : 0;
        leftToPolicy += (c.compressedBefore && !c.compressedAfter) ? 1 : 0;
    }
    QStringList lines;
    lines << QStringLiteral("Backfill of %1 into %2: %3").arg(m_session->options.load.csvPath, m_session->tableName(), outcomeText(r.outcome));
    lines << QStringLiteral("Rows read: %1").arg(r.load.rowsRead);
    // A run stopped while it read the file: the rest of the file, as the plan counted it.
    if (const qint64 planned = m_session->planResult.load.rowsRead; r.outcome != CsvLoader::Outcome::Completed && planned > r.load.rowsRead)
        lines << QStringLiteral("Rows not read (the run stopped before them; the plan read %1 in the file): %2")
                     .arg(planned == 1 ? QStringLiteral("1 row") : QStringLiteral("%1 rows").arg(planned)).arg(planned - r.load.rowsRead);
    lines << QStringLiteral("Rows loaded: %1").arg(r.load.rowsLoaded);
    lines << QStringLiteral("Rows skipped as duplicates: %1").arg(r.load.rowsDuplicate);
    if (r.load.rowsNotWritten > 0)
        lines << QStringLiteral("Rows not written (the table's trigger or rule dropped them): %1").arg(r.load.rowsNotWritten);
    if (r.load.rowsNotLoaded > 0)
        lines << (r.outcome == CsvLoader::Outcome::Cancelled
                      ? QStringLiteral("Rows not loaded (the run was cancelled; running it again loads them): %1")
                      : QStringLiteral("Rows not loaded (the run stopped; once what stopped it is fixed, running it again loads them): %1"))
                     .arg(r.load.rowsNotLoaded);
    lines << QStringLiteral("Rows rejected: %1").arg(r.load.rowsRejected);
    if (!r.load.rejectsPath.isEmpty() && r.load.rowsRejected > 0)
        lines << QStringLiteral("Rejects file: %1").arg(r.load.rejectsPath);
    lines << QStringLiteral("Chunks touched: %1 (%2 decompressed, %3 compressed again%5); rows into new chunks: %4")
                 .arg(r.chunks.size()).arg(decompressed).arg(recompressed).arg(r.newChunkRows)
                 .arg(leftToPolicy > 0 ? QStringLiteral(", %1 left partly uncompressed for the compression policy").arg(leftToPolicy)
                                       : QString());
    if (r.policyJob)
        lines << QStringLiteral("Compression policy job %1: %2").arg(r.policyJob).arg(
            r.policyPaused ? (r.policyRestored ? QStringLiteral("paused during the run, resumed") : QStringLiteral("NOT resumed — run recover"))
                           : QStringLiteral("not paused"));
    lines << QStringLiteral("Time: staging %1 s, planning %2 s, moving %3 s, recompressing %4 s")
                 .arg(r.secondsStage, 0, 'f', 2).arg(r.secondsPlan, 0, 'f', 2).arg(r.secondsMove, 0, 'f', 2).arg(r.secondsRecompress, 0, 'f', 2);
    lines << BackfillEngine::afterRunLines(r);
    for (const QString &warning : r.plan.warnings)
        lines << QStringLiteral("Warning: ") + warning;
    for (const QString &note : r.load.notes)
        lines << QStringLiteral("Note: ") + note;
    lines << r.message;
    return lines.join(QLatin1Char('\n'));
}

void ImportSummaryPage::initializePage()
{
    const BackfillEngine::Result &r = m_session->runResult;
    QString html = report().toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    if (!r.load.rejectsPath.isEmpty() && r.load.rowsRejected > 0) {
        const QString path = r.load.rejectsPath.toHtmlEscaped();
        html.replace(QStringLiteral("Rejects file: %1").arg(path),
                     QStringLiteral("Rejects file: <a href=\"%1\">%2</a>").arg(QUrl::fromLocalFile(r.load.rejectsPath).toString(), path));
    }
    m_text->setText(html);
    // (The run wrote the rejects file or stopped; whether it is still there is asked off the GUI
    // thread, when the retry reads it.)
    m_retry->setEnabled(r.load.rowsRejected > 0 && !r.load.rejectsPath.isEmpty() && !m_retrying && !m_retryUnavailable);
}

bool ImportSummaryPage::saveReport(const QString &path) const
{
    return writeReport(path, report()).isEmpty();
}

QString ImportSummaryPage::writeReport(const QString &path, const QString &text)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text) || f.write(text.toUtf8() + '\n') < 0 || !f.commit())
        return QStringLiteral("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
    return QString();
}

namespace {

struct RetryFile
{
    QString path;        // empty: it could not be written
    QString rejectsPath; // where the retry writes the rows rejected again
    int rows = 0;
    QHash<qint64, qint64> lines; // line in the retry file → line in the original
};

// Header of the original file, then each rejected record as (possibly fixed) in the rejects file,
// and for each the line it starts on in the retry file → its line in the original (so that the
// retry names the rows as the original file numbers them).
// Runs on a worker thread: both files may be large.
RetryFile writeRetryFile(const QString &rejects, const QString &original, const CsvFormat &format)
{
    RetryFile result;
    CsvFormat rf; // (the rejects file: UTF-8, the original's delimiter, see RejectsWriter)
    rf.header = true;
    rf.delimiter = format.delimiter;
    CsvReader reader(rf);
    QFile head(rejects);
    if (!head.open(QIODevice::ReadOnly) || !reader.open(rejects))
        return result;
    const bool bom = head.peek(3) == QByteArray("\xEF\xBB\xBF"); // (kept: the retry's rejects file gets one too)
    const CsvFormat &of = format; // the original's header, after its skipped lines
    QStringList originalHeader;
    {
        CsvReader h(of);
        if (h.open(original))
            originalHeader = h.header();
    }
    const QString base = QFileInfo(rejects).absolutePath() + QLatin1Char('/') + QFileInfo(rejects).completeBaseName();
    QFile out(base + QStringLiteral(".retry.csv"));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return result;
    if (bom)
        out.write("\xEF\xBB\xBF");
    const QChar d = format.delimiter;
    qint64 line = 1;
    if (format.header) { // (a file without one gets none: its columns go by position)
        QStringList quoted;
        for (const QString &h : std::as_const(originalHeader))
            quoted << RejectsWriter::quote(h, d);
        out.write((quoted.join(d) + QLatin1Char('\n')).toUtf8());
        ++line;
    }
    CsvRecord rec;
    while (reader.next(&rec)) {
        // (A replacement character stands for bytes that did not decode: back to the reader's
        // marker, so that the row is rejected again rather than loaded with it, unless fixed.)
        // A record edited by hand without its quotes: its delimiters are its own, not the
        // rejects file's (the fields after the third are the record's, as written).
        QString record = rec.fields.mid(3).join(format.delimiter);
        record.replace(QChar(QChar::ReplacementCharacter), QChar(0xFFFF));
        out.write((record + QLatin1Char('\n')).toUtf8());
        bool isNumber = false;
        const qint64 originalLine = rec.fields.value(0).toLongLong(&isNumber);
        if (isNumber)
            result.lines.insert(line, originalLine);
        // (its line ends: LF, CRLF, or a lone CR, as the reader counts them)
        line += 1 + record.count(QLatin1Char('\n')) + record.count(QLatin1Char('\r')) - record.count(QLatin1String("\r\n"));
        ++result.rows;
    }
    if (result.rows == 0) { // (nothing to retry: no file left behind)
        out.remove();
        return result;
    }
    result.path = out.fileName();
    result.rejectsPath = base + QStringLiteral(".retry-rejects.csv");
    return result;
}

// After a retry: the file where the rows still rejected are now ("": none). One that went through
// puts its rejects (the rows rejected again) in the rejects file's place, or, none rejected, takes
// the rejects file away; where the rejects file cannot go (a spreadsheet holds it open), its own
// stay where they are. One that stopped leaves the rejects file as it was (another retry picks its
// rows up). The retry file goes either way (another retry writes it again). Off the GUI thread.
QString settleRetryFiles(const QString &retryPath, const QString &retryRejects, const QString &rejects, bool completed)
{
    QFile::remove(retryPath);
    if (!completed) {
        QFile::remove(retryRejects);
        return rejects;
    }
    const bool again = QFile::exists(retryRejects);
    if (!QFile::remove(rejects) && QFile::exists(rejects))
        return again ? retryRejects : QString();
    if (!again)
        return QString();
    return QFile::rename(retryRejects, rejects) ? rejects : retryRejects;
}

} // namespace

void ImportSummaryPage::retryRejected()
{
    const CsvLoader::Summary &load = m_session->runResult.load;
    m_retrying = true;
    m_retry->setEnabled(false);
    auto *watcher = new QFutureWatcher<RetryFile>(this);
    connect(watcher, &QFutureWatcher<RetryFile>::finished, this, [this, watcher] {
        const RetryFile retry = watcher->result();
        const QString retryPath = retry.path;
        const int n = retry.rows;
        watcher->deleteLater();
        if (retryPath.isEmpty() || n == 0) {
            m_retrying = false;
            m_retryUnavailable = true;
            initializePage();
            m_text->setText(m_text->text() + QStringLiteral("<br><i>The rejected rows cannot be retried: the rejects file holds none, "
                                                            "or it or the folder next to it cannot be read or written.</i>"));
            return;
        }
        BackfillEngine::Options o = m_session->options;
        o.planOnly = false;
        o.journalDirectory = m_session->journalDirectory;
        o.load.csvPath = retryPath;
        o.load.encoding = CsvFormat::Encoding::Utf8;
        o.load.skipLines = 0;
        // Written as the original was read: nothing is detected again from the few rows.
        const CsvFormat &read = m_session->runResult.load.format;
        o.load.header = read.header;
        o.load.delimiter = read.delimiter;
        o.load.quote = read.quote;
        o.load.decimalComma = read.decimalComma;
        o.load.rejectsPath = retry.rejectsPath;
        o.load.reportedLines = retry.lines; // (rows named by their lines in the original file)
        m_retryPath = retry.path;
        m_retryRejectsPath = retry.rejectsPath;
        if (!m_controller->start(m_session->profile, o)) {
            m_retrying = false;
            m_retryPath.clear();
            m_retryRejectsPath.clear();
            (void)QtConcurrent::run([path = retry.path] { QFile::remove(path); }); // (off the GUI thread)
            initializePage();
            return;
        }
        m_text->setText(m_text->text() + (n == 1 ? QStringLiteral("<br><i>Retrying 1 rejected row…</i>")
                                                 : QStringLiteral("<br><i>Retrying %1 rejected rows…</i>").arg(n)));
    });
    watcher->setFuture(QtConcurrent::run(writeRetryFile, load.rejectsPath, m_session->options.load.csvPath, load.format));
}

} // namespace bfs
