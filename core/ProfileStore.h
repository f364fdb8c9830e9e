#pragma once

#include "ConnectionProfile.h"
#include "backfill_core_export.h"

#include <QList>
#include <QString>

class QSettings;

namespace bfs {

// Saved connection profiles in QSettings. Passwords are never written here: they live
// in the OS keychain (PasswordStore in widgets), in libpq's .pgpass or service file, or
// in memory for the session.
class BACKFILL_CORE_EXPORT ProfileStore
{
public:
    struct Entry
    {
        ConnectionProfile profile;
        QString uploadMethod = QStringLiteral("auto"); // auto, copy, insert
        bool passwordInKeychain = false;
    };

    explicit ProfileStore(QSettings *settings);

    QList<Entry> load() const;
    void save(const QList<Entry> &entries);

    // Entries of a pg_service.conf file (INI: [name] then key=value lines).
    static QList<Entry> importServiceFile(const QString &path, QString *error);
    // The file libpq would use: $PGSERVICEFILE, else ~/.pg_service.conf.
    static QString defaultServiceFile();

private:
    QSettings *m_settings;
};

} // namespace bfs
