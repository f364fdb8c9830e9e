#pragma once

#include "ConnectionProfile.h"
#include "backfill_widgets_export.h"

#include <QWidget>

class QComboBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace bfs {

// A compact form for one connection: host, port, database, user, password, SSL mode.
// A postgresql:// URI or conninfo pasted into the host field fills the whole form.
class BACKFILL_WIDGETS_EXPORT ConnectionForm : public QWidget
{
    Q_OBJECT
public:
    explicit ConnectionForm(QWidget *parent = nullptr);

    ConnectionProfile profile() const;
    void setProfile(const ConnectionProfile &profile);
    void setBusy(bool busy);
    // The server wants a password it did not get (or refused it): the password field, emptied,
    // takes the keyboard; Enter there connects again.
    void askForPassword();
    QPushButton *connectButton() const { return m_connect; }

Q_SIGNALS:
    void connectRequested(const bfs::ConnectionProfile &profile);

private:
    void fillFromConnInfo(const QString &text);

    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QComboBox *m_sslMode = nullptr;
    QPushButton *m_connect = nullptr;
    ConnectionProfile m_extra; // fields the form does not show (certificates, service)
};

} // namespace bfs
