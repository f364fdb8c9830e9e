// The import wizard driven like a user would, against the TimescaleDB sandbox.
#include "BackfillController.h"
#include "ChunkTimeline.h"
#include "Database.h"
#include "ImportRunPages.h"
#include "ImportSession.h"
#include "ImportSetupPages.h"
#include "ImportWizard.h"
#include "ServerInspector.h"
#include "TestServers.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>

using namespace bfs;

class TestImportWizard : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sampleFileWithDefaultsEndsInTheHypertable();
    void badRowsGoToTheRejectsFileAndRetryLoadsThemWhenFixed();
    void cancelInTheMiddleRestoresThePolicyAndSaysWhatWasCommitted();
    void cancelIsOfferedOnlyWhereItIsSafe();
    void europeanFileIsDetectedWithoutManualSettings();
    void exportedSqlMatchesThePlan();
    void loggerPreambleIsSkippedAndRetriedRowsKeepTheHeader();
    void anotherFileIsDetectedAfreshAndTheWheelScrollsPastMappings();
    void closingWhileAPassRunsClosesWhenItHasStopped();
    void chunksLeftToThePolicyAreNamedInTheSummary();
    void aFileChangedAfterItsPlanIsNotRun();
    void cancelWhileReadingCountsTheRowsNotRead();
    void eachFilesMappingIsRemembered();

private:
    HypertableInfo createTable(const QString &name);
    QString csv(const QString &name, const QByteArray &content);
    qint64 scalar(const QString &sql);
    // onFormatPage: what the user does on the format page before Next.
    void walkToPlan(ImportWizard &w, const QString &file, const std::function<void()> &onFormatPage = {},
                    const std::function<void()> &onColumnsPage = {});
    void runToSummary(ImportWizard &w);
    // Device `device` every second from 06:00 for `rows` seconds of one chunk: long enough a file
    // for progress reports while it is read.
    static QByteArray secondsOfOneChunk(int device, int rows = 20000);
    // The analyst edits the rejects file (from → to), then retries the rejected rows.
    BackfillEngine::Result retryFixed(ImportWizard &w, const QList<QPair<QByteArray, QByteArray>> &fixes);
    QTemporaryDir m_dir;
};

void TestImportWizard::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QCoreApplication::setOrganizationName(QStringLiteral("Backfill Studio Tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_importwizard"));
    QStandardPaths::setTestModeEnabled(true);
}

HypertableInfo TestImportWizard::createTable(const QString &name)
{
    Database db(TestServers::sandbox());
    DbError e;
    if (!db.open(&e)
        || !db.execScript(QStringLiteral(
                              "DROP TABLE IF EXISTS %1; "
                              "CREATE TABLE %1 (time timestamptz NOT NULL, device_id int NOT NULL, temperature double precision, "
                              "  status text, UNIQUE (time, device_id)); "
                              "SELECT create_hypertable('%1', 'time', chunk_time_interval => interval '1 day'); "
                              "INSERT INTO %1 SELECT t, d, 20, 'seed' FROM generate_series('2026-08-20 00:00+00'::timestamptz, "
                              "  '2026-08-23 23:00+00', '1 hour') t, generate_series(1, 2) d; "
                              "ALTER TABLE %1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
                              "SELECT compress_chunk(c, true) FROM show_chunks('%1') c; "
                              "SELECT add_compression_policy('%1', compress_after => interval '30 days');")
                              .arg(name),
                          &e))
        qWarning("%s", qPrintable(e.toString()));
    ServerInspector::Options o;
    o.table = name;
    const ServerInspection in = ServerInspector::inspect(db, o);
    return in.hypertables.value(0);
}

QString TestImportWizard::csv(const QString &name, const QByteArray &content)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(content);
    return path;
}

qint64 TestImportWizard::scalar(const QString &sql)
{
    Database db(TestServers::sandbox());
    DbError e;
    QueryResult r;
    if (!db.open(&e) || !db.exec(sql, &r, &e))
        return -1;
    return r.value(0, 0) == QLatin1String("t") ? 1 : r.value(0, 0) == QLatin1String("f") ? 0 : r.intValue(0, 0);
}

void TestImportWizard::walkToPlan(ImportWizard &w, const QString &file, const std::function<void()> &onFormatPage,
                                  const std::function<void()> &onColumnsPage)
{
    w.setJournalDirectory(m_dir.filePath(QStringLiteral("journals")));
    w.show();
    // A path that names no file: Next stays disabled and the page says so (checked off the GUI thread).
    w.setFile(file + QStringLiteral(".missing"));
    QTRY_VERIFY_WITH_TIMEOUT(!w.sourcePage()->findChild<QLabel *>(QStringLiteral("fileNote"))->text().isEmpty(), 10000);
    QVERIFY(!w.sourcePage()->isComplete());
    w.setFile(file);
    QVERIFY(!w.sourcePage()->isComplete()); // until the check answers
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->targetLoaded, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(w.sourcePage()->isComplete(), 10000);
    QVERIFY(w.sourcePage()->findChild<QLabel *>(QStringLiteral("fileNote"))->text().isEmpty());
    w.next();
    QCOMPARE(w.currentId(), int(ImportWizard::FormatPage));
    QTRY_VERIFY_WITH_TIMEOUT(w.formatPage()->isComplete(), 30000);
    if (onFormatPage)
        onFormatPage();
    w.next();
    QCOMPARE(w.currentId(), int(ImportWizard::ColumnsPage));
    if (onColumnsPage)
        onColumnsPage();
    QTRY_VERIFY_WITH_TIMEOUT(w.columnsPage()->isComplete(), 30000);
    QSignalSpy planned(w.planPage(), &ImportPlanPage::planReady);
    w.next();
    QCOMPARE(w.currentId(), int(ImportWizard::PlanPage));
    // While the plan is made, the timeline shows the table's chunks, without marks yet.
    QCOMPARE(w.planPage()->timeline()->hypertable().chunks.size(), w.session()->hypertable.chunks.size());
    QVERIFY(!w.session()->hypertable.chunks.isEmpty());
    QVERIFY(!w.planPage()->timeline()->hasPlan());
    QVERIFY(planned.wait(60000));
    QVERIFY2(w.planPage()->isComplete(), qPrintable(w.session()->planResult.message));
}

