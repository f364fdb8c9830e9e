// Takes the README's screenshots of the import wizard and the connection manager from the
// real widgets, against a running demo sandbox:  shoot_wizard PORT CSV OUTDIR
// Run under Xvfb (scripts/screenshots does); it renders each page with QWidget::grab().
#include "ConnectionManagerDialog.h"
#include "ImportRunPages.h"
#include "ImportSession.h"
#include "ImportSetupPages.h"
#include "ImportWizard.h"
#include "ServerInspector.h"

#include <QApplication>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace bfs;

static bool waitFor(const std::function<bool()> &done, int ms = 60000)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms)
        QTest::qWait(50);
    return done();
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Backfill Studio"));
    if (argc < 4) {
        qCritical("usage: shoot_wizard PORT CSV OUTDIR");
        return 2;
    }
    ConnectionProfile p;
    p.name = QStringLiteral("Demo sandbox");
    p.host = QStringLiteral("127.0.0.1");
    p.port = QString::fromLocal8Bit(argv[1]).toInt();
    p.user = QStringLiteral("postgres");
    p.database = QStringLiteral("postgres");
    p.password = QStringLiteral("sandbox");
    p.sslMode = QStringLiteral("disable");
    const QString out = QString::fromLocal8Bit(argv[3]);

    QTemporaryDir tmp;
    QSettings settings(tmp.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
    {
        ConnectionManagerDialog d(&settings);
        d.addProfile(p);
        d.show();
        QSignalSpy tested(&d, &ConnectionManagerDialog::tested);
        d.testConnection();
        tested.wait(30000);
        QTest::qWait(200);
        d.grab().save(out + QStringLiteral("/connection-manager.png"));
    }

    ServerInspector::Options o;
    o.table = QStringLiteral("conditions");
    const ServerInspection in = ServerInspector::inspect(p, o);
    if (!in.ok()) {
        qCritical("%s", qPrintable(in.error.toString()));
        return 1;
    }
    ImportWizard w(p, in.hypertables.first());
    w.setJournalDirectory(tmp.filePath(QStringLiteral("journals")));
    w.resize(1000, 720);
    w.show();
    w.setFile(QString::fromLocal8Bit(argv[2]));
    waitFor([&] { return w.session()->targetLoaded && w.sourcePage()->isComplete(); });
    QTest::qWait(200);
    w.grab().save(out + QStringLiteral("/wizard-1-source.png"));
    w.next();
    waitFor([&] { return w.formatPage()->isComplete(); });
    QTest::qWait(300);
    w.grab().save(out + QStringLiteral("/wizard-2-format.png"));
    w.next();
    waitFor([&] { return w.columnsPage()->isComplete(); });
    QTest::qWait(300);
    w.grab().save(out + QStringLiteral("/wizard-3-columns.png"));
    QSignalSpy planned(w.planPage(), &ImportPlanPage::planReady);
    w.next();
    planned.wait(60000);
    QTest::qWait(300);
    w.grab().save(out + QStringLiteral("/wizard-4-plan.png"));
    QSignalSpy finished(w.runPage(), &ImportRunPage::runFinished);
    w.next();
    finished.wait(120000);
    QTest::qWait(300);
    w.grab().save(out + QStringLiteral("/wizard-5-run.png"));
    w.next();
    QTest::qWait(300);
    w.grab().save(out + QStringLiteral("/wizard-6-summary.png"));
    return 0;
}
