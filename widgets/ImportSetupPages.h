#pragma once

#include "backfill_widgets_export.h"

#include <QWizardPage>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace bfs {

class ImportSession;

// Page 1: the file (chooser, drag and drop, recent files) and the target hypertable.
class BACKFILL_WIDGETS_EXPORT ImportSourcePage : public QWizardPage
{
    Q_OBJECT
public:
    explicit ImportSourcePage(ImportSession *session, QWidget *parent = nullptr);
    void setFile(const QString &path);
    QString file() const;
    bool isComplete() const override;
    bool validatePage() override;

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    // Whether the path names a file, asked off the GUI thread (a path on a network share that
    // does not answer must not freeze the window), shortly after the typing stops.
    void checkFile();

    ImportSession *m_session;
    QLineEdit *m_file = nullptr;
    QComboBox *m_recent = nullptr;
    QLabel *m_target = nullptr;
    QLabel *m_fileNote = nullptr;
    QTimer *m_checkTimer = nullptr;
    int m_checkRequest = 0;
    bool m_checking = false;   // a check is under way
    bool m_checkAgain = false; // the text changed since it started
    bool m_nextWhenChecked = false; // Enter was pressed before the path was checked
    QString m_checkedPath; // the last path checked, and whether it is a file
    bool m_checkedIsFile = false;
};

// Page 2: how the file is written, detected with overrides, and a live preview where
// cells that do not convert to their column's type are highlighted with the reason.
class BACKFILL_WIDGETS_EXPORT ImportFormatPage : public QWizardPage
{
    Q_OBJECT
public:
    explicit ImportFormatPage(ImportSession *session, QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;
    QTableWidget *preview() const { return m_preview; }
    int badCells() const { return m_badCells; }

Q_SIGNALS:
    void previewUpdated();

private:
    void applyDetected();
    void refreshPreview();

    ImportSession *m_session;
    QComboBox *m_delimiter = nullptr;
    QComboBox *m_encoding = nullptr;
    QComboBox *m_quote = nullptr;
    QCheckBox *m_header = nullptr;
    QCheckBox *m_padShortRows = nullptr;
    QCheckBox *m_decimalComma = nullptr;
    QSpinBox *m_skip = nullptr;
    QLabel *m_status = nullptr;
    QTableWidget *m_preview = nullptr;
    int m_badCells = 0;
    bool m_ready = false;
};

// Page 3: CSV columns → table columns (by name where obvious), skip, per-column date-time
// format, source time zone, and a type check over the sample with error counts.
class BACKFILL_WIDGETS_EXPORT ImportColumnsPage : public QWizardPage
{
    Q_OBJECT
public:
    explicit ImportColumnsPage(ImportSession *session, QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;
    QTableWidget *columns() const { return m_table; }
    QComboBox *timeZone() const { return m_zone; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void check();

    ImportSession *m_session;
    QTableWidget *m_table = nullptr;
    QComboBox *m_zone = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace bfs