void TestImportWizard::runToSummary(ImportWizard &w)
{
    QSignalSpy finished(w.runPage(), &ImportRunPage::runFinished);
    w.next();
    QCOMPARE(w.currentId(), int(ImportWizard::RunPage));
    // Run committed: no way Back to the plan, whose Next would start a second backfill.
    QVERIFY(!w.button(QWizard::BackButton)->isEnabled() || !w.button(QWizard::BackButton)->isVisible());
    QVERIFY(finished.wait(60000));
    QVERIFY(w.runPage()->isComplete());
    w.next();
    QCOMPARE(w.currentId(), int(ImportWizard::SummaryPage));
}

BackfillEngine::Result TestImportWizard::retryFixed(ImportWizard &w, const QList<QPair<QByteArray, QByteArray>> &fixes)
{
    QFile rejects(w.session()->runResult.load.rejectsPath);
    if (!rejects.open(QIODevice::ReadOnly))
        return {};
    QByteArray text = rejects.readAll();
    rejects.close();
    for (const auto &[from, to] : fixes)
        text.replace(from, to);
    if (!rejects.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    rejects.write(text);
    rejects.close();
    QSignalSpy retried(w.summaryPage(), &ImportSummaryPage::retryFinished);
    QTest::mouseClick(w.summaryPage()->retryButton(), Qt::LeftButton);
    if (!retried.wait(60000))
        return {};
    return retried.first().first().value<BackfillEngine::Result>();
}

void TestImportWizard::sampleFileWithDefaultsEndsInTheHypertable()
{
    const HypertableInfo ht = createTable(QStringLiteral("wz_default"));
    const QString file = csv(QStringLiteral("default.csv"),
                             "time,device_id,temperature,status\n"
                             "2026-08-20 10:30:00+00,3,21.5,ok\n"
                             "2026-08-21 10:30:00+00,3,22.5,ok\n"
                             "2026-08-22 10:30:00+00,3,23.5,ok\n"
                             "2026-08-22 10:00:00+00,1,99,dup\n"); // already exists: skipped by default
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    QCOMPARE(w.session()->planResult.plan.chunks.size(), 3);
    QCOMPARE(w.session()->planResult.plan.summary.existingRows, qint64(1));
    QVERIFY(w.planPage()->timeline()->hasPlan());
    // "Stop at the first existing row" meets the existing row: the plan is blocked, said in the
    // error colour, and Run is off; back to skipping, it runs.
    auto *conflict = w.planPage()->findChild<QComboBox *>(QStringLiteral("conflict"));
    auto *summaryLabel = w.planPage()->findChild<QLabel *>(QStringLiteral("summary"));
    const auto choose = [&](CsvLoader::Conflict mode) {
        QSignalSpy planned(w.planPage(), &ImportPlanPage::planReady);
        conflict->setCurrentIndex(conflict->findData(int(mode)));
        Q_EMIT conflict->activated(conflict->currentIndex());
        return planned.wait(60000);
    };
    QVERIFY(choose(CsvLoader::Conflict::Error));
    QVERIFY2(summaryLabel->text().contains(QLatin1String("BLOCKED")), qPrintable(summaryLabel->text()));
    QCOMPARE(summaryLabel->palette().color(QPalette::WindowText), QColor(0xb0, 0x00, 0x20));
    QVERIFY(!w.planPage()->isComplete());
    QVERIFY(choose(CsvLoader::Conflict::Skip));
    QVERIFY(summaryLabel->palette().color(QPalette::WindowText) != QColor(0xb0, 0x00, 0x20));
    QVERIFY(w.planPage()->isComplete());
    runToSummary(w);
    const BackfillEngine::Result &r = w.session()->runResult;
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    const QString summary = w.summaryPage()->report();
    QVERIFY2(summary.contains(QLatin1String("Rows read: 4")), qPrintable(summary));
    QVERIFY(summary.contains(QLatin1String("Rows loaded: 3")));
    QVERIFY(summary.contains(QLatin1String("Rows skipped as duplicates: 1")));
    QVERIFY(summary.contains(QLatin1String("Rows rejected: 0")));
    QVERIFY(summary.contains(QLatin1String("paused during the run, resumed")));
    // Compressed again in place after direct inserts: not measured anew, so no ratio is claimed.
    QVERIFY2(!summary.contains(QLatin1String("Compression of the")), qPrintable(summary));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_default WHERE device_id = 3")), qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_default WHERE temperature = 99")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT bool_and(scheduled) FROM timescaledb_information.jobs WHERE hypertable_name = 'wz_default'")), qint64(1));
    const QString reportPath = m_dir.filePath(QStringLiteral("report.txt"));
    QVERIFY(w.summaryPage()->saveReport(reportPath));
    QVERIFY(QFile(reportPath).size() > 100);
}

