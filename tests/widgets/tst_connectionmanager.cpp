// The connection manager: profiles without passwords on disk, URI and service-file
// import, and "Test connection" messages against the real servers.
#include "ConnectionForm.h"
#include "ConnectionManagerDialog.h"
#include "ImportSetupPages.h"
#include "ImportWizard.h"
#include "PasswordStore.h"
#include "TestServers.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtTest>

using namespace bfs;

class TestConnectionManager : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void profilesRoundTripWithoutThePassword();
    void firstStartTakesWhatIsTypedWithoutNew();
    void okStoresTheKeychainPasswordOrSaysItDidNot();
    void pastedUriFillsTheForm();
    void opensWithinASmallScreen();
    void quickConnectFormTakesTwoRowsWhenNarrow();
    void everyMnemonicIsUnique();
    void serviceFileEntriesAreImported();
    void malformedServiceFileIsReportedWithItsLine();
    void testConnectionMessages_data();
    void testConnectionMessages();

private:
    QTemporaryDir m_dir;
};

void TestConnectionManager::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

static void fill(ConnectionManagerDialog &d, const ConnectionProfile &p)
{
    d.findChild<QLineEdit *>(QStringLiteral("host"))->setText(p.host);
    d.findChild<QSpinBox *>(QStringLiteral("port"))->setValue(p.port);
    d.findChild<QLineEdit *>(QStringLiteral("database"))->setText(p.database);
    d.findChild<QLineEdit *>(QStringLiteral("user"))->setText(p.user);
    d.findChild<QLineEdit *>(QStringLiteral("password"))->setText(p.password);
    d.findChild<QComboBox *>(QStringLiteral("sslmode"))->setCurrentText(p.sslMode);
}

void TestConnectionManager::profilesRoundTripWithoutThePassword()
{
    const QString ini = m_dir.filePath(QStringLiteral("roundtrip.ini"));
    {
        QSettings settings(ini, QSettings::IniFormat);
        ConnectionManagerDialog d(&settings);
        ConnectionProfile p;
        p.name = QStringLiteral("Production");
        d.addProfile(p);
        ConnectionProfile form;
        form.host = QStringLiteral("db.example.com");
        form.port = 6543;
        form.database = QStringLiteral("metrics");
        form.user = QStringLiteral("analyst");
        form.password = QStringLiteral("Zebra-Secret-42");
        form.sslMode = QStringLiteral("verify-full");
        fill(d, form);
        d.findChild<QLineEdit *>(QStringLiteral("sslrootcert"))->setText(QStringLiteral("/etc/ssl/root.crt"));
        d.findChild<QComboBox *>(QStringLiteral("upload"))->setCurrentText(QStringLiteral("insert"));
        QCOMPARE(d.selectedProfile().password, QStringLiteral("Zebra-Secret-42")); // kept in memory
        d.save();
    }
    QFile f(ini);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray content = f.readAll();
    QVERIFY2(content.contains("db.example.com"), content.constData());
    QVERIFY(!content.contains("Zebra-Secret-42"));
    QVERIFY(!content.toLower().contains("password="));

    QSettings settings(ini, QSettings::IniFormat);
    ConnectionManagerDialog again(&settings);
    QCOMPARE(again.profileList()->count(), 1);
    const ConnectionProfile back = again.selectedProfile();
    QCOMPARE(back.name, QStringLiteral("Production"));
    QCOMPARE(back.host, QStringLiteral("db.example.com"));
    QCOMPARE(back.port, 6543);
    QCOMPARE(back.database, QStringLiteral("metrics"));
    QCOMPARE(back.user, QStringLiteral("analyst"));
    QCOMPARE(back.sslMode, QStringLiteral("verify-full"));
    QCOMPARE(back.sslRootCert, QStringLiteral("/etc/ssl/root.crt"));
    // Keywords the form has no field for, from a pasted connection string, are kept too.
    {
        ProfileStore store(&settings);
        QList<ProfileStore::Entry> entries = store.load();
        entries[0].profile.otherOptions = {QStringLiteral("target_session_attrs=read-write")};
        store.save(entries);
        QCOMPARE(store.load().value(0).profile.otherOptions, QStringList{QStringLiteral("target_session_attrs=read-write")});
    }
    QCOMPARE(again.selectedUploadMethod(), QStringLiteral("insert"));
    QVERIFY(back.password.isEmpty());
}

