#pragma once

#include "ConnectionProfile.h"
#include "ProfileStore.h"
#include "ServerModel.h"
#include "backfill_widgets_export.h"

#include <QDialog>
#include <QHash>

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSettings;
class QSpinBox;

namespace bfs {

class InspectorController;
class PasswordStore;

// Saved connections: the form, "Test connection" off the GUI thread with a plain-language
// answer, pg_service.conf import and postgresql:// URI paste. Passwords go to the OS
// keychain when asked to, otherwise they stay in memory for this session.
class BACKFILL_WIDGETS_EXPORT ConnectionManagerDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectionManagerDialog(QSettings *settings, QWidget *parent = nullptr);
    ~ConnectionManagerDialog() override;

    // The chosen connection, with its password (in memory only).
    ConnectionProfile selectedProfile() const;
    QString selectedUploadMethod() const;
    QString testResult() const;
    QListWidget *profileList() const { return m_list; }

    // Saves the profiles, then the passwords kept in the keychain (asynchronous); done gets the
    // names of the profiles whose password the keychain did not take.
    void save(const std::function<void(const QStringList &failures)> &done = {});

public Q_SLOTS:
    void addProfile(const bfs::ConnectionProfile &profile);
    void addBlank(); // a new entry, its name selected for typing
    void pasteUri(const QString &uri);
    // Reads the file off the GUI thread, then adds its services; serviceFileImported tells how it went.
    void importServiceFile(const QString &path);
    void testConnection();

Q_SIGNALS:
    void tested(const bfs::ServerInspection &result);
    void serviceFileImported(bool ok);

private:
    void saveProfiles(); // the entries, but those made by New and left untouched
    void loadEntry(int row);
    void storeForm();
    void showResult(const ServerInspection &in);

    QSettings *m_settings;
    ProfileStore m_store;
    QList<ProfileStore::Entry> m_entries;
    QHash<QString, QString> m_passwords; // in memory only, by profile name
    QStringList m_keychainNames;         // profiles whose password the keychain holds (as saved)
    QHash<QString, QString> m_keychainErrors; // profile → why the keychain refused its password
    int m_current = -1;
    PasswordStore *m_keychain = nullptr;
    InspectorController *m_inspector = nullptr;
    quint64 m_pendingTest = 0;

    QListWidget *m_list = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_uri = nullptr;
    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QCheckBox *m_remember = nullptr;
    QComboBox *m_sslMode = nullptr;
    QLineEdit *m_rootCert = nullptr;
    QLineEdit *m_cert = nullptr;
    QLineEdit *m_key = nullptr;
    QSpinBox *m_timeout = nullptr;
    QComboBox *m_upload = nullptr;
    QPushButton *m_test = nullptr;
    QLabel *m_result = nullptr;
};

} // namespace bfs