void TestImportWizard::badRowsGoToTheRejectsFileAndRetryLoadsThemWhenFixed()
{
    const HypertableInfo ht = createTable(QStringLiteral("wz_rejects"));
    const QString file = csv(QStringLiteral("bad.csv"),
                             "time,device_id,temperature,status\n"
                             "2026-08-20 10:30:00+00,4,21.5,ok\n"
                             "2026-08-20 11:30:00+00,4,warm,ok\n"
                             "2026-08-20 12:30:00+00,four,22,ok\n"
                             "2026-08-20 13:30:00+00,4,23,ok\n");
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    runToSummary(w);
    const BackfillEngine::Result &r = w.session()->runResult;
    QCOMPARE(r.load.rowsLoaded, qint64(2));
    QCOMPARE(r.load.rowsRejected, qint64(2));
    QVERIFY(w.summaryPage()->retryButton()->isEnabled());
    QFile rejects(r.load.rejectsPath);
    QVERIFY2(rejects.open(QIODevice::ReadOnly), qPrintable(r.load.rejectsPath));
    QByteArray text = rejects.readAll();
    rejects.close();
    QVERIFY(text.contains("3,temperature,\"\"\"warm\"\" is not a number\""));
    QVERIFY(text.contains("4,device_id"));
    // The analyst fixes the records in the rejects file, then retries. (The second fix also drops
    // the record's quotes, as a hand edit may: its commas still belong to the record; they once
    // cut it short, and the row went in with its last cells empty.)
    // First only the one on line 3: the other is rejected again, named by its line in the file (it
    // was line 3 of a retry file), in the rejects file, which lists it alone now (the retry's
    // rejects went to a file of their own, a longer name each time, and the retry file stayed).
    const QString rejectsPath = r.load.rejectsPath;
    const BackfillEngine::Result first = retryFixed(w, {{"4,warm,ok", "4,24,ok"}});
    QVERIFY2(first.outcome == CsvLoader::Outcome::Completed, qPrintable(first.message));
    QCOMPARE(first.load.rowsLoaded, qint64(1));
    QCOMPARE(first.load.rowsRejected, qint64(1));
    QCOMPARE(first.load.firstRejections.value(0).line, qint64(4));
    QCOMPARE(w.session()->runResult.load.rejectsPath, rejectsPath);
    QVERIFY(rejects.open(QIODevice::ReadOnly));
    text = rejects.readAll();
    rejects.close();
    QCOMPARE(text.count('\n'), 2); // the header and the row still rejected
    QVERIFY2(text.contains("\n4,device_id,"), text.constData());
    const auto filesOfThisRun = [&rejectsPath] {
        return QDir(QFileInfo(rejectsPath).absolutePath()).entryList({QFileInfo(rejectsPath).completeBaseName() + QLatin1Char('*')}, QDir::Files);
    };
    QCOMPARE(filesOfThisRun(), QStringList{QFileInfo(rejectsPath).fileName()});
    QVERIFY(w.summaryPage()->retryButton()->isEnabled());
    const BackfillEngine::Result retry = retryFixed(w, {{"\"2026-08-20 12:30:00+00,four,22,ok\"", "2026-08-20 12:30:00+00,4,22,ok"}});
    QVERIFY2(retry.outcome == CsvLoader::Outcome::Completed, qPrintable(retry.message));
    QCOMPARE(retry.load.rowsLoaded, qint64(1));
    QVERIFY(!QFile::exists(rejectsPath)); // nothing rejected any more: no rejects file, no retry files
    QVERIFY(filesOfThisRun().isEmpty());
    QVERIFY(w.session()->runResult.load.rejectsPath.isEmpty()); // (the summary points at no file that is gone)
    QVERIFY(!w.summaryPage()->retryButton()->isEnabled());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_rejects WHERE device_id = 4")), qint64(4));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_rejects WHERE device_id = 4 AND temperature = 22 AND status = 'ok'")), qint64(1));
    const QString report = w.summaryPage()->report();
    QVERIFY(report.contains(QLatin1String("Rows rejected: 0")));
    // The run's closing words stay, and the retry's follow them (they once said nothing of it).
    QVERIFY2(report.contains(QLatin1String("4 rows read: 2 loaded")) && report.contains(QLatin1String("Retry of the rejected rows: 2 rows read: 1 loaded"))
                 && report.contains(QLatin1String("Retry of the rejected rows: 1 row read: 1 loaded")),
             qPrintable(report));
}

