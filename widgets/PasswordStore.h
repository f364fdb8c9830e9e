#pragma once

#include "backfill_widgets_export.h"

#include <QObject>
#include <QString>

#include <functional>

namespace bfs {

// Passwords in the operating system's keychain (Secret Service, macOS Keychain, Windows
// Credential Store) through QtKeychain. Asynchronous: the GUI never waits on it. When no
// keychain is available the callbacks report an error and the caller asks for the
// password instead.
class BACKFILL_WIDGETS_EXPORT PasswordStore : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const QString &password, const QString &error)>;

    explicit PasswordStore(QObject *parent = nullptr);
    void read(const QString &profileName, const Callback &done);
    void write(const QString &profileName, const QString &password, const Callback &done = Callback());
    void remove(const QString &profileName);

    static QString serviceName() { return QStringLiteral("Backfill Studio"); }
};

} // namespace bfs
