#include "CsvFormat.h"

namespace bfs {

QString CsvFormat::encodingName(Encoding e)
{
    switch (e) {
    case Encoding::Utf8: return QStringLiteral("UTF-8");
    case Encoding::Utf16LE: return QStringLiteral("UTF-16LE");
    case Encoding::Utf16BE: return QStringLiteral("UTF-16BE");
    case Encoding::Windows1252: return QStringLiteral("Windows-1252");
    case Encoding::Latin1: return QStringLiteral("ISO-8859-1");
    }
    return QString();
}

bool CsvFormat::encodingFromName(const QString &name, Encoding *out)
{
    QString n = name.trimmed().toLower();
    n.remove(QLatin1Char('-'));
    n.remove(QLatin1Char('_'));
    if (n == QLatin1String("utf8"))
        *out = Encoding::Utf8;
    else if (n == QLatin1String("utf16le") || n == QLatin1String("utf16") || n == QLatin1String("unicode"))
        *out = Encoding::Utf16LE;
    else if (n == QLatin1String("utf16be"))
        *out = Encoding::Utf16BE;
    else if (n == QLatin1String("windows1252") || n == QLatin1String("cp1252") || n == QLatin1String("win1252"))
        *out = Encoding::Windows1252;
    else if (n == QLatin1String("latin1") || n == QLatin1String("iso88591"))
        *out = Encoding::Latin1;
    else
        return false;
    return true;
}

QString CsvFormat::delimiterName(QChar c)
{
    if (c == QLatin1Char('\t'))
        return QStringLiteral("TAB");
    if (c == QLatin1Char(' '))
        return QStringLiteral("space");
    return QString(c);
}

} // namespace bfs