void TestImportWizard::cancelInTheMiddleRestoresThePolicyAndSaysWhatWasCommitted()
{
    const HypertableInfo ht = createTable(QStringLiteral("wz_cancel"));
    // Device 5 every minute for four days: each chunk takes a moment to move.
    QByteArray content("time,device_id,temperature,status\n");
    const QDateTime start(QDate(2026, 8, 20), QTime(0, 0), Qt::UTC);
    for (int m = 0; m < 4 * 1440; ++m)
        content += start.addSecs(60 * m).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss+00")).toUtf8() + ",5,1,ok\n";
    const QString file = csv(QStringLiteral("cancel.csv"), content);
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    auto *controller = w.findChild<BackfillController *>();
    QVERIFY(controller);
    // A stray Escape asks, and answered no, the run goes on to the next chunk range (it cancelled
    // the run unasked: no second Escape then); the second one's question answered yes cancels it.
    int escapes = 0;
    connect(controller, &BackfillController::progress, this, [&](const BackfillEngine::Progress &p) {
        if (p.phase != QLatin1String("move") || p.chunk < escapes + 1 || escapes >= 2 || !w.runPage()->cancelButton()->isEnabled())
            return;
        QTest::keyClick(&w, Qt::Key_Escape);
        if (QMessageBox *question = w.cancelQuestion())
            question->button(escapes == 0 ? QMessageBox::No : QMessageBox::Yes)->click();
        ++escapes;
    });
    runToSummary(w);
    QCOMPARE(escapes, 2);
    QTRY_VERIFY(!w.cancelQuestion());
    const BackfillEngine::Result &r = w.session()->runResult;
    QCOMPARE(r.outcome, CsvLoader::Outcome::Cancelled);
    const QString summary = w.summaryPage()->report();
    QVERIFY2(summary.contains(QLatin1String(": cancelled")), qPrintable(summary));
    QVERIFY(summary.contains(QLatin1String("The compression policy was resumed")));
    // What the summary says was committed is exactly what the hypertable holds.
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("(\\d+) rows in (\\d+) completed chunk range")).match(summary);
    QVERIFY2(m.hasMatch(), qPrintable(summary));
    const qint64 committed = m.captured(1).toLongLong();
    QVERIFY(m.captured(2).toInt() < 4);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_cancel WHERE device_id = 5")), committed);
    QCOMPARE(committed % 1440, qint64(0)); // whole chunks only
    // The bar ends as full as the run went (putting compression back had filled it).
    const auto *bar = w.runPage()->findChild<QProgressBar *>(QStringLiteral("progress"));
    QCOMPARE(bar->value(), int(1000 * committed / r.load.rowsRead));
    QVERIFY(bar->value() < bar->maximum());
    // The run page's timeline shows each chunk as the server has it: the committed ones compressed
    // again, the one rolled back as it was (it stayed "partially compressed"), none partial.
    const QList<ChunkInfo> shown = w.runPage()->timeline()->hypertable().chunks;
    QVERIFY(!shown.isEmpty());
    for (const ChunkInfo &c : shown) {
        const qint64 partial = scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE chunk_name = '%1' "
                                                     "AND (NOT is_compressed OR _timescaledb_functions.chunk_status(format('%I.%I', "
                                                     "chunk_schema, chunk_name)::regclass) & 8 <> 0)").arg(c.name));
        QVERIFY2((c.state == ChunkInfo::State::Compressed) == (partial == 0), qPrintable(c.name + QLatin1Char(' ') + ChunkInfo::stateName(c.state)));
    }
    QCOMPARE(scalar(QStringLiteral("SELECT bool_and(scheduled) FROM timescaledb_information.jobs WHERE hypertable_name = 'wz_cancel'")), qint64(1));
}

void TestImportWizard::cancelIsOfferedOnlyWhereItIsSafe()
{
    // Rows for three days before the first chunk (new chunks the policy would compress) and
    // one compressed chunk. Cancel is off while the touched chunk is compressed again and the
    // policy resumed; while the new chunks are compressed it is on and leaves the rest to the policy.
    const HypertableInfo ht = createTable(QStringLiteral("wz_cancelnew"));
    const QString file = csv(QStringLiteral("cancelnew.csv"),
                             "time,device_id,temperature,status\n"
                             "2026-08-15 10:30:00+00,3,21.5,ok\n"
                             "2026-08-16 10:30:00+00,3,21.5,ok\n"
                             "2026-08-17 10:30:00+00,3,21.5,ok\n"
                             "2026-08-21 10:30:00+00,3,22.5,ok\n");
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    auto *controller = w.findChild<BackfillController *>();
    QVERIFY(controller);
    QStringList seen; // phase and whether Cancel was enabled after the page took it in
    connect(controller, &BackfillController::progress, this, [&](const BackfillEngine::Progress &p) {
        QPushButton *cancel = w.runPage()->cancelButton();
        const QString entry = p.phase + (cancel->isEnabled() ? QStringLiteral(" on") : QStringLiteral(" off"));
        if (seen.isEmpty() || seen.constLast() != entry)
            seen << entry;
        if (p.phase == QLatin1String("compress_new") && p.chunk == 1 && cancel->isEnabled()) {
            QTest::mouseClick(cancel, Qt::LeftButton);
            seen << (cancel->isEnabled() ? QStringLiteral("clicked, on") : QStringLiteral("clicked, off"));
        }
    });
    runToSummary(w);
    const BackfillEngine::Result &r = w.session()->runResult;
    QVERIFY2(r.outcome == CsvLoader::Outcome::Completed, qPrintable(r.message));
    // (The engine may reach the next new chunk before the click arrives: its report then finds
    // the button off already.)
    seen.removeAll(QStringLiteral("compress_new off"));
    QCOMPARE(seen, (QStringList{QStringLiteral("stage on"), QStringLiteral("plan on"), QStringLiteral("move on"),
                                QStringLiteral("recompress off"), QStringLiteral("compress_new on"), QStringLiteral("clicked, off"),
                                QStringLiteral("restore off"), QStringLiteral("finish off")}));
    // The new chunks compressed before the cancel took effect, and the rest left to the policy:
    // what the summary says is what the table shows.
    const QString summary = w.summaryPage()->report();
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("Cancelled while compressing the new chunks: (\\d) of 3 compressed"))
                                          .match(summary);
    const qint64 compressed = m.hasMatch() ? m.captured(1).toInt() : 3;
    QVERIFY2(compressed >= 1, qPrintable(summary));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_cancelnew WHERE device_id = 3")), qint64(4));
    QVERIFY2(QRegularExpression(QStringLiteral("Compression of the %1 chunk\\(s\\) the run compressed whole: .+ of rows in .+ \\(ratio [0-9.,]+×\\)")
                                    .arg(compressed))
                 .match(summary)
                 .hasMatch(),
             qPrintable(summary));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'wz_cancelnew' "
                                   "AND NOT is_compressed")),
             3 - compressed);
    QCOMPARE(scalar(QStringLiteral("SELECT bool_and(scheduled) FROM timescaledb_information.jobs WHERE hypertable_name = 'wz_cancelnew'")), qint64(1));
}

