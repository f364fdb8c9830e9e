#include "ConnectionForm.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>

namespace bfs {

ConnectionForm::ConnectionForm(QWidget *parent)
    : QWidget(parent)
{
    m_host = new QLineEdit(this);
    m_host->setObjectName(QStringLiteral("host"));
    m_host->setPlaceholderText(QStringLiteral("host, or paste a postgresql:// URI"));
    m_host->setAccessibleName(QStringLiteral("Host"));
    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(5432);
    m_port->setAccessibleName(QStringLiteral("Port"));
    m_database = new QLineEdit(this);
    m_database->setObjectName(QStringLiteral("database"));
    m_database->setPlaceholderText(QStringLiteral("database"));
    m_database->setAccessibleName(QStringLiteral("Database"));
    m_user = new QLineEdit(this);
    m_user->setObjectName(QStringLiteral("user"));
    m_user->setPlaceholderText(QStringLiteral("user"));
    m_user->setAccessibleName(QStringLiteral("User"));
    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(QStringLiteral("password (or .pgpass)"));
    m_password->setAccessibleName(QStringLiteral("Password"));
    m_sslMode = new QComboBox(this);
    m_sslMode->setObjectName(QStringLiteral("sslmode"));
    m_sslMode->addItems({QStringLiteral("disable"), QStringLiteral("allow"), QStringLiteral("prefer"),
                         QStringLiteral("require"), QStringLiteral("verify-ca"), QStringLiteral("verify-full")});
    m_sslMode->setCurrentText(QStringLiteral("prefer"));
    m_sslMode->setAccessibleName(QStringLiteral("SSL mode"));
    m_connect = new QPushButton(QStringLiteral("&Connect"), this);
    m_connect->setObjectName(QStringLiteral("connect"));
    m_connect->setDefault(true);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto addLabeled = [this, layout](const QString &label, QWidget *w, int stretch) {
        auto *l = new QLabel(label, this);
        l->setBuddy(w);
        layout->addWidget(l);
        layout->addWidget(w, stretch);
    };
    addLabeled(QStringLiteral("&Host:"), m_host, 3);
    addLabeled(QStringLiteral("P&ort:"), m_port, 0);
    addLabeled(QStringLiteral("&Database:"), m_database, 2);
    addLabeled(QStringLiteral("&User:"), m_user, 2);
    addLabeled(QStringLiteral("Pass&word:"), m_password, 2);
    addLabeled(QStringLiteral("&SSL:"), m_sslMode, 0);
    layout->addWidget(m_connect);

    connect(m_host, &QLineEdit::editingFinished, this, [this] {
        const QString t = m_host->text().trimmed();
        if (t.startsWith(QLatin1String("postgres://")) || t.startsWith(QLatin1String("postgresql://"))
            || t.contains(QLatin1Char('=')))
            fillFromConnInfo(t);
    });
    auto request = [this] { Q_EMIT connectRequested(profile()); };
    connect(m_connect, &QPushButton::clicked, this, request);
    for (QLineEdit *e : {m_database, m_user, m_password})
        connect(e, &QLineEdit::returnPressed, this, request);
}

void ConnectionForm::fillFromConnInfo(const QString &text)
{
    ConnectionProfile p;
    QString error;
    if (!ConnectionProfile::fromConnInfo(text, &p, &error)) {
        m_host->setToolTip(error);
        return;
    }
    m_host->setToolTip(QString());
    if (p.sslMode.isEmpty())
        p.sslMode = m_sslMode->currentText();
    setProfile(p);
}

ConnectionProfile ConnectionForm::profile() const
{
    ConnectionProfile p = m_extra;
    p.host = m_host->text().trimmed();
    p.port = m_port->value();
    p.database = m_database->text().trimmed();
    p.user = m_user->text().trimmed();
    p.password = m_password->text();
    p.sslMode = m_sslMode->currentText();
    return p;
}

void ConnectionForm::setProfile(const ConnectionProfile &p)
{
    const QSignalBlocker b1(m_host);
    m_extra = p;
    m_host->setText(p.host);
    m_port->setValue(p.port > 0 ? p.port : 5432);
    m_database->setText(p.database);
    m_user->setText(p.user);
    m_password->setText(p.password);
    if (!p.sslMode.isEmpty())
        m_sslMode->setCurrentText(p.sslMode);
}

void ConnectionForm::askForPassword()
{
    m_password->clear();
    m_password->setPlaceholderText(QStringLiteral("type the password, then Enter"));
    m_password->setFocus();
}

void ConnectionForm::setBusy(bool busy)
{
    m_connect->setEnabled(!busy);
    m_connect->setText(busy ? QStringLiteral("Connecting…") : QStringLiteral("&Connect"));
}

} // namespace bfs
