#include "ConnectionForm.h"

#include <QComboBox>
#include <QBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QResizeEvent>
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

    // One row where the window is wide enough, two where it is not (a laptop's 1024 pixels
    // squeezed every field to a few letters); each field keeps room for what it usually holds.
    const int ch = fontMetrics().averageCharWidth();
    m_host->setMinimumWidth(16 * ch);
    for (QLineEdit *e : {m_database, m_user})
        e->setMinimumWidth(11 * ch);
    m_password->setMinimumWidth(16 * ch); // (its dots are wider than letters, and its hint is long)
    auto *rows = new QVBoxLayout(this);
    rows->setContentsMargins(0, 0, 0, 0);
    for (QHBoxLayout *&row : m_rows) {
        row = new QHBoxLayout;
        rows->addLayout(row);
    }
    auto labeled = [this](const QString &label, QWidget *w, int stretch) {
        auto *l = new QLabel(label, this);
        l->setBuddy(w);
        m_cells << Cell{l, w, stretch};
    };
    labeled(QStringLiteral("&Host:"), m_host, 3);
    labeled(QStringLiteral("P&ort:"), m_port, 0);
    labeled(QStringLiteral("&Database:"), m_database, 2);
    labeled(QStringLiteral("&User:"), m_user, 2);
    labeled(QStringLiteral("Pass&word:"), m_password, 2);
    labeled(QStringLiteral("&SSL:"), m_sslMode, 0);
    m_cells << Cell{nullptr, m_connect, 0};
    arrange(false);

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

// The width one row needs: every label and field at its smallest, with the spacing between.
int ConnectionForm::oneRowWidth() const
{
    int w = 0, n = 0;
    for (const Cell &c : m_cells)
        for (QWidget *x : {static_cast<QWidget *>(c.label), c.field})
            if (x) {
                w += qMax(x->minimumWidth(), x->minimumSizeHint().width());
                ++n;
            }
    return w + (n - 1) * qMax(0, m_rows[0]->spacing());
}

// Puts the fields in one row, or in two (host, port, database; user, password, SSL, Connect).
void ConnectionForm::arrange(bool twoRows)
{
    if (m_rows[0]->count() > 0 && twoRows == m_twoRows)
        return;
    m_twoRows = twoRows;
    for (QHBoxLayout *row : m_rows)
        while (row->count() > 0)
            delete row->takeAt(0);
    for (int i = 0; i < m_cells.size(); ++i) {
        const Cell &c = m_cells.at(i);
        QHBoxLayout *row = m_rows[twoRows && i >= 3 ? 1 : 0]; // (the second row starts at User)
        if (c.label)
            row->addWidget(c.label);
        row->addWidget(c.field, c.stretch);
    }
    updateGeometry();
}

QSize ConnectionForm::minimumSizeHint() const
{
    // As narrow as two rows allow: the window may be made narrower than one row needs.
    QSize s = QWidget::minimumSizeHint();
    if (!m_twoRows) {
        int first = 0, second = 0;
        for (int i = 0; i < m_cells.size(); ++i) {
            const Cell &c = m_cells.at(i);
            const int w = qMax(c.field->minimumWidth(), c.field->minimumSizeHint().width())
                + (c.label ? c.label->minimumSizeHint().width() + m_rows[0]->spacing() : 0) + m_rows[0]->spacing();
            (i < 3 ? first : second) += w;
        }
        s.setWidth(qMax(first, second));
    }
    return s;
}

void ConnectionForm::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrange(event->size().width() < oneRowWidth());
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