void TestImportWizard::europeanFileIsDetectedWithoutManualSettings()
{
    const HypertableInfo ht = createTable(QStringLiteral("wz_euro"));
    const QString file = csv(QStringLiteral("euro.csv"),
                             "Time;Device ID;Temperature;Status\r\n"
                             "20.08.2026 12:30;6;21,5;ok\r\n"
                             "21.08.2026 12:30;6;1.021,25;ok\r\n"
                             "22.08.2026 12:30;6;-3,75;ok\r\n"
                             "23.08.2026 12:30;6;4,5\r\n"); // (Excel leaves out the delimiter of an empty last cell)
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file, [&w] {
        // The short row is pointed out; read with its missing cell empty, it loads.
        auto *status = w.formatPage()->findChild<QLabel *>(QStringLiteral("status"));
        QVERIFY2(status->text().contains(QLatin1String("1 previewed row has fewer cells than the file has columns")), qPrintable(status->text()));
        w.formatPage()->findChild<QCheckBox *>(QStringLiteral("padShortRows"))->setChecked(true);
        QVERIFY(w.session()->options.load.padShortRows);
        QVERIFY2(!status->text().contains(QLatin1String("fewer cells")), qPrintable(status->text()));
    });
    // What the format page detected.
    QCOMPARE(w.formatPage()->findChild<QComboBox *>(QStringLiteral("delimiter"))->currentData().toString(), QStringLiteral(";"));
    QVERIFY(w.formatPage()->findChild<QCheckBox *>(QStringLiteral("decimalComma"))->isChecked());
    QCOMPARE(w.formatPage()->badCells(), 0);
    // Columns mapped by name, "Device ID" to device_id, with the detected date format.
    QTableWidget *columns = w.columnsPage()->columns();
    QCOMPARE(qobject_cast<QComboBox *>(columns->cellWidget(1, 1))->currentData().toString(), QStringLiteral("device_id"));
    // (a screen reader names each mapping by its CSV column)
    QCOMPARE(columns->cellWidget(1, 1)->accessibleName(), QStringLiteral("Table column for CSV column Device ID"));
    QCOMPARE(columns->item(0, 2)->text(), QStringLiteral("dd.MM.yyyy HH:mm"));
    // Editing a format re-checks the sample at once.
    auto *status = w.columnsPage()->findChild<QLabel *>(QStringLiteral("status"));
    QVERIFY(status->text().contains(QLatin1String("Every sample value converts")));
    columns->item(0, 2)->setText(QStringLiteral("yyyy-MM-dd"));
    QVERIFY2(status->text().contains(QLatin1String("4 sample values do not convert")), qPrintable(status->text()));
    QVERIFY(columns->item(0, 3)->text().startsWith(QLatin1String("4 of 4 fail")));
    columns->item(0, 2)->setText(QStringLiteral("dd.MM.yyyy HH:mm"));
    QVERIFY(status->text().contains(QLatin1String("Every sample value converts")));
    // Two CSV columns to one table column: said here, and Next stays off (the plan page said it
    // in the command line's words, "--map: column … is mapped twice").
    auto *temperature = qobject_cast<QComboBox *>(columns->cellWidget(2, 1));
    temperature->setCurrentIndex(temperature->findData(QStringLiteral("time")));
    QVERIFY2(status->text().contains(QLatin1String("More than one CSV column goes to time")), qPrintable(status->text()));
    QVERIFY(!w.columnsPage()->isComplete());
    temperature->setCurrentIndex(temperature->findData(QStringLiteral("temperature")));
    QVERIFY(w.columnsPage()->isComplete());
    // The columns page's choices reach the load (the format page was validated on Next).
    w.back();
    w.back();
    w.next();
    w.next();
    QTRY_VERIFY_WITH_TIMEOUT(w.planPage()->isComplete(), 60000);
    runToSummary(w);
    QCOMPARE(w.session()->runResult.load.rowsLoaded, qint64(4));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_euro WHERE device_id = 6 AND "
                                   "((time = '2026-08-21 12:30+00' AND temperature = 1021.25) OR (temperature IN (21.5, -3.75)))")),
             qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_euro WHERE time = '2026-08-23 12:30+00' AND temperature = 4.5 AND status IS NULL")),
             qint64(1));
}

