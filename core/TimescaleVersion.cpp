#include "TimescaleVersion.h"

#include <QRegularExpression>

namespace bfs {

TimescaleVersion TimescaleVersion::parse(const QString &input)
{
    TimescaleVersion v;
    v.text = input.trimmed();
    static const QRegularExpression re(
        QStringLiteral(R"(^(\d+)\.(\d+)(?:\.(\d+))?(?:[-~+.]?([A-Za-z][A-Za-z0-9.]*))?$)"));
    const QRegularExpressionMatch m = re.match(v.text);
    if (!m.hasMatch())
        return v;
    v.major = m.captured(1).toInt();
    v.minor = m.captured(2).toInt();
    v.patch = m.captured(3).isEmpty() ? 0 : m.captured(3).toInt();
    v.suffix = m.captured(4);
    return v;
}

QString TimescaleVersion::toString() const
{
    if (!isValid())
        return text;
    QString s = QStringLiteral("%1.%2.%3").arg(major).arg(minor).arg(patch);
    if (!suffix.isEmpty())
        s += QLatin1Char('-') + suffix;
    return s;
}

bool TimescaleVersion::atLeast(int maj, int min, int pat) const
{
    TimescaleVersion o;
    o.major = maj;
    o.minor = min;
    o.patch = pat;
    return compare(o) >= 0;
}

int TimescaleVersion::compare(const TimescaleVersion &o) const
{
    if (major != o.major)
        return major < o.major ? -1 : 1;
    if (minor != o.minor)
        return minor < o.minor ? -1 : 1;
    if (patch != o.patch)
        return patch < o.patch ? -1 : 1;
    return 0;
}

} // namespace bfs
