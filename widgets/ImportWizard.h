#pragma once

#include "ConnectionProfile.h"
#include "ServerModel.h"
#include "backfill_widgets_export.h"

#include <QPointer>
#include <QWizard>

class QMessageBox;

namespace bfs {

class BackfillController;
class ImportColumnsPage;
class ImportFormatPage;
class ImportPlanPage;
class ImportRunPage;
class ImportSession;
class ImportSourcePage;
class ImportSummaryPage;

// From a spreadsheet file to a finished backfill: source, format, columns, plan, run,
// summary. All server and file work runs off the GUI thread.
class BACKFILL_WIDGETS_EXPORT ImportWizard : public QWizard
{
    Q_OBJECT
public:
    enum Page { SourcePage, FormatPage, ColumnsPage, PlanPage, RunPage, SummaryPage };

    ImportWizard(const ConnectionProfile &profile, const HypertableInfo &hypertable, QWidget *parent = nullptr);
    ~ImportWizard() override;

    ImportSession *session() const { return m_session; }
    ImportSourcePage *sourcePage() const { return m_source; }
    ImportFormatPage *formatPage() const { return m_format; }
    ImportColumnsPage *columnsPage() const { return m_columns; }
    ImportPlanPage *planPage() const { return m_plan; }
    ImportRunPage *runPage() const { return m_run; }
    ImportSummaryPage *summaryPage() const { return m_summary; }
    void setFile(const QString &path);
    void setJournalDirectory(const QString &directory);

    // A backfill, plan, script export or retry is under way on the worker thread.
    bool isBusy() const;
    // Closing (Escape, the title bar) while a backfill runs asks first; a yes cancels it. Other
    // work is cancelled at once. The wizard closes once the work has stopped (the worker thread
    // is never waited for on the GUI thread; a backfill restores its policy first).
    void reject() override;
    // Cancels whatever runs, without asking, and closes once it has stopped (the main window,
    // closing, has asked already).
    void cancelAndClose();
    // The question reject() asks while a backfill runs, while it is open.
    QMessageBox *cancelQuestion() const;

protected:
    void closeEvent(QCloseEvent *event) override;

Q_SIGNALS:
    void becameIdle();

private:
    ImportSession *m_session;
    BackfillController *m_controller;
    ImportSourcePage *m_source;
    ImportFormatPage *m_format;
    ImportColumnsPage *m_columns;
    ImportPlanPage *m_plan;
    ImportRunPage *m_run;
    ImportSummaryPage *m_summary;
    bool m_closeWhenIdle = false;
    QPointer<QMessageBox> m_cancelQuestion;
};

} // namespace bfs
