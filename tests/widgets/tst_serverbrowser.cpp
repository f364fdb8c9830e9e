// The browser widget of the main window, offscreen, against both real servers.
#include "ChunkTableModel.h"
#include "ChunkTimeline.h"
#include "ConnectionForm.h"
#include "ServerBrowser.h"
#include "TestServers.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QtTest>

using namespace bfs;

class TestServerBrowser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void connectShowsHypertablesAndChunks();
    void connectButtonUsesTheForm();
    void databaseWithoutTimescaleIsExplained();
    void connectionFailureIsExplained();
    void pastingUriFillsTheForm();
};

void TestServerBrowser::connectShowsHypertablesAndChunks()
{
    ServerBrowser browser;
    browser.show();
    QSignalSpy spy(&browser, &ServerBrowser::inspected);
    browser.connectTo(TestServers::sandbox());
    // The call returned at once: the inspection runs on the worker thread.
    QVERIFY(!browser.connectionForm()->connectButton()->isEnabled());
    QVERIFY(spy.wait(60000));
    QVERIFY(browser.connectionForm()->connectButton()->isEnabled());
    QVERIFY2(browser.statusText().contains(QLatin1String("TimescaleDB 2.23.0-dev")), qPrintable(browser.statusText()));

    browser.selectHypertable(QStringLiteral("public.conditions"));
    QListWidgetItem *item = browser.hypertableList()->currentItem();
    QVERIFY(item);
    QVERIFY2(item->text().contains(QLatin1String("90 chunks, 60 compressed")), qPrintable(item->text()));
    QCOMPARE(browser.chunkModel()->rowCount(), 90);
    const QString details = browser.findChild<QLabel *>(QStringLiteral("details"))->text();
    QVERIFY2(details.contains(QLatin1String("Compression: segment by device_id; order by time DESC")), qPrintable(details));
    const QModelIndex state = browser.chunkModel()->index(0, ChunkTableModel::State);
    QCOMPARE(state.data().toString(), QStringLiteral("compressed"));
    QCOMPARE(browser.chunkModel()->index(89, ChunkTableModel::State).data().toString(), QStringLiteral("uncompressed"));
    // Daily chunks: dates alone, the zone in the header; so the sizes and the ratio are in view
    // beside the main window's docks (930 pixels of its 1400), not behind a scroll bar.
    QCOMPARE(browser.chunkModel()->index(0, ChunkTableModel::RangeStart).data().toString(), QStringLiteral("2026-08-03"));
    QCOMPARE(browser.chunkModel()->headerData(ChunkTableModel::RangeStart, Qt::Horizontal).toString(), QStringLiteral("From (UTC)"));
    browser.resize(930, 700);
    QTRY_COMPARE(browser.width(), 930);
    QTRY_COMPARE(browser.chunkView()->horizontalScrollBar()->maximum(), 0);
    QVERIFY(browser.chunkModel()->index(0, ChunkTableModel::Ratio).data().toString().endsWith(QChar(0x00D7)));
    // Size and Compressed differ for a compressed chunk: the headers say why.
    QVERIFY(browser.chunkModel()->headerData(ChunkTableModel::TotalSize, Qt::Horizontal, Qt::ToolTipRole).toString().contains(
        QLatin1String("own, uncompressed table and indexes")));

    // Moving through the chunk table with the keyboard selects the same chunk on the timeline.
    browser.chunkView()->setFocus();
    browser.chunkView()->setCurrentIndex(browser.chunkModel()->index(3, 0));
    QCOMPARE(browser.timeline()->selectedChunk(), 3);
    QSignalSpy selected(browser.timeline(), &ChunkTimeline::chunkSelected);
    QTest::keyClick(browser.chunkView(), Qt::Key_Down);
    QCOMPARE(browser.timeline()->selectedChunk(), 4);
    QTest::keyClick(browser.chunkView(), Qt::Key_End, Qt::ControlModifier);
    QCOMPARE(browser.timeline()->selectedChunk(), 89);
    QCOMPARE(selected.size(), 2); // (the main window shows the chunk's details from it)
    QCOMPARE(selected.last().first().toInt(), 89);
}

