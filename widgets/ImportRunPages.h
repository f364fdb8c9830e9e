#pragma once

#include "BackfillEngine.h"
#include "backfill_widgets_export.h"

#include <QElapsedTimer>
#include <QWizardPage>

class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace bfs {

class BackfillController;
class ChunkTimeline;
class ImportSession;

// Page 4: the engine's plan (a dry run over the whole file) with its reasons, the touched
// chunks on an embedded timeline, conflict mode, recompress now or later, Export SQL.
class BACKFILL_WIDGETS_EXPORT ImportPlanPage : public QWizardPage
{
    Q_OBJECT
public:
    ImportPlanPage(ImportSession *session, BackfillController *controller, QWidget *parent = nullptr);
    void initializePage() override;
    void cleanupPage() override;
    bool isComplete() const override;
    bool validatePage() override;
    // Writes the plan as a psql script with the staged rows: a planning run on the worker thread
    // that reads the file again. False when no plan is ready or a run is busy; exported() follows.
    bool exportSql(const QString &path);
    QComboBox *conflict() const { return m_conflict; }
    QCheckBox *recompressNow() const { return m_recompress; }
    ChunkTimeline *timeline() const { return m_timeline; }
    QString planText() const;

Q_SIGNALS:
    void planReady();
    void exported(const QString &path, const QString &error); // error empty: written

private:
    void plan();
    void startPlanning(const QString &exportPath, const QString &message);

    ImportSession *m_session;
    BackfillController *m_controller;
    QComboBox *m_conflict = nullptr;
    QCheckBox *m_recompress = nullptr;
    QLabel *m_summary = nullptr;
    QString m_planMessage; // what the pass under way does, before its count of rows read
    QPlainTextEdit *m_reasons = nullptr;
    ChunkTimeline *m_timeline = nullptr;
    QPushButton *m_export = nullptr;
    bool m_planning = false;
    bool m_replan = false; // the options changed while a pass ran: plan again when it ends
    bool m_active = false;
    QString m_exportPath; // the script the running planning pass writes
};

// Page 5: the run, with progress per phase, rows/s, ETA, the live SQL log, and Cancel.
class BACKFILL_WIDGETS_EXPORT ImportRunPage : public QWizardPage
{
    Q_OBJECT
public:
    ImportRunPage(ImportSession *session, BackfillController *controller, QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;
    bool isRunning() const { return m_running; }
    QPushButton *cancelButton() const { return m_cancel; }
    ChunkTimeline *timeline() const { return m_timeline; }
    // What Cancel does (also Esc and closing the wizard during the run, once confirmed): nothing
    // in the phases that must finish, where the button is off.
    void cancelRun();

Q_SIGNALS:
    void runFinished();

private:
    ImportSession *m_session;
    BackfillController *m_controller;
    QProgressBar *m_progress = nullptr;
    QLabel *m_phase = nullptr;
    QLabel *m_rate = nullptr;
    QPlainTextEdit *m_log = nullptr;
    QPushButton *m_cancel = nullptr;
    ChunkTimeline *m_timeline = nullptr;
    QElapsedTimer m_clock;
    bool m_running = false;
    bool m_done = false;
    bool m_cancelAsked = false;
    bool m_compressingNew = false; // the one step after the rows a cancel stops
    QString m_movingChunk;         // the chunk whose range is in progress
    bool m_active = false;
};

// Page 6: the honest summary: rows read / loaded / duplicates / rejected, the rejects
// file and "Retry rejected rows", chunks touched, time per phase, "Save report".
class BACKFILL_WIDGETS_EXPORT ImportSummaryPage : public QWizardPage
{
    Q_OBJECT
public:
    ImportSummaryPage(ImportSession *session, BackfillController *controller, QWidget *parent = nullptr);
    void initializePage() override;
    QString report() const;
    bool saveReport(const QString &path) const; // (blocking: the Save button writes off the GUI thread)
    static QString writeReport(const QString &path, const QString &text); // empty, or why it failed
    QPushButton *retryButton() const { return m_retry; }
    bool isRetrying() const { return m_retrying; }
    // Loads the rows of the rejects file again (after the user fixed them there).
    void retryRejected();

Q_SIGNALS:
    void retryFinished(const bfs::BackfillEngine::Result &result);

private:
    ImportSession *m_session;
    BackfillController *m_controller;
    QLabel *m_text = nullptr;
    QPushButton *m_retry = nullptr;
    QPushButton *m_save = nullptr;
    bool m_retrying = false;     // from Retry until the retry's files are in place
    QString m_retryPath;         // the retry's file of the rejected records
    QString m_retryRejectsPath;  // where it writes the rows rejected again
    bool m_retryUnavailable = false; // the last retry found no rejects file to read
};

} // namespace bfs
