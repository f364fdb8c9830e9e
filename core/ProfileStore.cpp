#include "ProfileStore.h"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QTextStream>

namespace bfs {

namespace Keys {
constexpr auto Group = "connections";
constexpr auto Name = "name";
constexpr auto Host = "host";
constexpr auto Port = "port";
constexpr auto Database = "database";
constexpr auto User = "user";
constexpr auto SslMode = "sslmode";
constexpr auto SslRootCert = "sslrootcert";
constexpr auto SslCert = "sslcert";
constexpr auto SslKey = "sslkey";
constexpr auto Service = "service";
constexpr auto Timeout = "connect_timeout";
constexpr auto Upload = "upload";
constexpr auto Keychain = "password_in_keychain";
constexpr auto Options = "libpq_options"; // other libpq keywords, key=value (never secret ones)
} // namespace Keys

ProfileStore::ProfileStore(QSettings *settings)
    : m_settings(settings)
{
}

QList<ProfileStore::Entry> ProfileStore::load() const
{
    QList<Entry> out;
    const int n = m_settings->beginReadArray(QLatin1String(Keys::Group));
    for (int i = 0; i < n; ++i) {
        m_settings->setArrayIndex(i);
        Entry e;
        ConnectionProfile &p = e.profile;
        p.name = m_settings->value(QLatin1String(Keys::Name)).toString();
        p.host = m_settings->value(QLatin1String(Keys::Host)).toString();
        p.port = m_settings->value(QLatin1String(Keys::Port), 5432).toInt();
        p.database = m_settings->value(QLatin1String(Keys::Database)).toString();
        p.user = m_settings->value(QLatin1String(Keys::User)).toString();
        p.sslMode = m_settings->value(QLatin1String(Keys::SslMode), QStringLiteral("prefer")).toString();
        p.sslRootCert = m_settings->value(QLatin1String(Keys::SslRootCert)).toString();
        p.sslCert = m_settings->value(QLatin1String(Keys::SslCert)).toString();
        p.sslKey = m_settings->value(QLatin1String(Keys::SslKey)).toString();
        p.service = m_settings->value(QLatin1String(Keys::Service)).toString();
        p.connectTimeoutSeconds = m_settings->value(QLatin1String(Keys::Timeout), 10).toInt();
        p.otherOptions = m_settings->value(QLatin1String(Keys::Options)).toStringList();
        e.uploadMethod = m_settings->value(QLatin1String(Keys::Upload), QStringLiteral("auto")).toString();
        e.passwordInKeychain = m_settings->value(QLatin1String(Keys::Keychain), false).toBool();
        out << e;
    }
    m_settings->endArray();
    return out;
}

void ProfileStore::save(const QList<Entry> &entries)
{
    m_settings->remove(QLatin1String(Keys::Group));
    m_settings->beginWriteArray(QLatin1String(Keys::Group), int(entries.size()));
    for (int i = 0; i < entries.size(); ++i) {
        m_settings->setArrayIndex(i);
        const Entry &e = entries.at(i);
        const ConnectionProfile &p = e.profile;
        m_settings->setValue(QLatin1String(Keys::Name), p.name);
        m_settings->setValue(QLatin1String(Keys::Host), p.host);
        m_settings->setValue(QLatin1String(Keys::Port), p.port);
        m_settings->setValue(QLatin1String(Keys::Database), p.database);
        m_settings->setValue(QLatin1String(Keys::User), p.user);
        m_settings->setValue(QLatin1String(Keys::SslMode), p.sslMode);
        m_settings->setValue(QLatin1String(Keys::SslRootCert), p.sslRootCert);
        m_settings->setValue(QLatin1String(Keys::SslCert), p.sslCert);
        m_settings->setValue(QLatin1String(Keys::SslKey), p.sslKey);
        m_settings->setValue(QLatin1String(Keys::Service), p.service);
        m_settings->setValue(QLatin1String(Keys::Timeout), p.connectTimeoutSeconds);
        m_settings->setValue(QLatin1String(Keys::Options), p.otherOptions); // (secretOptions stay in memory)
        m_settings->setValue(QLatin1String(Keys::Upload), e.uploadMethod);
        m_settings->setValue(QLatin1String(Keys::Keychain), e.passwordInKeychain);
        // Deliberately no password key: see the class comment.
    }
    m_settings->endArray();
    m_settings->sync();
}

QString ProfileStore::defaultServiceFile()
{
    const QString env = qEnvironmentVariable("PGSERVICEFILE");
    return env.isEmpty() ? QDir::homePath() + QStringLiteral("/.pg_service.conf") : env;
}

QList<ProfileStore::Entry> ProfileStore::importServiceFile(const QString &path, QString *error)
{
    QList<Entry> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return out;
    }
    QTextStream in(&f);
    int lineNo = 0;
    Entry *current = nullptr;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        if (line.startsWith(QLatin1Char('[')) && line.endsWith(QLatin1Char(']'))) {
            Entry e;
            e.profile.name = line.mid(1, line.size() - 2).trimmed();
            e.profile.service = e.profile.name;
            e.profile.host.clear();
            out << e;
            current = &out.last();
            continue;
        }
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (!current || eq <= 0) {
            *error = QStringLiteral("%1, line %2: expected [service] or key=value").arg(path).arg(lineNo);
            return {};
        }
        const QString key = line.left(eq).trimmed();
        const QString value = line.mid(eq + 1).trimmed();
        ConnectionProfile &p = current->profile;
        if (key == QLatin1String("host"))
            p.host = value;
        else if (key == QLatin1String("port"))
            p.port = value.toInt();
        else if (key == QLatin1String("dbname"))
            p.database = value;
        else if (key == QLatin1String("user"))
            p.user = value;
        else if (key == QLatin1String("sslmode"))
            p.sslMode = value;
        else if (key == QLatin1String("sslrootcert"))
            p.sslRootCert = value;
        else if (key == QLatin1String("sslcert"))
            p.sslCert = value;
        else if (key == QLatin1String("sslkey"))
            p.sslKey = value;
        else if (key == QLatin1String("connect_timeout"))
            p.connectTimeoutSeconds = value.toInt();
        // A password in the service file stays there: libpq reads it through service=.
    }
    return out;
}

} // namespace bfs
