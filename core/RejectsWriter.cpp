#include "RejectsWriter.h"

namespace bfs {

QString RejectsWriter::quote(const QString &field)
{
    if (!field.contains(QLatin1Char('"')) && !field.contains(QLatin1Char(',')) && !field.contains(QLatin1Char('\n'))
        && !field.contains(QLatin1Char('\r')))
        return field;
    QString q = field;
    q.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

bool RejectsWriter::open(const QString &path, QString *error)
{
    m_file.setFileName(path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write the rejects file %1: %2").arg(path, m_file.errorString());
        return false;
    }
    m_file.write("line,column,reason,record\n");
    m_count = 0;
    return true;
}

void RejectsWriter::write(qint64 line, const QString &column, const QString &reason, const QString &record, bool truncated)
{
    ++m_count;
    if (!m_file.isOpen())
        return;
    QString r = record;
    if (truncated)
        r += QStringLiteral("…[truncated]");
    const QString row = QString::number(line) + QLatin1Char(',') + quote(column) + QLatin1Char(',') + quote(reason)
        + QLatin1Char(',') + quote(r) + QLatin1Char('\n');
    m_file.write(row.toUtf8());
}

bool RejectsWriter::close(QString *error)
{
    if (!m_file.isOpen())
        return true;
    const bool ok = m_file.flush();
    m_file.close();
    if (!ok && error)
        *error = QStringLiteral("cannot write the rejects file %1").arg(m_file.fileName());
    return ok;
}

} // namespace bfs
