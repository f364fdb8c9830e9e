#include "ConnectionProfile.h"

#include <libpq-fe.h>

#include <QRegularExpression>
#include <QStringList>

namespace bfs {

namespace {

QString quoteConnValue(const QString &v)
{
    if (!v.isEmpty() && !v.contains(QLatin1Char(' ')) && !v.contains(QLatin1Char('\''))
        && !v.contains(QLatin1Char('\\')))
        return v;
    QString q = v;
    q.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    q.replace(QLatin1Char('\''), QLatin1String("\\'"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

} // namespace

bool ConnectionProfile::fromConnInfo(const QString &conninfo, ConnectionProfile *out, QString *error)
{
    char *err = nullptr;
    PQconninfoOption *opts = PQconninfoParse(conninfo.toUtf8().constData(), &err);
    if (!opts) {
        if (error)
            *error = err ? QString::fromUtf8(err).trimmed() : QStringLiteral("out of memory");
        PQfreemem(err);
        return false;
    }
    ConnectionProfile p;
    p.host.clear();
    p.sslMode.clear();
    for (PQconninfoOption *o = opts; o->keyword; ++o) {
        if (!o->val)
            continue;
        const QString key = QString::fromUtf8(o->keyword);
        const QString val = QString::fromUtf8(o->val);
        if (key == QLatin1String("host"))
            p.host = val;
        else if (key == QLatin1String("hostaddr"))
            p.hostAddress = val;
        else if (key == QLatin1String("port"))
            p.port = val.toInt();
        else if (key == QLatin1String("dbname"))
            p.database = val;
        else if (key == QLatin1String("user"))
            p.user = val;
        else if (key == QLatin1String("password"))
            p.password = val;
        else if (key == QLatin1String("sslmode"))
            p.sslMode = val;
        else if (key == QLatin1String("sslrootcert"))
            p.sslRootCert = val;
        else if (key == QLatin1String("sslcert"))
            p.sslCert = val;
        else if (key == QLatin1String("sslkey"))
            p.sslKey = val;
        else if (key == QLatin1String("service"))
            p.service = val;
        else if (key == QLatin1String("connect_timeout"))
            p.connectTimeoutSeconds = val.toInt();
        else if (key == QLatin1String("application_name"))
            p.applicationName = val;
        else if (val.contains(QLatin1Char(';'))) {
            // Qt's PostgreSQL driver turns every ';' of its connect options into a space.
            if (error)
                *error = QStringLiteral("the value of %1 contains ';', which Qt's PostgreSQL driver cannot pass on").arg(key);
            PQconninfoFree(opts);
            return false;
        } else { // (libpq marks secret keywords with '*', debug ones with 'D')
            (QByteArray(o->dispchar).contains('*') ? p.secretOptions : p.otherOptions) << key + QLatin1Char('=') + quoteConnValue(val);
        }
    }
    PQconninfoFree(opts);
    if (p.port <= 0)
        p.port = 5432;
    if (p.host.isEmpty() && !p.hostAddress.isEmpty())
        p.host = p.hostAddress;
    *out = p;
    return true;
}

// key=value pairs of the profile; the password is never among them.
QStringList ConnectionProfile::connInfoParts(bool withTarget) const
{
    QStringList parts;
    auto add = [&parts](const char *key, const QString &value) {
        if (!value.isEmpty())
            parts << QLatin1String(key) + QLatin1Char('=') + quoteConnValue(value);
    };
    add("service", service);
    if (withTarget) {
        add("host", host);
        if (port > 0)
            add("port", QString::number(port));
        add("dbname", database);
        add("user", user);
    }
    if (hostAddress != host)
        add("hostaddr", hostAddress);
    add("sslmode", sslMode);
    add("sslrootcert", sslRootCert);
    add("sslcert", sslCert);
    add("sslkey", sslKey);
    if (connectTimeoutSeconds > 0)
        add("connect_timeout", QString::number(connectTimeoutSeconds));
    if (!withTarget)
        add("application_name", applicationName);
    parts << otherOptions;
    return parts;
}

QString ConnectionProfile::toConnInfo() const
{
    return connInfoParts(true).join(QLatin1Char(' '));
}

QString ConnectionProfile::displayTarget() const
{
    QString t;
    if (!user.isEmpty())
        t += user + QLatin1Char('@');
    // A URI or key=value string left in the host field (one that did not parse) may carry a
    // password: it is never shown.
    QString h = host;
    static const QRegularExpression uriPassword(QStringLiteral("(://[^:/@?]*:).*@"));
    static const QRegularExpression keywordPassword(QStringLiteral("(password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|\\S*)"),
                                                    QRegularExpression::CaseInsensitiveOption);
    h.replace(uriPassword, QStringLiteral("\\1***@"));
    h.replace(keywordPassword, QStringLiteral("\\1***"));
    t += h.isEmpty() ? QStringLiteral("localhost") : h;
    t += QLatin1Char(':') + QString::number(port);
    if (!database.isEmpty())
        t += QLatin1Char('/') + database;
    if (!service.isEmpty() && host.isEmpty())
        t = QStringLiteral("service ") + service;
    return t;
}

QString ConnectionProfile::qpsqlConnectOptions() const
{
    // QPSQL joins "key=value;key=value" into the conninfo it passes to libpq; host, port,
    // database and user go through QSqlDatabase's setters.
    return (connInfoParts(false) + secretOptions).join(QLatin1Char(';'));
}

bool ConnectionProfile::operator==(const ConnectionProfile &o) const
{
    return name == o.name && host == o.host && port == o.port && database == o.database && user == o.user
        && hostAddress == o.hostAddress && password == o.password && sslMode == o.sslMode && sslRootCert == o.sslRootCert
        && sslCert == o.sslCert && sslKey == o.sslKey && service == o.service
        && connectTimeoutSeconds == o.connectTimeoutSeconds && applicationName == o.applicationName && otherOptions == o.otherOptions
        && secretOptions == o.secretOptions;
}

} // namespace bfs