void TestImportWizard::exportedSqlMatchesThePlan()
{
    const HypertableInfo ht = createTable(QStringLiteral("wz_sql"));
    const QString file = csv(QStringLiteral("sql.csv"), "time,device_id,temperature,status\n2026-08-21 10:30:00+00,7,1,ok\n"
                                                        "2026-08-19 10:30:00+00,7,1,ok\n");
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    const QString path = m_dir.filePath(QStringLiteral("plan.sql"));
    // The script carries the converted rows: a planning pass on the worker thread writes it.
    QSignalSpy exported(w.planPage(), &ImportPlanPage::exported);
    // Where it cannot be written, the page says so (and the plan stays usable).
    const QString nowhere = m_dir.filePath(QStringLiteral("no-such-folder/plan.sql"));
    QVERIFY(w.planPage()->exportSql(nowhere));
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 60000);
    QVERIFY2(exported.takeFirst().at(1).toString().startsWith(QStringLiteral("Cannot write the script %1").arg(nowhere)),
             qPrintable(w.planPage()->findChild<QLabel *>(QStringLiteral("summary"))->text()));
    QVERIFY(w.planPage()->findChild<QLabel *>(QStringLiteral("summary"))->text().startsWith(QLatin1String("Cannot write the script")));
    QVERIFY(w.planPage()->isComplete());
    QVERIFY(w.planPage()->exportSql(path));
    QVERIFY(!w.planPage()->isComplete()); // Next waits for it
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 60000);
    QCOMPARE(exported.first().at(1).toString(), QString());
    QVERIFY(w.planPage()->isComplete());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString sql = QString::fromUtf8(f.readAll());
    const BackfillPlan &plan = w.session()->planResult.plan;
    QCOMPARE(plan.chunks.size(), 1);
    QCOMPARE(plan.newChunkRows, qint64(1));
    QVERIFY(sql.contains(plan.chunks.first().reason));
    QVERIFY(sql.contains(QStringLiteral("SELECT alter_job(%1, scheduled => false);").arg(plan.policy.jobId)));
    QVERIFY(sql.contains(QStringLiteral("SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId)));
    QVERIFY(sql.contains(QStringLiteral("SELECT compress_chunk('%1', true) \\;").arg(plan.chunks.first().chunk.qualifiedName())));
    QVERIFY2(sql.contains(QLatin1String("(2, '2026-08-21 10:30:00+00', '7', '1', 'ok'),\n(3, '2026-08-19 10:30:00+00', '7', '1', 'ok');")),
             qPrintable(sql));
    QVERIFY(sql.contains(QLatin1String("ON CONFLICT DO NOTHING"))); // the wizard's default: skip existing rows
    QVERIFY(sql.contains(plan.newChunkReason));
    QVERIFY(w.planPage()->planText().contains(QLatin1String("direct insert")));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_sql WHERE device_id = 7")), qint64(0)); // planning wrote nothing
}

void TestImportWizard::loggerPreambleIsSkippedAndRetriedRowsKeepTheHeader()
{
    // A data logger writes two lines (one with a date) before the header. Skipping them on the
    // format page detects the header and the date format again; the rejected row's retry file
    // gets the real header, not the preamble.
    const HypertableInfo ht = createTable(QStringLiteral("wz_preamble"));
    const QString file = csv(QStringLiteral("logger.csv"),
                             "05.09.2026 export from logger 7\n"
                             "\n"
                             "Time;Device ID;Temperature;Status\n"
                             "20.08.2026 12:30;7;21,5;ok\n"
                             "21.08.2026 12:30;7;warm;ok\n"
                             "22.08.2026 12:30;7;-3,75;ok\n");
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file, [&w] {
        auto *header = w.formatPage()->findChild<QCheckBox *>(QStringLiteral("header"));
        QVERIFY(!header->isChecked()); // the preamble's first line is no header
        w.formatPage()->findChild<QSpinBox *>(QStringLiteral("skipLines"))->setValue(2);
        QVERIFY(!w.formatPage()->isComplete()); // Next waits for the new detection
        QTRY_VERIFY_WITH_TIMEOUT(w.formatPage()->isComplete() && header->isChecked(), 30000);
        QCOMPARE(w.formatPage()->findChild<QComboBox *>(QStringLiteral("delimiter"))->currentData().toString(), QStringLiteral(";"));
    });
    QCOMPARE(w.columnsPage()->columns()->item(0, 2)->text(), QStringLiteral("dd.MM.yyyy HH:mm"));
    runToSummary(w);
    const BackfillEngine::Result &r = w.session()->runResult;
    QCOMPARE(r.load.rowsLoaded, qint64(2));
    QCOMPARE(r.load.rowsRejected, qint64(1));
    QFile rejects(r.load.rejectsPath);
    QVERIFY2(rejects.open(QIODevice::ReadOnly), qPrintable(r.load.rejectsPath));
    // Written with the file's ';' (the spreadsheet that saved the file opens it as columns), the
    // record quoted for its own ';'.
    const QByteArray text = rejects.readAll();
    QVERIFY2(text.contains("5;Temperature;\"\"\"warm\"\" is not a number (decimal comma expected)\";\"21.08.2026 12:30;7;warm;ok\""), text.constData()); // line 5 of the file
    rejects.close();
    // The record fixed in the spreadsheet, which saves it quoted again.
    const BackfillEngine::Result retry = retryFixed(w, {{"21.08.2026 12:30;7;warm;ok", "21.08.2026 12:30;7;24,5;ok"}});
    QVERIFY2(retry.outcome == CsvLoader::Outcome::Completed, qPrintable(retry.message));
    QCOMPARE(retry.load.rowsLoaded, qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_preamble WHERE device_id = 7 AND temperature IN (21.5, 24.5, -3.75)")), qint64(3));
}

void TestImportWizard::anotherFileIsDetectedAfreshAndTheWheelScrollsPastMappings()
{
    const HypertableInfo ht = createTable(QStringLiteral("wz_again"));
    const QString first = csv(QStringLiteral("again.csv"), "time,device_id,temperature,status\n2026-08-21 10:30:00+00,7,1,ok\n");
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, first);
    // Scrolling over a mapping that has not been clicked leaves it as it is.
    w.back();
    QCOMPARE(w.currentId(), int(ImportWizard::ColumnsPage));
    auto *combo = qobject_cast<QComboBox *>(w.columnsPage()->columns()->cellWidget(1, 1));
    const QString mapped = combo->currentData().toString();
    QWheelEvent wheel(QPointF(5, 5), combo->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(combo, &wheel);
    QCOMPARE(combo->currentData().toString(), mapped);
    // Back to the source, another file written otherwise: its format is detected, not the last one's.
    w.back();
    w.back();
    QCOMPARE(w.currentId(), int(ImportWizard::SourcePage));
    // (An Excel export that names its delimiter in a "sep=;" first line.)
    const QString second = csv(QStringLiteral("again-euro.csv"), "sep=;\r\nTime;Device ID;Temperature;Status\r\n20.08.2026 12:30;6;21,5;ok\r\n"
                                                                 "21.08.2026 12:30;6;1.021,25;ok\r\n");
    // Typed, then Enter at once (before the path is checked, when Next is still off): Next once
    // it is checked, one page on (Enter did nothing).
    w.setFile(second);
    QTest::keyClick(w.sourcePage()->findChild<QLineEdit *>(QStringLiteral("file")), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(w.currentId(), int(ImportWizard::FormatPage), 10000);
    QTest::qWait(200);
    QCOMPARE(w.currentId(), int(ImportWizard::FormatPage));
    QTRY_VERIFY_WITH_TIMEOUT(w.formatPage()->isComplete(), 30000);
    QCOMPARE(w.formatPage()->findChild<QComboBox *>(QStringLiteral("delimiter"))->currentData().toString(), QStringLiteral(";"));
    QVERIFY(w.formatPage()->findChild<QCheckBox *>(QStringLiteral("decimalComma"))->isChecked());
    const QString status = w.formatPage()->findChild<QLabel *>(QStringLiteral("status"))->text();
    QVERIFY2(status.contains(QLatin1String("delimiter \";\" (from the file's sep= line)")), qPrintable(status));
    QCOMPARE(w.formatPage()->preview()->rowCount(), 2);
    QCOMPARE(w.formatPage()->preview()->horizontalHeaderItem(0)->text(), QStringLiteral("Time"));
}

void TestImportWizard::closingWhileAPassRunsClosesWhenItHasStopped()
{
    // Cancel while the plan page writes a script (a pass over the file on the worker thread): the
    // wizard disappears at once, the pass is cancelled, and the wizard closes when it has stopped
    // (its worker thread is never waited for on the GUI thread). The table is left as it was.
    const HypertableInfo ht = createTable(QStringLiteral("wz_closing"));
    const QString file = csv(QStringLiteral("closing.csv"), "time,device_id,temperature,status\n"
                                                            "2026-08-20 12:30:00+00,6,21.5,ok\n2026-08-21 12:30:00+00,6,22.5,ok\n");
    // By Cancel (reject), then by the title bar's close button (a close event).
    for (const bool byCloseButton : {false, true}) {
        ImportWizard w(TestServers::sandbox(), ht);
        walkToPlan(w, file);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), 60000); // (a pass planning again after a late change, if any, has ended)
        QSignalSpy closed(&w, &QDialog::finished);
        QSignalSpy exported(w.planPage(), &ImportPlanPage::exported);
        const QString script = m_dir.filePath(QStringLiteral("closing-%1.sql").arg(byCloseButton));
        QVERIFY(w.planPage()->exportSql(script));
        QVERIFY(w.isBusy());
        if (byCloseButton)
            QVERIFY(!w.close()); // (the close event is refused: the wizard waits for the pass)
        else
            w.reject();
        QVERIFY(!w.isVisible());
        QVERIFY(w.isBusy());
        QCOMPARE(closed.size(), 0); // not closed while the pass runs
        QTRY_VERIFY_WITH_TIMEOUT(closed.size() == 1, 60000);
        QCOMPARE(closed.last().first().toInt(), int(QDialog::Rejected));
        QVERIFY(!w.isBusy());
        // The pass was cancelled: no script.
        QCOMPARE(exported.size(), 1);
        QVERIFY2(exported.last().at(1).toString().startsWith(QLatin1String("Cancelled")), qPrintable(exported.last().at(1).toString()));
        QVERIFY(!QFile::exists(script));
    }
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_closing WHERE device_id = 6")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT bool_and(scheduled) FROM timescaledb_information.jobs WHERE hypertable_name = 'wz_closing'")), qint64(1));
}

