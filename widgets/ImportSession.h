#pragma once

#include "BackfillEngine.h"
#include "ConnectionProfile.h"
#include "CsvSniffer.h"
#include "ServerModel.h"
#include "TargetTable.h"
#include "backfill_widgets_export.h"

#include <QHash>
#include <QObject>

namespace bfs {

// What the import wizard's pages share: the connection, the target, the file and how to
// read it, and the results of planning and running. Loading the target's columns and
// sniffing the file run off the GUI thread; `changed` tells the pages.
class BACKFILL_WIDGETS_EXPORT ImportSession : public QObject
{
    Q_OBJECT
public:
    explicit ImportSession(QObject *parent = nullptr);

    ConnectionProfile profile;
    HypertableInfo hypertable;     // from the main window's inspection
    TargetTable target;            // columns and types, loaded by loadTarget()
    bool targetLoaded = false;
    QString targetError;
    CsvSniffer::Result sniffed;
    QByteArray sample; // the file's first bytes, for the live preview
    BackfillEngine::Options options; // load.csvPath, load.table, formats, mapping, conflict …
    QString journalDirectory;        // empty: the default folder
    BackfillEngine::Result planResult;
    bool planned = false;
    BackfillEngine::Result runResult;
    bool ran = false;

    QString tableName() const { return hypertable.qualifiedName(); }
    void loadTarget();                    // async → targetLoaded()
    // async → sniffReady(); lines before the header (options.load.skipLines) and the NULL tokens
    // are left out of the detection. Only the latest request's result is kept.
    void sniff(const QString &csvPath);

    // Time zone and conflict mode remembered per hypertable (remember), and its columns:
    // recall() fills rememberedColumns and rememberedFormats with the choices made for CSV
    // columns of those names in any file imported into it before.
    void remember() const;
    void recall();
    // The Columns page's choices for this file's CSV columns (mapped: its table column and the
    // format the user set; skipped: an empty column), merged into what is remembered of other files
    // (a monthly export and another file into the same table each keep theirs).
    struct ColumnChoice
    {
        QString csvColumn;
        QString tableColumn;
        QString format;
    };
    void rememberColumns(const QList<ColumnChoice> &choices);
    QHash<QString, QString> rememberedColumns; // CSV column → its table column ("": skipped)
    QHash<QString, QString> rememberedFormats; // CSV column → the date-time format set for it

Q_SIGNALS:
    void targetReady();
    void sniffReady();

private:
    int m_sniffRequest = 0;
    bool m_sniffedWithoutTable = false; // the last sniff ran before the table's columns were known
    int m_targetRequest = 0;
};

} // namespace bfs