void TestConnectionManager::firstStartTakesWhatIsTypedWithoutNew()
{
    // No saved connection: the form belongs to a new entry at once (typing there once went
    // nowhere: Test tried localhost:5432 and Connect saved nothing). Its name is ready for typing.
    const QString ini = m_dir.filePath(QStringLiteral("first.ini"));
    {
        QSettings settings(ini, QSettings::IniFormat);
        ConnectionManagerDialog d(&settings);
        d.show();
        QCOMPARE(d.profileList()->count(), 1);
        auto *name = d.findChild<QLineEdit *>(QStringLiteral("name"));
        QTRY_VERIFY(name->hasFocus());
        QCOMPARE(name->selectedText(), QStringLiteral("New connection 1"));
        QTest::keyClicks(name, QStringLiteral("Plant floor"));
        QCOMPARE(d.profileList()->item(0)->text(), QStringLiteral("Plant floor")); // (the list follows the typing)
        ConnectionProfile form;
        form.host = QStringLiteral("10.1.2.3");
        form.port = 6432;
        form.database = QStringLiteral("plant");
        form.user = QStringLiteral("ops");
        fill(d, form);
        const ConnectionProfile p = d.selectedProfile();
        QCOMPARE(p.name, QStringLiteral("Plant floor"));
        QCOMPARE(p.host, QStringLiteral("10.1.2.3"));
        QCOMPARE(p.port, 6432);
        // Tab goes down the form: each certificate's "…" right after its field.
        auto *rootCert = d.findChild<QLineEdit *>(QStringLiteral("sslrootcert"));
        QCOMPARE(rootCert->nextInFocusChain()->accessibleName(), QStringLiteral("Browse"));
        QCOMPARE(rootCert->nextInFocusChain()->nextInFocusChain(), d.findChild<QLineEdit *>(QStringLiteral("sslcert")));
        d.save();
    }
    QSettings settings(ini, QSettings::IniFormat);
    ConnectionManagerDialog again(&settings);
    QCOMPARE(again.profileList()->count(), 1);
    QCOMPARE(again.selectedProfile().host, QStringLiteral("10.1.2.3"));
    // Deleting the last entry leaves a new empty one for the form, not a form of nothing.
    again.findChild<QPushButton *>(QStringLiteral("delete"))->click();
    QCOMPARE(again.profileList()->count(), 1);
    QCOMPARE(again.selectedProfile().host, ConnectionProfile().host);
}