void TestServerBrowser::connectButtonUsesTheForm()
{
    ServerBrowser browser;
    browser.show();
    const ConnectionProfile target = TestServers::sandbox();
    ConnectionForm *form = browser.connectionForm();
    form->findChild<QLineEdit *>(QStringLiteral("host"))->setText(target.host);
    form->findChild<QSpinBox *>(QStringLiteral("port"))->setValue(target.port);
    form->findChild<QLineEdit *>(QStringLiteral("user"))->setText(target.user);
    form->findChild<QLineEdit *>(QStringLiteral("password"))->setText(target.password);
    form->findChild<QComboBox *>(QStringLiteral("sslmode"))->setCurrentText(QStringLiteral("disable"));
    QSignalSpy spy(&browser, &ServerBrowser::inspected);
    QTest::mouseClick(form->connectButton(), Qt::LeftButton);
    QVERIFY(spy.wait(60000));
    const auto in = spy.first().first().value<ServerInspection>();
    QVERIFY2(in.ok(), qPrintable(in.error.toString()));
    QVERIFY(browser.hypertableList()->count() >= 1);
}

void TestServerBrowser::databaseWithoutTimescaleIsExplained()
{
    ServerBrowser browser;
    QSignalSpy spy(&browser, &ServerBrowser::inspected);
    browser.connectTo(TestServers::pg15());
    QVERIFY(spy.wait(60000));
    QVERIFY2(browser.statusText().contains(QLatin1String("TimescaleDB is not installed in database \"appdb\"")),
             qPrintable(browser.statusText()));
    QCOMPARE(browser.hypertableList()->count(), 0);
    QCOMPARE(browser.chunkModel()->rowCount(), 0);
}

void TestServerBrowser::connectionFailureIsExplained()
{
    ServerBrowser browser;
    QSignalSpy spy(&browser, &ServerBrowser::inspected);
    ConnectionProfile p = TestServers::pg15(QStringLiteral("bf_scram"));
    p.password = QStringLiteral("wrong");
    browser.connectTo(p);
    QVERIFY(spy.wait(60000));
    QVERIFY2(browser.statusText().contains(QLatin1String("rejected the user name or password")),
             qPrintable(browser.statusText()));

    // No password anywhere (a saved connection that keeps none): the password field asks for it,
    // and Enter there connects with it.
    browser.show();
    p.password.clear();
    browser.connectTo(p);
    QVERIFY(spy.wait(60000));
    QVERIFY2(browser.statusText().contains(QLatin1String("Type the password in the Password field and press Enter")),
             qPrintable(browser.statusText()));
    auto *password = browser.connectionForm()->findChild<QLineEdit *>(QStringLiteral("password"));
    QTRY_VERIFY(password->hasFocus());
    QTest::keyClicks(password, TestServers::pg15ScramPassword());
    QTest::keyClick(password, Qt::Key_Return);
    QVERIFY(spy.wait(60000));
    QVERIFY2(browser.statusText().startsWith(QLatin1String("Connected")), qPrintable(browser.statusText()));
    QCOMPARE(browser.statusText().count(QLatin1String("PostgreSQL 15.")), 1); // (the version once: it was said twice)
}

void TestServerBrowser::pastingUriFillsTheForm()
{
    ConnectionForm form;
    auto *host = form.findChild<QLineEdit *>(QStringLiteral("host"));
    host->setText(QStringLiteral("postgresql://alice@db.example.com:6543/metrics?sslmode=require"));
    Q_EMIT host->editingFinished();
    const ConnectionProfile p = form.profile();
    QCOMPARE(p.host, QStringLiteral("db.example.com"));
    QCOMPARE(p.port, 6543);
    QCOMPARE(p.database, QStringLiteral("metrics"));
    QCOMPARE(p.user, QStringLiteral("alice"));
    QCOMPARE(p.sslMode, QStringLiteral("require"));
}

QTEST_MAIN(TestServerBrowser)
#include "tst_serverbrowser.moc"