void TestImportWizard::chunksLeftToThePolicyAreNamedInTheSummary()
{
    // Recompression left to the policy: the summary says which part of the work is the policy's
    // (it only said how many chunks were compressed again: none).
    const HypertableInfo ht = createTable(QStringLiteral("wz_policy_left"));
    const QString file = csv(QStringLiteral("policyleft.csv"), "time,device_id,temperature,status\n2026-08-21 10:30:00+00,8,20.5,ok\n");
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    QSignalSpy planned(w.planPage(), &ImportPlanPage::planReady);
    w.planPage()->findChild<QCheckBox *>(QStringLiteral("recompress"))->setChecked(false);
    QVERIFY(planned.wait(60000));
    QTRY_VERIFY_WITH_TIMEOUT(w.planPage()->isComplete(), 60000);
    runToSummary(w);
    const QString summary = w.summaryPage()->report();
    QVERIFY2(summary.contains(QLatin1String("Chunks touched: 1 (0 decompressed, 0 compressed again, 1 left partly uncompressed for the "
                                            "compression policy)")),
             qPrintable(summary));
}

void TestImportWizard::aFileChangedAfterItsPlanIsNotRun()
{
    // The plan is shown for the file as it was; rows appended afterwards (a new chunk, here) would
    // have been loaded by a run that did other than the approved plan. It stops before anything.
    const HypertableInfo ht = createTable(QStringLiteral("wz_changed"));
    const QString file = csv(QStringLiteral("changed.csv"), secondsOfOneChunk(8));
    ImportWizard w(TestServers::sandbox(), ht);
    QStringList shown; // the plan page's words after each progress report
    connect(w.findChild<BackfillController *>(), &BackfillController::progress, this, [&](const BackfillEngine::Progress &) {
        if (w.currentId() == ImportWizard::PlanPage)
            shown << w.planPage()->findChild<QLabel *>(QStringLiteral("summary"))->text();
    });
    walkToPlan(w, file);
    QVERIFY2(shown.filter(QStringLiteral("%1 rows read so far").arg(QLocale().toString(16384))).size() == 1, qPrintable(shown.join(QLatin1Char('\n'))));
    QVERIFY2(shown.filter(QStringLiteral("(%1 rows to plan)").arg(QLocale().toString(20000))).size() == 1, qPrintable(shown.join(QLatin1Char('\n'))));
    QCOMPARE(w.session()->planResult.plan.newChunkRows, qint64(0));
    QFile f(file);
    QVERIFY(f.open(QIODevice::Append));
    f.write("2026-07-01 12:30:00+00,8,22.5,ok\n");
    f.close();
    runToSummary(w);
    const BackfillEngine::Result &r = w.session()->runResult;
    QCOMPARE(r.outcome, CsvLoader::Outcome::InputError);
    QVERIFY2(r.message.contains(QLatin1String("has changed since it was planned")), qPrintable(r.message));
    QVERIFY2(w.summaryPage()->report().contains(QLatin1String("Plan again")), qPrintable(w.summaryPage()->report()));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_changed WHERE device_id = 8")), qint64(0));
    QCOMPARE(scalar(QStringLiteral("SELECT bool_and(scheduled) FROM timescaledb_information.jobs WHERE hypertable_name = 'wz_changed'")), qint64(1));
}

