#include "ImportWizard.h"

#include "BackfillController.h"
#include "ImportRunPages.h"
#include "ImportSession.h"
#include "ImportSetupPages.h"
#include "OpenQuestion.h"
#include "ScreenFit.h"

#include <QCloseEvent>
#include <QMessageBox>
#include <QPushButton>

namespace bfs {

ImportWizard::ImportWizard(const ConnectionProfile &profile, const HypertableInfo &hypertable, QWidget *parent)
    : QWizard(parent)
    , m_session(new ImportSession(this))
    , m_controller(new BackfillController(this))
{
    setWindowTitle(QStringLiteral("Import CSV into %1 — Backfill Studio").arg(hypertable.qualifiedName()));
    setWizardStyle(QWizard::ModernStyle);
    setOption(QWizard::NoBackButtonOnLastPage);
    m_session->profile = profile;
    m_session->hypertable = hypertable;
    m_source = new ImportSourcePage(m_session, this);
    m_format = new ImportFormatPage(m_session, this);
    m_columns = new ImportColumnsPage(m_session, this);
    m_plan = new ImportPlanPage(m_session, m_controller, this);
    m_run = new ImportRunPage(m_session, m_controller, this);
    m_summary = new ImportSummaryPage(m_session, m_controller, this);
    setPage(SourcePage, m_source);
    setPage(FormatPage, m_format);
    setPage(ColumnsPage, m_columns);
    setPage(PlanPage, m_plan);
    setPage(RunPage, m_run);
    setPage(SummaryPage, m_summary);
    resizeToFit(this, QSize(900, 680));
    // (connected after the pages: they have taken the result, and may have started another pass)
    connect(m_controller, &BackfillController::finished, this, [this] {
        if (m_controller->isRunning()) {
            if (m_closeWhenIdle)
                m_controller->cancel();
        } else if (m_closeWhenIdle) {
            QWizard::reject();
        } else {
            if (m_cancelQuestion && !m_controller->isRunning())
                m_cancelQuestion->close(); // (the run ended while the question was open: nothing left to cancel)
            Q_EMIT becameIdle();
        }
    });
    m_session->loadTarget();
}

ImportWizard::~ImportWizard() = default;

void ImportWizard::setFile(const QString &path)
{
    m_source->setFile(path);
}

void ImportWizard::setJournalDirectory(const QString &directory)
{
    m_session->journalDirectory = directory;
}

void ImportWizard::closeEvent(QCloseEvent *event)
{
    // The title bar's close button and Alt+F4 come here, not through the Cancel button: while
    // busy, the wizard must stay (hidden, when a pass is cancelled) until the work has stopped,
    // or closing would delete it and wait for its worker thread.
    if (isBusy()) {
        reject();
        event->ignore();
        return;
    }
    QWizard::closeEvent(event);
}

bool ImportWizard::isBusy() const
{
    return m_controller->isRunning();
}

void ImportWizard::reject()
{
    // While a backfill (or a retry of rejected rows) runs, a stray Escape or a click on the title
    // bar's close button must not end it unasked: a yes cancels it (the range in flight rolls
    // back, the policy is restored). In the phases that must finish it is not offered at all.
    const bool running = m_run->isRunning();
    if (running || (m_summary->isRetrying() && m_controller->isRunning())) {
        if (running && !m_run->cancelButton()->isEnabled())
            return;
        if (m_cancelQuestion) {
            m_cancelQuestion->raise();
            return;
        }
        m_cancelQuestion = openQuestion(
            this, QStringLiteral("Cancel the backfill?"),
            QStringLiteral("The backfill is still running. Cancel it? The chunk range in progress is rolled back and the compression "
                           "policy restored; the ranges already loaded stay, and running the same file again skips them."),
            [this] {
                if (m_run->isRunning())
                    m_run->cancelRun();
                else if (m_summary->isRetrying() && m_controller->isRunning())
                    m_controller->cancel();
            },
            [this] { m_cancelQuestion.clear(); }); // (deleted later: a second Escape asks again, not a hidden box)
        return;
    }
    cancelAndClose();
}

QMessageBox *ImportWizard::cancelQuestion() const
{
    return m_cancelQuestion;
}

void ImportWizard::cancelAndClose()
{
    if (m_run->isRunning()) {
        m_run->cancelRun();
        return;
    }
    // A retry of the rejected rows is a backfill too: cancelled, and the summary says how it ended.
    if (m_summary->isRetrying() && m_controller->isRunning()) {
        m_controller->cancel();
        return;
    }
    // A plan, an export or a retry: cancelled, and the wizard closes when it has stopped.
    if (m_controller->isRunning()) {
        if (!m_closeWhenIdle) {
            m_closeWhenIdle = true;
            m_controller->cancel();
            hide();
        }
        return;
    }
    QWizard::reject();
}

} // namespace bfs