void TestConnectionManager::okStoresTheKeychainPasswordOrSaysItDidNot()
{
    // "Remember in the system keychain", then OK: either the keychain holds the password
    // afterwards, or the dialog stays open and says it does not. (The keychain's job once
    // died with the dialog before it ran: OK closed, and nothing was stored or said.)
    const QString ini = m_dir.filePath(QStringLiteral("keychain.ini"));
    QSettings settings(ini, QSettings::IniFormat);
    const QString name = QStringLiteral("bfs-test-%1").arg(QCoreApplication::applicationPid());
    auto *d = new ConnectionManagerDialog(&settings);
    ConnectionProfile p;
    p.name = name;
    p.host = QStringLiteral("db.example.com");
    d->addProfile(p);
    d->findChild<QLineEdit *>(QStringLiteral("password"))->setText(QStringLiteral("Kiwi-Secret-7"));
    d->findChild<QCheckBox *>(QStringLiteral("remember"))->setChecked(true);
    QSignalSpy accepted(d, &QDialog::accepted);
    d->show();
    d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
    auto *result = d->findChild<QLabel *>(QStringLiteral("result"));
    QTRY_VERIFY_WITH_TIMEOUT(accepted.count() == 1 || result->text().contains(QLatin1String("did not store")), 60000);
    if (accepted.count() == 1) {
        delete d; // (the write must outlive the dialog)
        PasswordStore store;
        QString password, error;
        bool done = false;
        store.read(name, [&](const QString &pw, const QString &e) {
            password = pw;
            error = e;
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, 60000);
        QCOMPARE(password, QStringLiteral("Kiwi-Secret-7"));
        store.remove(name);
    } else {
        QVERIFY(d->isVisible()); // open, saying so: the password can be typed or kept in .pgpass
        QVERIFY2(result->text().contains(name), qPrintable(result->text()));
        // Not kept, so not marked as kept: the box is unticked (on disk too), and Connect again
        // goes on with the password typed.
        QVERIFY2(result->text().contains(QLatin1String("was unticked")), qPrintable(result->text()));
        QVERIFY(!d->findChild<QCheckBox *>(QStringLiteral("remember"))->isChecked());
        QVERIFY(!QSettings(ini, QSettings::IniFormat).value(QStringLiteral("connections/1/password_in_keychain")).toBool());
        d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        QTRY_COMPARE(accepted.count(), 1);
        QCOMPARE(d->selectedProfile().password, QStringLiteral("Kiwi-Secret-7"));
        delete d;
    }
}

void TestConnectionManager::pastedUriFillsTheForm()
{
    QSettings settings(m_dir.filePath(QStringLiteral("uri.ini")), QSettings::IniFormat);
    ConnectionManagerDialog d(&settings);
    auto *uri = d.findChild<QLineEdit *>(QStringLiteral("uri"));
    uri->setText(QStringLiteral("postgresql://ops@ts.example.org:5433/telemetry?sslmode=require&sslrootcert=/certs/ca.pem"));
    Q_EMIT uri->editingFinished();
    const ConnectionProfile p = d.selectedProfile();
    QCOMPARE(p.host, QStringLiteral("ts.example.org"));
    QCOMPARE(p.port, 5433);
    QCOMPARE(p.database, QStringLiteral("telemetry"));
    QCOMPARE(p.user, QStringLiteral("ops"));
    QCOMPARE(p.sslMode, QStringLiteral("require"));
    QCOMPARE(p.sslRootCert, QStringLiteral("/certs/ca.pem"));
}

void TestConnectionManager::opensWithinASmallScreen()
{
    // The dialog and the import wizard open no larger than the screen leaves room for (the
    // offscreen platform's screen is 800×600, smaller than either's preferred size).
    const QRect room = QGuiApplication::primaryScreen()->availableGeometry();
    QVERIFY(room.width() < 900 || room.height() < 680);
    QSettings settings(m_dir.filePath(QStringLiteral("small.ini")), QSettings::IniFormat);
    ConnectionManagerDialog d(&settings);
    QVERIFY2(d.width() <= room.width() && d.height() <= room.height(), qPrintable(QStringLiteral("%1x%2").arg(d.width()).arg(d.height())));
    ImportWizard w(TestServers::sandbox(), HypertableInfo());
    QVERIFY2(w.width() <= room.width() && w.height() <= room.height(), qPrintable(QStringLiteral("%1x%2").arg(w.width()).arg(w.height())));
}

void TestConnectionManager::quickConnectFormTakesTwoRowsWhenNarrow()
{
    // The main window's connection form on a laptop's 1024 pixels: its fields kept a few letters
    // each ("0.0.1", "gres"). Narrower than one row of readable fields, it takes two.
    QWidget window; // (as in the main window: the form is a child, whose window may be made narrow)
    auto *layout = new QVBoxLayout(&window);
    auto *formPtr = new ConnectionForm(&window);
    ConnectionForm &form = *formPtr;
    layout->addWidget(formPtr);
    layout->addStretch();
    ConnectionProfile p;
    p.host = QStringLiteral("127.0.0.1");
    p.database = QStringLiteral("postgres");
    p.user = QStringLiteral("postgres");
    form.setProfile(p);
    auto *host = form.findChild<QLineEdit *>(QStringLiteral("host"));
    auto *database = form.findChild<QLineEdit *>(QStringLiteral("database"));
    auto *user = form.findChild<QLineEdit *>(QStringLiteral("user"));
    auto *password = form.findChild<QLineEdit *>(QStringLiteral("password"));
    const int readable = host->fontMetrics().horizontalAdvance(p.host);
    for (const int width : {560, 700, 1400, 560}) {
        window.resize(width, 200);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE(window.width(), width);
        QCoreApplication::sendPostedEvents(); // (the new arrangement's layout)
        const bool twoRows = width < 1000;
        QCOMPARE(form.isTwoRows(), twoRows);
        QCOMPARE(user->y() > host->y(), twoRows);
        QCOMPARE(database->y(), host->y());
        QVERIFY2(host->width() >= readable, qPrintable(QStringLiteral("host %1 px at %2").arg(host->width()).arg(width)));
        for (QLineEdit *e : {database, user, password})
            QVERIFY2(e->width() >= e->fontMetrics().horizontalAdvance(QStringLiteral("postgres")),
                     qPrintable(QStringLiteral("%1 %2 px at %3").arg(e->objectName()).arg(e->width()).arg(width)));
        QVERIFY(form.connectButton()->geometry().right() <= form.width());
    }
}

void TestConnectionManager::everyMnemonicIsUnique()
{
    // Alt+letter reaches one field or button each.
    QSettings settings(m_dir.filePath(QStringLiteral("keys.ini")), QSettings::IniFormat);
    ConnectionManagerDialog d(&settings);
    QMap<QChar, QStringList> seen;
    auto note = [&](const QString &text) {
        for (qsizetype i = text.indexOf(QLatin1Char('&')); i >= 0 && i + 1 < text.size(); i = text.indexOf(QLatin1Char('&'), i + 2))
            if (text.at(i + 1) != QLatin1Char('&'))
                seen[text.at(i + 1).toLower()] << text;
    };
    for (const QLabel *l : d.findChildren<QLabel *>()) {
        note(l->text());
        if (l->text().contains(QLatin1Char('&'))) // (without a buddy the label shows the "&" itself)
            QVERIFY2(l->buddy(), qPrintable(l->text()));
    }
    for (const QAbstractButton *b : d.findChildren<QAbstractButton *>())
        note(b->text());
    QVERIFY(seen.size() >= 15);
    for (auto it = seen.cbegin(); it != seen.cend(); ++it)
        QVERIFY2(it.value().size() == 1, qPrintable(it.value().join(QStringLiteral(" / "))));
    // The wizard's source page: its file label reaches the file field.
    ImportWizard w(TestServers::sandbox(), HypertableInfo());
    for (const QLabel *l : w.sourcePage()->findChildren<QLabel *>())
        if (l->text().contains(QLatin1Char('&')))
            QVERIFY2(l->buddy(), qPrintable(l->text()));
}

void TestConnectionManager::serviceFileEntriesAreImported()
{
    const QString path = m_dir.filePath(QStringLiteral("pg_service.conf"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# company services\n[tsdb-prod]\nhost=10.1.2.3\nport=5434\ndbname=metrics\nuser=loader\nsslmode=verify-ca\n\n"
            "[local]\nhost=localhost\ndbname=dev\n");
    f.close();
    QSettings settings(m_dir.filePath(QStringLiteral("service.ini")), QSettings::IniFormat);
    ConnectionManagerDialog d(&settings);
    QSignalSpy imported(&d, &ConnectionManagerDialog::serviceFileImported);
    d.importServiceFile(path); // read off the GUI thread
    QVERIFY(imported.wait(10000));
    QCOMPARE(imported.first().first().toBool(), true);
    QCOMPARE(d.profileList()->count(), 2);
    QVERIFY(d.testResult().contains(QLatin1String("Imported 2 connection(s)")));
    d.profileList()->setCurrentRow(0);
    const ConnectionProfile p = d.selectedProfile();
    QCOMPARE(p.name, QStringLiteral("tsdb-prod"));
    QCOMPARE(p.host, QStringLiteral("10.1.2.3"));
    QCOMPARE(p.port, 5434);
    QCOMPARE(p.database, QStringLiteral("metrics"));
    QCOMPARE(p.user, QStringLiteral("loader"));
    QCOMPARE(p.sslMode, QStringLiteral("verify-ca"));
}

void TestConnectionManager::malformedServiceFileIsReportedWithItsLine()
{
    const QString path = m_dir.filePath(QStringLiteral("broken.conf"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("host=orphan\n");
    f.close();
    QSettings settings(m_dir.filePath(QStringLiteral("broken.ini")), QSettings::IniFormat);
    ConnectionManagerDialog d(&settings);
    QSignalSpy imported(&d, &ConnectionManagerDialog::serviceFileImported);
    d.importServiceFile(path);
    QVERIFY(imported.wait(10000));
    QCOMPARE(imported.first().first().toBool(), false);
    QVERIFY2(d.testResult().contains(QStringLiteral("%1, line 1").arg(path)), qPrintable(d.testResult()));
    QCOMPARE(d.profileList()->count(), 1); // only the first start's empty entry
    QCOMPARE(d.profileList()->item(0)->text(), QStringLiteral("New connection 1"));
}

void TestConnectionManager::testConnectionMessages_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("expected");
    QTest::newRow("wrong password (SCRAM)") << "wrong-password" << "rejected the user name or password";
    QTest::newRow("closed port") << "closed-port" << "Nothing answers at";
    QTest::newRow("no TimescaleDB") << "pg15" << "TimescaleDB is not installed in database \"appdb\"";
    QTest::newRow("TimescaleDB sandbox") << "sandbox" << "Connected: PostgreSQL 17.5, TimescaleDB 2.23.0-dev (timescale license), ";
}

void TestConnectionManager::testConnectionMessages()
{
    QFETCH(QString, server);
    QFETCH(QString, expected);
    ConnectionProfile p;
    if (server == QLatin1String("sandbox")) {
        p = TestServers::sandbox();
    } else {
        p = TestServers::pg15(server == QLatin1String("wrong-password") ? QStringLiteral("bf_scram") : QStringLiteral("bf_trust"));
        if (server == QLatin1String("wrong-password"))
            p.password = QStringLiteral("not-it");
        if (server == QLatin1String("closed-port"))
            p.port = TestServers::closedPort();
    }
    QSettings settings(m_dir.filePath(QStringLiteral("test-%1.ini").arg(server)), QSettings::IniFormat);
    ConnectionManagerDialog d(&settings);
    d.show();
    p.name = server;
    d.addProfile(p);
    QSignalSpy spy(&d, &ConnectionManagerDialog::tested);
    QTest::mouseClick(d.findChild<QPushButton *>(QStringLiteral("test")), Qt::LeftButton);
    QVERIFY(d.testResult().startsWith(QLatin1String("Connecting to"))); // the click returned at once
    QVERIFY(spy.wait(60000));
    QVERIFY2(d.testResult().contains(expected), qPrintable(d.testResult()));
    if (server == QLatin1String("pg15")) { // (the version said once: it was said twice)
        QVERIFY2(d.testResult().startsWith(QLatin1String("Connected. ")), qPrintable(d.testResult()));
        QCOMPARE(d.testResult().count(QLatin1String("PostgreSQL 15.")), 1);
    }
    QVERIFY(!d.testResult().contains(QLatin1String("not-it")));
}

QTEST_MAIN(TestConnectionManager)
#include "tst_connectionmanager.moc"
