#include "ConnectionManagerDialog.h"

#include "InspectorController.h"
#include "PasswordStore.h"
#include "ScreenFit.h"
#include "ServerInspector.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <memory>

namespace bfs {

ConnectionManagerDialog::ConnectionManagerDialog(QSettings *settings, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_store(settings)
    , m_keychain(new PasswordStore(this))
    , m_inspector(new InspectorController(this))
{
    setWindowTitle(QStringLiteral("Connections — Backfill Studio"));
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("profiles"));
    m_list->setAccessibleName(QStringLiteral("Saved connections"));
    auto *add = new QPushButton(QStringLiteral("&New"), this);
    auto *remove = new QPushButton(QStringLiteral("&Delete"), this);
    remove->setObjectName(QStringLiteral("delete"));
    auto *import = new QPushButton(QStringLiteral("&Import pg_service.conf…"), this);

    auto line = [this](const char *object, const QString &accessible) {
        auto *e = new QLineEdit(this);
        e->setObjectName(QLatin1String(object));
        e->setAccessibleName(accessible);
        return e;
    };
    m_name = line("name", QStringLiteral("Connection name"));
    m_uri = line("uri", QStringLiteral("Paste a connection URI"));
    m_uri->setPlaceholderText(QStringLiteral("paste postgresql://user@host:5432/db?sslmode=require"));
    m_host = line("host", QStringLiteral("Host"));
    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(5432);
    m_database = line("database", QStringLiteral("Database"));
    m_user = line("user", QStringLiteral("User"));
    m_password = line("password", QStringLiteral("Password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(QStringLiteral("empty: .pgpass, service file or ask"));
    m_remember = new QCheckBox(QStringLiteral("Remember in the system &keychain"), this);
    m_remember->setObjectName(QStringLiteral("remember"));
    m_sslMode = new QComboBox(this);
    m_sslMode->setObjectName(QStringLiteral("sslmode"));
    m_sslMode->addItems({QStringLiteral("disable"), QStringLiteral("allow"), QStringLiteral("prefer"), QStringLiteral("require"),
                         QStringLiteral("verify-ca"), QStringLiteral("verify-full")});
    m_sslMode->setCurrentText(QStringLiteral("prefer"));
    m_rootCert = line("sslrootcert", QStringLiteral("Root certificate"));
    m_cert = line("sslcert", QStringLiteral("Client certificate"));
    m_key = line("sslkey", QStringLiteral("Client key"));
    m_timeout = new QSpinBox(this);
    m_timeout->setObjectName(QStringLiteral("timeout"));
    m_timeout->setRange(1, 600);
    m_timeout->setSuffix(QStringLiteral(" s"));
    m_timeout->setValue(10);
    m_upload = new QComboBox(this);
    m_upload->setObjectName(QStringLiteral("upload"));
    m_upload->addItems({QStringLiteral("auto"), QStringLiteral("copy"), QStringLiteral("insert")});
    m_test = new QPushButton(QStringLiteral("&Test connection"), this);
    m_test->setObjectName(QStringLiteral("test"));
    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("result"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    QList<QWidget *> browseButtons;
    auto browse = [this, &browseButtons](QLineEdit *target) {
        auto *b = new QPushButton(QStringLiteral("…"), this);
        browseButtons << b;
        b->setAccessibleName(QStringLiteral("Browse"));
        connect(b, &QPushButton::clicked, this, [this, target] {
            const QString f = QFileDialog::getOpenFileName(this, QStringLiteral("Choose a file"), target->text());
            if (!f.isEmpty())
                target->setText(f);
        });
        auto *row = new QWidget(this);
        auto *l = new QHBoxLayout(row);
        l->setContentsMargins(0, 0, 0, 0);
        l->addWidget(target, 1);
        l->addWidget(b);
        return row;
    };
    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("N&ame:"), m_name);
    form->addRow(QStringLiteral("&URI:"), m_uri);
    form->addRow(QStringLiteral("&Host:"), m_host);
    form->addRow(QStringLiteral("&Port:"), m_port);
    form->addRow(QStringLiteral("Data&base:"), m_database);
    form->addRow(QStringLiteral("U&ser:"), m_user);
    form->addRow(QStringLiteral("Pass&word:"), m_password);
    form->addRow(QString(), m_remember);
    form->addRow(QStringLiteral("SS&L mode:"), m_sslMode);
    form->addRow(QStringLiteral("&Root certificate:"), browse(m_rootCert));
    form->addRow(QStringLiteral("Client c&ertificate:"), browse(m_cert));
    form->addRow(QStringLiteral("Client ke&y:"), browse(m_key));
    form->addRow(QStringLiteral("Connect time&out:"), m_timeout);
    form->addRow(QStringLiteral("Upload &method:"), m_upload);
    form->addRow(m_test, m_result);
    // Tab goes down the form, each "…" right after its field (they were made after the rest).
    QWidget *previous = m_name;
    for (QWidget *w : std::initializer_list<QWidget *>{m_uri, m_host, m_port, m_database, m_user, m_password, m_remember, m_sslMode, m_rootCert,
                                                        browseButtons.value(0), m_cert, browseButtons.value(1), m_key, browseButtons.value(2),
                                                        m_timeout, m_upload, m_test}) {
        QWidget::setTabOrder(previous, w);
        previous = w;
    }

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("&Connect"));
    auto *left = new QVBoxLayout;
    left->addWidget(m_list, 1);
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(add);
    listButtons->addWidget(remove);
    left->addLayout(listButtons);
    left->addWidget(import);
    auto *top = new QHBoxLayout;
    top->addLayout(left, 1);
    top->addLayout(form, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(buttons);

    m_entries = m_store.load();
    for (const ProfileStore::Entry &e : std::as_const(m_entries)) {
        m_list->addItem(e.profile.name);
        if (e.passwordInKeychain)
            m_keychainNames << e.profile.name;
    }

    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        storeForm();
        loadEntry(row);
    });
    connect(add, &QPushButton::clicked, this, &ConnectionManagerDialog::addBlank);
    connect(remove, &QPushButton::clicked, this, [this] {
        const int row = m_list->currentRow();
        if (row < 0)
            return;
        m_entries.removeAt(row); // (its keychain entry goes when the profiles are saved)
        m_current = -1;
        delete m_list->takeItem(row);
        if (m_entries.isEmpty()) // (a form that belongs to no entry would take typing and lose it)
            addBlank();
    });
    connect(import, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, QStringLiteral("Import pg_service.conf"), ProfileStore::defaultServiceFile());
        if (!f.isEmpty())
            importServiceFile(f);
    });
    connect(m_uri, &QLineEdit::editingFinished, this, [this] {
        if (!m_uri->text().trimmed().isEmpty())
            pasteUri(m_uri->text());
    });
    connect(m_test, &QPushButton::clicked, this, &ConnectionManagerDialog::testConnection);
    connect(m_name, &QLineEdit::textEdited, this, [this](const QString &name) { // (the list shows the name as it is typed)
        if (QListWidgetItem *item = m_list->item(m_current); item && !name.trimmed().isEmpty())
            item->setText(name.trimmed());
    });
    connect(m_inspector, &InspectorController::finished, this, [this](quint64 id, const ServerInspection &in) {
        if (id != m_pendingTest)
            return;
        m_test->setEnabled(true);
        showResult(in);
    });
    connect(buttons, &QDialogButtonBox::accepted, this, [this, buttons] {
        // The profiles are saved at once; the dialog closes when the keychain has taken the
        // passwords, or stays open to say that it did not.
        buttons->setEnabled(false);
        save([this, buttons](const QStringList &failures) {
            buttons->setEnabled(true);
            if (failures.isEmpty()) {
                accept();
                return;
            }
            // Not kept there, so not marked as kept: the box is unticked, and Connect goes on with
            // the password typed (for this session), or Cancel leaves.
            for (ProfileStore::Entry &e : m_entries)
                if (failures.contains(e.profile.name))
                    e.passwordInKeychain = false;
            m_keychainNames.removeIf([&failures](const QString &n) { return failures.contains(n); });
            saveProfiles();
            if (m_current >= 0 && m_current < m_entries.size())
                m_remember->setChecked(m_entries.at(m_current).passwordInKeychain);
            QStringList details;
            for (const QString &name : failures)
                details << QStringLiteral("%1 (%2)").arg(name, m_keychainErrors.value(name));
            m_result->setText(QStringLiteral("The system keychain did not store the password of %1, so \"Remember in the system keychain\" "
                                             "was unticked. Connect again to use the password typed for this session only, or keep it "
                                             "in .pgpass.")
                                  .arg(details.join(QStringLiteral("; "))));
        });
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    if (!m_entries.isEmpty())
        m_list->setCurrentRow(0);
    else
        addBlank(); // the first start: a form ready to fill
    resizeToFit(this, QSize(760, 560));
}

ConnectionManagerDialog::~ConnectionManagerDialog() = default;

void ConnectionManagerDialog::addBlank()
{
    ConnectionProfile p;
    p.name = QStringLiteral("New connection %1").arg(m_entries.size() + 1);
    addProfile(p);
    m_name->setFocus();
    m_name->selectAll();
}

namespace {

// An entry made by New (or for the first start) and left as it was: not worth keeping.
bool untouched(const ProfileStore::Entry &e, const QHash<QString, QString> &passwords)
{
    const ConnectionProfile &p = e.profile;
    const ConnectionProfile defaults;
    return p.name.startsWith(QLatin1String("New connection ")) && (p.host.isEmpty() || p.host == defaults.host)
        && p.database.isEmpty() && p.user.isEmpty()
        && p.service.isEmpty() && p.sslRootCert.isEmpty() && p.sslCert.isEmpty() && p.sslKey.isEmpty() && !passwords.contains(p.name);
}

} // namespace

void ConnectionManagerDialog::addProfile(const ConnectionProfile &profile)
{
    storeForm();
    // (the first start's empty entry gives way to the first real one)
    if (m_entries.size() == 1 && untouched(m_entries.first(), m_passwords) && !profile.name.startsWith(QLatin1String("New connection "))) {
        m_entries.clear();
        m_current = -1;
        const QSignalBlocker blocker(m_list);
        m_list->clear();
    }
    ProfileStore::Entry e;
    e.profile = profile;
    if (e.profile.name.isEmpty())
        e.profile.name = profile.displayTarget();
    if (!profile.password.isEmpty())
        m_passwords.insert(e.profile.name, profile.password);
    e.profile.password.clear();
    m_entries << e;
    m_list->addItem(e.profile.name);
    m_list->setCurrentRow(m_list->count() - 1);
}

void ConnectionManagerDialog::pasteUri(const QString &uri)
{
    ConnectionProfile p;
    QString error;
    if (!ConnectionProfile::fromConnInfo(uri.trimmed(), &p, &error)) {
        m_result->setText(QStringLiteral("Not a connection URI: %1").arg(error));
        return;
    }
    if (m_current < 0)
        addProfile(ConnectionProfile());
    const QSignalBlocker block(m_uri);
    m_host->setText(p.host);
    m_port->setValue(p.port);
    m_database->setText(p.database);
    m_user->setText(p.user);
    if (!p.password.isEmpty())
        m_password->setText(p.password);
    if (!p.sslMode.isEmpty())
        m_sslMode->setCurrentText(p.sslMode);
    m_rootCert->setText(p.sslRootCert);
    m_cert->setText(p.sslCert);
    m_key->setText(p.sslKey);
    m_uri->clear();
    storeForm();
    // (keywords the form has no field for stay with the profile; a secret one is not saved)
    if (m_current >= 0 && m_current < m_entries.size())
        m_entries[m_current].profile.otherOptions = p.otherOptions;
}

void ConnectionManagerDialog::importServiceFile(const QString &path)
{
    using Read = std::pair<QList<ProfileStore::Entry>, QString>;
    auto *watcher = new QFutureWatcher<Read>(this);
    connect(watcher, &QFutureWatcher<Read>::finished, this, [this, watcher, path] {
        const auto [entries, error] = watcher->result();
        watcher->deleteLater();
        if (!error.isEmpty()) {
            m_result->setText(error);
            Q_EMIT serviceFileImported(false);
            return;
        }
        for (const ProfileStore::Entry &e : entries)
            addProfile(e.profile);
        m_result->setText(QStringLiteral("Imported %1 connection(s) from %2.").arg(entries.size()).arg(path));
        Q_EMIT serviceFileImported(true);
    });
    m_result->setText(QStringLiteral("Reading %1…").arg(path));
    watcher->setFuture(QtConcurrent::run([path] {
        QString error;
        QList<ProfileStore::Entry> entries = ProfileStore::importServiceFile(path, &error);
        return Read(std::move(entries), error);
    }));
}

void ConnectionManagerDialog::loadEntry(int row)
{
    m_current = row;
    if (row < 0 || row >= m_entries.size())
        return;
    const ProfileStore::Entry &e = m_entries.at(row);
    const ConnectionProfile &p = e.profile;
    m_name->setText(p.name);
    m_host->setText(p.host);
    m_port->setValue(p.port > 0 ? p.port : 5432);
    m_database->setText(p.database);
    m_user->setText(p.user);
    m_password->setText(m_passwords.value(p.name));
    m_remember->setChecked(e.passwordInKeychain);
    m_sslMode->setCurrentText(p.sslMode.isEmpty() ? QStringLiteral("prefer") : p.sslMode);
    m_rootCert->setText(p.sslRootCert);
    m_cert->setText(p.sslCert);
    m_key->setText(p.sslKey);
    m_timeout->setValue(p.connectTimeoutSeconds > 0 ? p.connectTimeoutSeconds : 10);
    m_upload->setCurrentText(e.uploadMethod);
    m_result->clear();
    if (e.passwordInKeychain && !m_passwords.contains(p.name)) {
        const QString name = p.name;
        m_keychain->read(name, [this, name](const QString &password, const QString &error) {
            if (!error.isEmpty()) {
                m_result->setText(QStringLiteral("The keychain did not return the password (%1); type it, or use .pgpass.").arg(error));
                return;
            }
            m_passwords.insert(name, password);
            if (m_current >= 0 && m_entries.at(m_current).profile.name == name)
                m_password->setText(password);
        });
    }
}

void ConnectionManagerDialog::storeForm()
{
    if (m_current < 0 || m_current >= m_entries.size())
        return;
    ProfileStore::Entry &e = m_entries[m_current];
    ConnectionProfile &p = e.profile;
    const QString oldName = p.name;
    p.name = m_name->text().trimmed().isEmpty() ? oldName : m_name->text().trimmed();
    p.host = m_host->text().trimmed();
    p.port = m_port->value();
    p.database = m_database->text().trimmed();
    p.user = m_user->text().trimmed();
    p.sslMode = m_sslMode->currentText();
    p.sslRootCert = m_rootCert->text().trimmed();
    p.sslCert = m_cert->text().trimmed();
    p.sslKey = m_key->text().trimmed();
    p.connectTimeoutSeconds = m_timeout->value();
    e.uploadMethod = m_upload->currentText();
    e.passwordInKeychain = m_remember->isChecked();
    m_passwords.remove(oldName);
    if (!m_password->text().isEmpty())
        m_passwords.insert(p.name, m_password->text());
    if (QListWidgetItem *item = m_list->item(m_current))
        item->setText(p.name);
}

ConnectionProfile ConnectionManagerDialog::selectedProfile() const
{
    const_cast<ConnectionManagerDialog *>(this)->storeForm();
    if (m_current < 0 || m_current >= m_entries.size())
        return ConnectionProfile();
    ConnectionProfile p = m_entries.at(m_current).profile;
    p.password = m_passwords.value(p.name);
    return p;
}

QString ConnectionManagerDialog::selectedUploadMethod() const
{
    return m_current >= 0 && m_current < m_entries.size() ? m_entries.at(m_current).uploadMethod : QStringLiteral("auto");
}

QString ConnectionManagerDialog::testResult() const
{
    return m_result->text();
}

void ConnectionManagerDialog::testConnection()
{
    const ConnectionProfile p = selectedProfile();
    m_test->setEnabled(false);
    m_result->setText(QStringLiteral("Connecting to %1…").arg(p.displayTarget()));
    m_pendingTest = m_inspector->inspect(p, QString(), false);
}

void ConnectionManagerDialog::showResult(const ServerInspection &in)
{
    if (in.ok()) {
        m_result->setText(QStringLiteral("Connected: PostgreSQL %1, TimescaleDB %2 (%3 license), %4 hypertable(s).")
                              .arg(in.serverVersion, in.timescaleVersion.toString(), in.license)
                              .arg(in.hypertables.size()));
    } else if (in.error.kind == DbError::Kind::NotTimescale) {
        m_result->setText(ServerInspector::failureText(in));
    } else {
        m_result->setText(in.error.message);
    }
    m_result->setToolTip(in.error.server);
    Q_EMIT tested(in);
}

void ConnectionManagerDialog::saveProfiles()
{
    QList<ProfileStore::Entry> kept;
    for (const ProfileStore::Entry &e : std::as_const(m_entries))
        if (!untouched(e, m_passwords))
            kept << e;
    m_store.save(kept);
}

void ConnectionManagerDialog::save(const std::function<void(const QStringList &failures)> &done)
{
    storeForm();
    saveProfiles();
    // Secrets of profiles that no longer keep one (the box unticked, renamed, removed) go.
    QStringList keeping;
    for (const ProfileStore::Entry &e : std::as_const(m_entries))
        if (e.passwordInKeychain)
            keeping << e.profile.name;
    for (const QString &name : std::as_const(m_keychainNames))
        if (!keeping.contains(name))
            m_keychain->remove(name);
    m_keychainNames = keeping;
    struct Pending
    {
        int left = 0;
        QStringList failures;
    };
    auto pending = std::make_shared<Pending>();
    for (const ProfileStore::Entry &e : std::as_const(m_entries)) {
        const QString password = m_passwords.value(e.profile.name);
        if (!e.passwordInKeychain || password.isEmpty())
            continue;
        ++pending->left;
        const QString name = e.profile.name;
        m_keychain->write(name, password, [this, pending, name, done](const QString &, const QString &error) {
            if (!error.isEmpty()) {
                pending->failures << name;
                m_keychainErrors.insert(name, error);
            }
            if (--pending->left == 0 && done)
                done(pending->failures);
        });
    }
    if (pending->left == 0 && done)
        done({});
}

} // namespace bfs
