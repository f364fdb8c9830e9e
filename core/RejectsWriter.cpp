#include "RejectsWriter.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

namespace bfs {

QString RejectsWriter::quote(const QString &field, QChar delimiter)
{
    if (!field.contains(QLatin1Char('"')) && !field.contains(delimiter) && !field.contains(QLatin1Char('\n'))
        && !field.contains(QLatin1Char('\r')))
        return field;
    QString q = field;
    q.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

bool RejectsWriter::open(const QString &path, QString *error, QChar delimiter, bool byteOrderMark)
{
    m_file.setFileName(path);
    QDir().mkpath(QFileInfo(path).absolutePath()); // (a folder of its own, as the wizard's: made here, off the GUI thread)
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write the rejects file %1: %2").arg(path, m_file.errorString());
        return false;
    }
    m_delimiter = delimiter;
    const QString header = QStringList{QStringLiteral("line"), QStringLiteral("column"), QStringLiteral("reason"), QStringLiteral("record")}.join(delimiter);
    m_file.write((byteOrderMark ? QByteArray("\xEF\xBB\xBF") : QByteArray()) + header.toUtf8() + '\n');
    m_count = 0;
    return true;
}

bool RejectsWriter::write(qint64 line, const QString &column, const QString &reason, const QString &record, bool truncated,
                          QString *error)
{
    ++m_count;
    if (!m_file.isOpen())
        return true;
    QString r = record;
    // Bytes that did not decode: the replacement character, which editors show (the reader's
    // own marker, U+FFFF, is a noncharacter).
    r.replace(QChar(0xFFFF), QChar(QChar::ReplacementCharacter));
    if (truncated)
        r += QStringLiteral("…[truncated]");
    const QChar d = m_delimiter;
    const QByteArray row = (QString::number(line) + d + quote(column, d) + d + quote(reason, d) + d + quote(r, d) + QLatin1Char('\n')).toUtf8();
    if (!m_failed && m_file.write(row) != row.size())
        m_failed = true;
    if (m_failed && error)
        *error = QStringLiteral("cannot write the rejects file %1: %2").arg(m_file.fileName(), m_file.errorString());
    return !m_failed;
}

bool RejectsWriter::close(QString *error)
{
    if (!m_file.isOpen())
        return !m_failed;
    const bool ok = m_file.flush() && !m_failed;
    const QString why = m_file.errorString();
    m_file.close();
    if (ok && m_count == 0)
        m_file.remove(); // (nothing rejected: no file of a header alone, nor an earlier run's left behind)
    if (!ok && error)
        *error = QStringLiteral("cannot write the rejects file %1: %2").arg(m_file.fileName(), why);
    return ok;
}

} // namespace bfs
