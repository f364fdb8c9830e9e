#pragma once

#include "ConnectionProfile.h"
#include "backfill_widgets_export.h"

#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
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
    // Narrower than one row needs, the fields take two rows.
    bool isTwoRows() const { return m_twoRows; }
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

Q_SIGNALS:
    void connectRequested(const bfs::ConnectionProfile &profile);

private:
    struct Cell
    {
        QLabel *label;
        QWidget *field;
        int stretch;
    };
    void fillFromConnInfo(const QString &text);
    int oneRowWidth() const;
    void arrange(bool twoRows);

    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QComboBox *m_sslMode = nullptr;
    QPushButton *m_connect = nullptr;
    ConnectionProfile m_extra; // fields the form does not show (certificates, service)
    QHBoxLayout *m_rows[2] = {nullptr, nullptr};
    QList<Cell> m_cells;
    bool m_twoRows = false;
};

} // namespace bfs