QByteArray TestImportWizard::secondsOfOneChunk(int device, int rows)
{
    QByteArray content("time,device_id,temperature,status\n");
    const QDateTime start(QDate(2026, 8, 20), QTime(6, 0), Qt::UTC);
    for (int i = 0; i < rows; ++i)
        content += start.addSecs(i).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss+00")).toUtf8() + ',' + QByteArray::number(device) + ",21.5,ok\n";
    return content;
}

void TestImportWizard::cancelWhileReadingCountsTheRowsNotRead()
{
    // Cancelled while the run reads the file: the summary counted the rows read (all "not loaded")
    // and said nothing of the rest of the file, which the plan had counted.
    const HypertableInfo ht = createTable(QStringLiteral("wz_notread"));
    const QString file = csv(QStringLiteral("notread.csv"), secondsOfOneChunk(9));
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, file);
    connect(w.findChild<BackfillController *>(), &BackfillController::progress, this, [&w](const BackfillEngine::Progress &p) {
        // (at the first report: the cancel lands long before the last row, whatever the threads' pace)
        if (p.phase == QLatin1String("stage") && w.runPage()->cancelButton()->isEnabled())
            QTest::mouseClick(w.runPage()->cancelButton(), Qt::LeftButton);
    });
    runToSummary(w);
    const BackfillEngine::Result &r = w.session()->runResult;
    QCOMPARE(r.outcome, CsvLoader::Outcome::Cancelled);
    QVERIFY(r.load.rowsRead < 20000);
    const QString report = w.summaryPage()->report();
    QVERIFY2(report.contains(QStringLiteral("Rows not read (the run stopped before them; the plan read 20000 rows in the file): %1")
                                 .arg(20000 - r.load.rowsRead)),
             qPrintable(report));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM wz_notread WHERE device_id = 9")), qint64(0));
    // The bar no longer shows its busy stripes (it stopped before a chunk range), and is empty.
    const auto *bar = w.runPage()->findChild<QProgressBar *>(QStringLiteral("progress"));
    QVERIFY(bar->maximum() > 0);
    QCOMPARE(bar->value(), bar->minimum());
}

void TestImportWizard::eachFilesMappingIsRemembered()
{
    // A monthly German export mapped by hand, then another file into the same table: the export's
    // mapping came back as "(skip this column)", the other file's having replaced it.
    const HypertableInfo ht = createTable(QStringLiteral("wz_memory"));
    QSettings().remove(QStringLiteral("import/public.wz_memory"));
    const QString german = csv(QStringLiteral("monat.csv"), "Zeit;Gerät;Temperatur;Zustand\n20.08.2026 12:30;6;21,5;ok\n");
    const QString english = csv(QStringLiteral("month.csv"), "time,device_id,temperature,status\n2026-08-21 10:30:00+00,7,1,ok\n");
    const auto mapped = [](ImportWizard &w) {
        QStringList out;
        QTableWidget *columns = w.columnsPage()->columns();
        for (int c = 0; c < columns->rowCount(); ++c)
            out << columns->item(c, 0)->text() + QLatin1Char('=') + qobject_cast<QComboBox *>(columns->cellWidget(c, 1))->currentData().toString()
                    + QLatin1Char(' ') + columns->item(c, 2)->text();
        return out;
    };
    const QStringList byHand{QStringLiteral("Zeit=time dd.MM.yyyy HH:mm"), QStringLiteral("Gerät=device_id "),
                             QStringLiteral("Temperatur=temperature "), QStringLiteral("Zustand= ")};
    {
        ImportWizard w(TestServers::sandbox(), ht);
        walkToPlan(w, german, {}, [&w] {
            QTableWidget *columns = w.columnsPage()->columns();
            for (const auto &[row, column] : {std::pair{0, "time"}, std::pair{1, "device_id"}, std::pair{2, "temperature"}, std::pair{3, ""}}) {
                auto *combo = qobject_cast<QComboBox *>(columns->cellWidget(row, 1));
                combo->setCurrentIndex(combo->findData(QString::fromLatin1(column)));
            }
        });
        QCOMPARE(mapped(w), byHand);
    }
    {
        ImportWizard w(TestServers::sandbox(), ht);
        walkToPlan(w, english);
    }
    ImportWizard w(TestServers::sandbox(), ht);
    walkToPlan(w, german);
    QCOMPARE(mapped(w), byHand);
}

QTEST_MAIN(TestImportWizard)
#include "tst_importwizard.moc"
