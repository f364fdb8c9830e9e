// The loader's options and what follows from them: the format a file is read with, what its
// detection is told, the words for conflict handling and the upload method, a dry run's account.
#include "CsvLoader.h"

#include "TargetTable.h"
#include "ValueConverter.h"

namespace bfs {

CsvFormat CsvLoader::effectiveFormat(const CsvFormat &detected, const Options &o)
{
    CsvFormat format = detected;
    if (o.delimiter)
        format.delimiter = *o.delimiter;
    if (o.encoding)
        format.encoding = *o.encoding;
    if (o.quote)
        format.quote = *o.quote;
    if (o.header)
        format.header = *o.header;
    if (o.decimalComma)
        format.decimalComma = *o.decimalComma;
    format.skipLines = o.skipLines;
    format.maxFieldChars = o.maxFieldChars;
    return format;
}

CsvLoader::CsvLoader(Options options)
    : m_options(std::move(options))
{
}

QString CsvLoader::conflictName(Conflict c)
{
    switch (c) {
    case Conflict::Error: return QStringLiteral("error");
    case Conflict::Skip: return QStringLiteral("skip");
    case Conflict::Update: return QStringLiteral("update");
    }
    return QString();
}

bool CsvLoader::conflictFromName(const QString &name, Conflict *out)
{
    if (name == QLatin1String("error"))
        *out = Conflict::Error;
    else if (name == QLatin1String("skip"))
        *out = Conflict::Skip;
    else if (name == QLatin1String("update"))
        *out = Conflict::Update;
    else
        return false;
    return true;
}

bool CsvLoader::uploadFromName(const QString &name, Upload *out)
{
    if (name == QLatin1String("auto"))
        *out = Upload::Auto;
    else if (name == QLatin1String("copy"))
        *out = Upload::Copy;
    else if (name == QLatin1String("insert"))
        *out = Upload::Insert;
    else
        return false;
    return true;
}

CsvSniffer::Hints CsvLoader::sniffHints(const Options &o, const TargetTable &table)
{
    CsvSniffer::Hints hints;
    hints.skipLines = o.skipLines;
    if (!o.nullTokens.isEmpty())
        hints.nullTokens = o.nullTokens;
    hints.delimiter = o.delimiter;
    hints.encoding = o.encoding;
    hints.header = o.header;
    for (const TargetTable::Column &c : table.columns) {
        hints.tableColumns << c.name;
        if (ValueConverter::isNumericType(c.type))
            hints.numericTableColumns << c.name;
    }
    return hints;
}

void CsvLoader::Summary::splitDryRun(qint64 staged, Conflict conflict)
{
    // Skip: every key already there or repeated is skipped; update: a key already there is
    // updated (loaded), only a repeat is skipped (the last line wins); error: nothing is skipped.
    const qint64 existing = qMax<qint64>(0, rowsExisting), repeated = qMax<qint64>(0, rowsRepeated);
    rowsToSkip = conflict == Conflict::Skip ? existing + repeated : conflict == Conflict::Update ? repeated : 0;
    rowsToLoad = staged - rowsToSkip;
}

QString CsvLoader::dryRunAccount(const Summary &s, qint64 staged, Conflict conflict, const QString &rejectsPath)
{
    const qint64 existing = qMax<qint64>(0, s.rowsExisting), repeated = qMax<qint64>(0, s.rowsRepeated);
    QString what;
    if (conflict == Conflict::Skip && existing + repeated > 0)
        what = QStringLiteral("%1 rows would be loaded into %2 and %3 skipped as duplicates (%4 already there, %5 repeating an "
                              "earlier line)")
                   .arg(staged - existing - repeated).arg(s.target).arg(existing + repeated).arg(existing).arg(repeated);
    else if (conflict == Conflict::Update && existing + repeated > 0)
        what = QStringLiteral("%1 rows would be loaded into %2, %3 of them updating rows already there%4")
                   .arg(staged - repeated).arg(s.target).arg(existing)
                   .arg(repeated > 0 ? QStringLiteral(", and %1 skipped because a later line has the same key (the last line wins)").arg(repeated)
                                     : QString());
    else
        what = QStringLiteral("%1 rows would be loaded into %2").arg(staged).arg(s.target);
    if (s.rowsRejected > 0)
        what += QStringLiteral("; %1 rows are rejected%2").arg(s.rowsRejected)
                    .arg(rejectsPath.isEmpty() ? QStringLiteral(" (--rejects FILE lists them with line, column and reason)")
                                               : QStringLiteral(" (listed in %1)").arg(rejectsPath));
    return what;
}

void CsvLoader::Summary::noteShortRows(const QString &file, bool padded)
{
    if (shortRows == 0)
        return;
    const QString which = shortRows == 1 ? QStringLiteral("1 row has fewer fields than the file has columns (line %1)").arg(firstShortLine)
                                         : QStringLiteral("%1 rows have fewer fields than the file has columns (the first on line %2)")
                                               .arg(shortRows).arg(firstShortLine);
    notes << (padded ? QStringLiteral("%1: %2; the cells missing at the end were read as empty").arg(file, which)
                     : QStringLiteral("%1: %2 and %3 rejected; if the cells missing at the end are empty cells (spreadsheets leave out "
                                      "their delimiters), load with --pad-short-rows (in the wizard: \"Read cells missing at the end of a row "
                                      "as empty\")")
                           .arg(file, which, shortRows == 1 ? QStringLiteral("was") : QStringLiteral("were")));
}

QString CsvLoader::Summary::notWrittenText() const
{
    return rowsNotWritten > 0 ? QStringLiteral(" %1 were not written: the server dropped them without an error (a trigger of the "
                                               "table that returns NULL, or a rule).")
                                    .arg(rowsNotWritten)
                              : QString();
}

} // namespace bfs
