#include "CsvLoader.h"

#include "CsvReader.h"
#include "CsvSniffer.h"
#include "Database.h"
#include "LockHolders.h"
#include "RejectsWriter.h"
#include "TargetTable.h"
#include "ValueConverter.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QRegularExpression>

#include <algorithm>
#include <iterator>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTimeZone>

namespace bfs {

namespace {

QAtomicInteger<quint32> s_stageCounter;

// Appends one value in COPY text format (UTF-8, backslash escapes, \N for NULL)
// straight from UTF-16, without an intermediate QByteArray.
void appendCopyField(QByteArray &out, const ValueConverter::Value &v)
{
    if (v.isNull) {
        out.append("\\N", 2);
        return;
    }
    const qsizetype base = out.size();
    const QStringView text = v.textView();
    const qsizetype n = text.size();
    out.resize(base + n * 3 + 4); // worst case: every unit becomes 3 bytes (or 2 for an escape)
    char *p = out.data() + base;
    const char16_t *s = reinterpret_cast<const char16_t *>(text.data());
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = s[i];
        if (c < 0x80) {
            switch (c) {
            case u'\\': *p++ = '\\'; *p++ = '\\'; break;
            case u'\t': *p++ = '\\'; *p++ = 't'; break;
            case u'\n': *p++ = '\\'; *p++ = 'n'; break;
            case u'\r': *p++ = '\\'; *p++ = 'r'; break;
            default: *p++ = char(c);
            }
        } else if (c < 0x800) {
            *p++ = char(0xC0 | (c >> 6));
            *p++ = char(0x80 | (c & 0x3F));
        } else if (QChar::isHighSurrogate(c) && i + 1 < n && QChar::isLowSurrogate(s[i + 1])) {
            const char32_t cp = QChar::surrogateToUcs4(c, s[++i]);
            *p++ = char(0xF0 | (cp >> 18));
            *p++ = char(0x80 | ((cp >> 12) & 0x3F));
            *p++ = char(0x80 | ((cp >> 6) & 0x3F));
            *p++ = char(0x80 | (cp & 0x3F));
        } else {
            *p++ = char(0xE0 | (c >> 12));
            *p++ = char(0x80 | ((c >> 6) & 0x3F));
            *p++ = char(0x80 | (c & 0x3F));
        }
    }
    out.truncate(p - out.constData());
}

CsvLoader::Summary fail(CsvLoader::Summary s, CsvLoader::Outcome outcome, const QString &message, const DbError &error = DbError())
{
    s.outcome = outcome;
    s.message = message;
    s.error = error;
    s.rowsLoaded = 0;
    s.rowsDuplicate = 0;
    s.rowsNotWritten = 0;
    if (!s.dryRun)
        s.countRowsNotLoaded();
    return s;
}

} // namespace

CsvLoader::Summary CsvLoader::run(Database &db, const std::atomic<bool> *cancel, const ProgressFn &progress)
{
    const Options &o = m_options;
    Summary s;
    s.dryRun = o.dryRun;
    s.rejectsPath = o.rejectsPath;
    const QString &file = o.csvPath; // messages name the file as the user gave it
    auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
    {
        const QFileInfo info(file);
        s.fileSize = info.exists() ? info.size() : -1;
        s.fileModified = info.lastModified();
        if ((o.expectedFileSize >= 0 && s.fileSize != o.expectedFileSize)
            || (o.expectedFileModified.isValid() && s.fileModified != o.expectedFileModified))
            return fail(s, Outcome::InputError,
                        QStringLiteral("%1 has changed since it was planned (%2): nothing was changed. Plan again, so that the run "
                                       "does what its plan shows.")
                            .arg(file, s.fileSize < 0 ? QStringLiteral("it is gone")
                                       : s.fileSize != o.expectedFileSize ? QStringLiteral("%1 bytes then, %2 now").arg(o.expectedFileSize).arg(s.fileSize)
                                                                          : QStringLiteral("written to since")));
    }

    // 1. How the file is written: detected around the user's overrides (a delimiter given changes
    // what the columns look like), and with the target's column names, which a header names.
    // (The file's errors come before the table's.)
    TargetTable table;
    DbError tableError;
    const bool tableLoaded = TargetTable::load(db, o.table, &table, &tableError);
    const CsvSniffer::Result sniffed = CsvSniffer::sniffFile(o.csvPath, sniffHints(o, table));
    if (!sniffed.ok)
        return fail(s, Outcome::InputError, sniffed.error);
    const CsvFormat format = effectiveFormat(sniffed.format, o);
    s.format = format;

    CsvReader reader(format);
    if (!reader.open(o.csvPath))
        return fail(s, Outcome::InputError, reader.errorString().startsWith(o.csvPath) ? reader.errorString()
                                                                                       : QStringLiteral("%1: %2").arg(file, reader.errorString()));
    QStringList csvColumns = reader.header();
    if (!format.header) {
        csvColumns.clear();
        for (int i = 0; i < sniffed.columns.size(); ++i)
            csvColumns << QStringLiteral("column%1").arg(i + 1);
    }

    // 2. The target as the catalog describes it.
    if (!tableLoaded)
        return fail(s, tableError.kind == DbError::Kind::TableMissing ? Outcome::InputError
                       : tableError.kind == DbError::Kind::Unreachable ? Outcome::ConnectionError : Outcome::ServerError,
                    tableError.message, tableError);
    s.target = table.displayName();

    // 3. CSV columns → table columns: explicit --map first, then by name (or by position without a header).
    QList<int> csvToTable(csvColumns.size(), -1);
    QList<bool> tableTaken(table.columns.size(), false);
    auto csvIndexOf = [&csvColumns](const QString &ref) -> int {
        bool isNumber = false;
        const int n = ref.toInt(&isNumber);
        if (isNumber)
            return (n >= 1 && n <= csvColumns.size()) ? n - 1 : -1;
        for (int i = 0; i < csvColumns.size(); ++i)
            if (csvColumns.at(i) == ref)
                return i;
        for (int i = 0; i < csvColumns.size(); ++i)
            if (csvColumns.at(i).compare(ref, Qt::CaseInsensitive) == 0)
                return i;
        return -1;
    };
    for (const auto &[csvRef, column] : o.mappings) {
        const int ci = csvIndexOf(csvRef);
        if (ci < 0)
            return fail(s, Outcome::InputError, QStringLiteral("%1: --map %2=%3: the file has no column \"%2\" (it has: %4)")
                                                    .arg(file, csvRef, column, csvColumns.join(QStringLiteral(", "))));
        const int ti = table.columnIndex(column);
        if (ti < 0)
            return fail(s, Outcome::InputError, QStringLiteral("--map %1=%2: table %3 has no column \"%2\"").arg(csvRef, column, s.target));
        if (tableTaken[ti])
            return fail(s, Outcome::InputError, QStringLiteral("--map: column \"%1\" is mapped twice").arg(column));
        if (csvToTable[ci] >= 0) // (the second --map replaced the first, and a required column went unloaded)
            return fail(s, Outcome::InputError, QStringLiteral("--map: CSV column \"%1\" is mapped twice (to \"%2\" and \"%3\"); a CSV column "
                                                               "goes to one table column")
                                                    .arg(csvColumns.at(ci), table.columns.at(csvToTable[ci]).name, column));
        csvToTable[ci] = ti;
        tableTaken[ti] = true;
    }
    if (!o.explicitMappingOnly && (o.mappings.isEmpty() || format.header)) {
        int position = 0;
        for (int ci = 0; ci < csvColumns.size(); ++ci) {
            if (csvToTable[ci] >= 0)
                continue;
            int ti = -1;
            if (format.header) {
                ti = table.columnIndex(csvColumns.at(ci));
            } else {
                while (position < table.columns.size() && (table.columns.at(position).generated || tableTaken[position]))
                    ++position;
                ti = position < table.columns.size() ? position++ : -1;
            }
            if (ti >= 0 && !tableTaken[ti] && !table.columns.at(ti).generated) {
                csvToTable[ci] = ti;
                tableTaken[ti] = true;
            }
        }
    }
    QStringList unloaded;
    QList<int> unnamedUnloaded; // columns without a name: mentioned only if a row holds a value there
    for (int ci = 0; ci < csvColumns.size(); ++ci) {
        if (csvToTable[ci] < 0) {
            s.ignoredColumns << csvColumns.at(ci);
            if (csvColumns.at(ci).trimmed().isEmpty()) // a spreadsheet's empty trailing columns
                unnamedUnloaded << ci;
            else if (csvColumns.indexOf(csvColumns.at(ci)) < ci)
                unloaded << QStringLiteral("\"%1\" (column %2, a second column of that name)").arg(csvColumns.at(ci)).arg(ci + 1);
            else
                unloaded << QLatin1Char('"') + csvColumns.at(ci) + QLatin1Char('"');
        }
    }
    if (!unloaded.isEmpty())
        s.notes << QStringLiteral("%1: not loaded, no column of %2 takes them: %3").arg(file, s.target, unloaded.join(QStringLiteral(", ")));
    for (int ti = 0; ti < table.columns.size(); ++ti) {
        const TargetTable::Column &c = table.columns.at(ti);
        if (tableTaken[ti] && c.generated)
            return fail(s, Outcome::InputError, QStringLiteral("column \"%1\" of %2 is generated and cannot be loaded").arg(c.name, s.target));
        if (!tableTaken[ti] && c.notNull && !c.hasDefault && !c.generated)
            return fail(s, Outcome::InputError,
                        QStringLiteral("%1: no CSV column maps to \"%2\", which %3 requires (NOT NULL, no default); "
                                       "use --map CSVCOLUMN=%2")
                            .arg(file, c.name, s.target));
    }

    // 4. One converter per mapped column.
    QTimeZone zone(QByteArrayLiteral("UTC"));
    if (!o.timeZone.isEmpty()) {
        zone = QTimeZone(o.timeZone.toUtf8());
        if (!zone.isValid())
            return fail(s, Outcome::InputError, QStringLiteral("unknown time zone \"%1\" (use an IANA name such as Europe/Berlin)").arg(o.timeZone));
    }
    s.timeZone = o.timeZone.isEmpty() ? QStringLiteral("UTC") : o.timeZone;
    QList<int> mappedCsv;
    QList<ValueConverter> converters;
    // Date columns whose order was a guess (every sampled date fit both): the other order, to
    // recognise a later row that proves the guess wrong.
    struct GuessedOrder
    {
        DateTimeParser read;  // the format the column is read with
        DateTimeParser other; // the other order's
        QString otherFormat;
    };
    QHash<int, GuessedOrder> guessedOrder; // by mapped index
    QList<const TargetTable::Column *> mappedColumns;
    bool ambiguousDecimalNoted = false;
    QStringList formatsUsed; // the names a --format may give: loaded date/time columns, table and CSV
    for (int ci = 0; ci < csvColumns.size(); ++ci) {
        if (csvToTable[ci] < 0)
            continue;
        const TargetTable::Column &c = table.columns.at(csvToTable[ci]);
        ValueConverter::Options vo;
        if (!o.nullTokens.isEmpty())
            vo.nullTokens = o.nullTokens;
        vo.decimalComma = format.decimalComma;
        vo.sourceZone = zone;
        vo.overlap = o.overlap;
        ValueConverter::setTypeModifiers(c.baseType, &vo);
        QString fmt = o.formats.value(c.name, o.formats.value(csvColumns.at(ci)));
        const bool isTime = c.type == ValueConverter::Type::TimestampTz || c.type == ValueConverter::Type::Timestamp
            || c.type == ValueConverter::Type::Date;
        if (isTime)
            formatsUsed << c.name << csvColumns.at(ci);
        if (fmt.isEmpty() && ci < sniffed.dateFormats.size()) {
            fmt = sniffed.dateFormats.at(ci);
            if (isTime && sniffed.ambiguousDate.value(ci))
                s.notes << QStringLiteral("%1: every date of the first 256 KiB in column \"%2\" fits both day-first and month-first "
                                          "order; they are read as %3 (a later date that fits the other order only stops the load, "
                                          "with nothing written). If that is wrong, set the column's format (on the command line: "
                                          "--format %2=PATTERN).")
                               .arg(file, csvColumns.at(ci), fmt);
        }
        if (fmt.isEmpty())
            fmt = QStringLiteral("iso");
        vo.dateTimeFormat = fmt;
        QString formatError;
        if (!DateTimeParser(fmt).isValidFormat(&formatError))
            return fail(s, Outcome::InputError, QStringLiteral("--format %1: %2").arg(c.name, formatError));
        s.mapping << ColumnMapping{csvColumns.at(ci), ci, c.name, c.sqlType, isTime ? fmt : QString()};
        if (ValueConverter::isNumericType(c.type) && !o.decimalComma && sniffed.ambiguousDecimal && !ambiguousDecimalNoted) {
            ambiguousDecimalNoted = true;
            s.notes << QStringLiteral("%1: every number with a separator fits both a decimal %2 and a thousands separator (such as "
                                      "1,234 or 1.234); they are read with a decimal %2. If that is wrong, say which (on the command "
                                      "line: --decimal-%3).")
                           .arg(file, format.decimalComma ? QStringLiteral("comma") : QStringLiteral("point"),
                                format.decimalComma ? QStringLiteral("point") : QStringLiteral("comma"));
        }
        if (isTime && sniffed.ambiguousDate.value(ci) && o.formats.value(c.name, o.formats.value(csvColumns.at(ci))).isEmpty()) {
            const QString other = DateTimeParser::swapDayAndMonth(fmt);
            guessedOrder.insert(int(mappedCsv.size()), GuessedOrder{DateTimeParser(fmt), DateTimeParser(other), other});
        }
        mappedCsv << ci;
        converters << ValueConverter(c.type, vo);
        mappedColumns << &c;
    }
    formatsUsed.removeDuplicates();
    if (o.formatsMustApply)
        for (auto it = o.formats.cbegin(); it != o.formats.cend(); ++it)
            if (!formatsUsed.contains(it.key()))
                return fail(s, Outcome::InputError, QStringLiteral("--format %1=%2: no date/time column loaded from %3 into %4 is called "
                                                                   "\"%1\" (the date/time columns: %5)")
                                                        .arg(it.key(), it.value(), file, s.target,
                                                             formatsUsed.isEmpty() ? QStringLiteral("none") : formatsUsed.join(QStringLiteral(", "))));
    // A table column's N in the staging table's cN (and in the lists above), or -1.
    const auto stageColumnOf = [&mappedColumns](const QString &column) {
        for (int i = 0; i < mappedColumns.size(); ++i)
            if (mappedColumns.at(i)->name == column)
                return i;
        return -1;
    };
    if (mappedCsv.isEmpty())
        return fail(s, Outcome::InputError, QStringLiteral("%1: no CSV column matches a column of %2 (CSV columns: %3); use --map")
                                                .arg(file, s.target, csvColumns.join(QStringLiteral(", "))));
    QStringList conflictKey;
    bool conflictKeyNullsNotDistinct = false;
    if (o.conflict == Conflict::Update) {
        for (int u = 0; u < table.uniqueKeys.size(); ++u) {
            bool covered = true;
            for (const QString &k : table.uniqueKeys.at(u))
                covered = covered && tableTaken[table.columnIndex(k)];
            if (covered) {
                conflictKey = table.uniqueKeys.at(u);
                conflictKeyNullsNotDistinct = table.nullsNotDistinct.value(u);
                break;
            }
        }
        if (conflictKey.isEmpty())
            return fail(s, Outcome::InputError,
                        QStringLiteral("--on-conflict update needs a unique key of %1 whose columns are all in the file (a unique index "
                                       "on an expression or with a WHERE condition cannot be the key an update matches on)")
                            .arg(s.target));
    }

    RejectsWriter rejects;
    if (!o.rejectsPath.isEmpty()) {
        QString error;
        // (written as the file was: its delimiter; a byte-order mark when it had one or was not UTF-8)
        if (!rejects.open(o.rejectsPath, &error, format.delimiter, format.hasBom || format.encoding != CsvFormat::Encoding::Utf8))
            return fail(s, Outcome::InputError, error);
    }

    // 5. Upload method: COPY unless the server cannot take it (the WASM sandbox crashes on COPY FROM STDIN).
    Upload method = o.upload;
    if (method == Upload::Auto) {
        method = db.isSingleSession() ? Upload::Insert : Upload::Copy;
    }
    s.uploadMethod = method == Upload::Copy ? QStringLiteral("copy") : QStringLiteral("insert");

    // 6. Staging table in a transaction: the target only changes at the very end.
    DbError dbError;
    auto serverFailure = [&](const DbError &e) {
        DbError ignored;
        if (db.isOpen())
            db.execScript(QStringLiteral("ROLLBACK"), &ignored);
        if (cancelled())
            return fail(s, Outcome::Cancelled, QStringLiteral("Cancelled: nothing was written to %1.").arg(s.target), e);
        if (e.sqlState == QLatin1String("55P03")) {
            const QString holder = describeLockHolders(db, {db.qualifiedName(table.schema, table.name)});
            const QString waited = o.lockTimeoutMs > 0 ? QStringLiteral(" (%1 ms)").arg(o.lockTimeoutMs) : QString();
            return fail(s, Outcome::ServerError,
                        QStringLiteral("%1 is locked by another session%2; lock_timeout%3 expired. Nothing was written to %1.")
                            .arg(s.target, holder.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(holder), waited),
                        e);
        }
        const QString sentence = e.message.endsWith(QLatin1Char('.')) ? e.message : e.message + QLatin1Char('.');
        return fail(s, e.kind == DbError::Kind::Unreachable ? Outcome::ConnectionError : Outcome::ServerError,
                    QStringLiteral("%1 Nothing was written to %2.").arg(sentence, s.target), e);
    };
    const QString stage = QStringLiteral("bfs_stage_%1_%2_%3")
                              .arg(QCoreApplication::applicationPid())
                              .arg(QDateTime::currentMSecsSinceEpoch() % 100000000)
                              .arg(s_stageCounter.fetchAndAddRelaxed(1));
    QStringList stageColumns{QStringLiteral("bfs_line bigint")};
    QStringList stageNames;
    QStringList targetNames;
    for (int i = 0; i < mappedColumns.size(); ++i) {
        stageColumns << QStringLiteral("c%1 %2").arg(i).arg(mappedColumns.at(i)->sqlType);
        stageNames << QStringLiteral("c%1").arg(i);
        targetNames << db.quoteIdentifier(mappedColumns.at(i)->name);
    }
    // With conflicts as errors, COPY can stream straight into the target inside the
    // transaction (a failure rolls everything back); skip/update and dry runs need the
    // staging table to compare keys first.
    const bool direct = method == Upload::Copy && o.conflict == Conflict::Error && !o.dryRun && !o.stageOnly;
    // The target's lock is taken inside this transaction: a session holding it makes the load fail
    // after lockTimeoutMs with the holder named, instead of waiting unseen.
    const QString lockTimeout = o.lockTimeoutMs > 0 && !o.stageOnly && !o.dryRun
        ? QStringLiteral("; SET LOCAL lock_timeout = '%1ms'").arg(o.lockTimeoutMs)
        : QString();
    if (!db.execScript(direct ? QStringLiteral("BEGIN") + lockTimeout
                              : QStringLiteral("BEGIN%4; CREATE TEMP TABLE %1 (%2)%3")
                                    .arg(stage, stageColumns.join(QStringLiteral(", ")),
                                         o.stageOnly ? QString() : QStringLiteral(" ON COMMIT DROP"), lockTimeout),
                       &dbError, QStringLiteral("create the staging table")))
        return serverFailure(dbError);
    const QString target = db.qualifiedName(table.schema, table.name);

    QElapsedTimer timer;
    timer.start();
    const int width = int(csvColumns.size());
    const int nMapped = int(mappedCsv.size());
    QByteArray copyBuffer;
    QStringList batchParams;
    QStringList failedBatch; // the parameters of an INSERT batch the server refused
    int batchRows = 0;
    // COPY's "line N" counts the rows sent; the file's line of row N is N + the offset of the
    // last mark at or before N (marks only where rejects, blank or multi-line records shift it).
    qint64 copyRows = 0;
    QList<QPair<qint64, qint64>> copyMarks; // (row sent, file line - row), at most kMaxCopyMarks
    constexpr qsizetype kMaxCopyMarks = 1 << 20; // 16 MiB even if every record spans two lines
    qint64 copyMarksEnd = -1;                     // rows after this one have no known line
    const int maxBatchRows = qMax(1, qMin(500, 60000 / (nMapped + 1)));
    bool copying = false;
    if (method == Upload::Copy) {
        const QString copy = direct ? QStringLiteral("COPY %1 (%2) FROM STDIN").arg(target, targetNames.join(QStringLiteral(", ")))
                                    : QStringLiteral("COPY %1 (bfs_line, %2) FROM STDIN").arg(stage, stageNames.join(QStringLiteral(", ")));
        if (!db.beginCopy(copy, &dbError))
            return serverFailure(dbError);
        copying = true;
    }
    auto flushInsert = [&]() -> bool {
        if (batchRows == 0)
            return true;
        QString sql = QStringLiteral("INSERT INTO %1 (bfs_line, %2) VALUES ").arg(stage, stageNames.join(QStringLiteral(", ")));
        int p = 1;
        for (int r = 0; r < batchRows; ++r) {
            sql += r ? QStringLiteral(",(") : QStringLiteral("(");
            for (int c = 0; c <= nMapped; ++c)
                sql += (c ? QStringLiteral(",$") : QStringLiteral("$")) + QString::number(p++);
            sql += QLatin1Char(')');
        }
        const bool ok = db.exec(sql, batchParams, nullptr, &dbError, QStringLiteral("upload a batch to the staging table"));
        if (!ok)
            failedBatch = batchParams;
        batchParams.clear();
        batchRows = 0;
        return ok;
    };
    auto reportProgress = [&](const QString &phase) {
        if (progress)
            progress(Progress{s.rowsRead, s.rowsRejected, reader.bytesRead(), reader.totalBytes(), phase});
    };

    // A value the server refused: its file line and CSV column, from COPY's "line N, column X"
    // or from the INSERT parameter it named.
    auto locate = [&](DbError &e) {
        qint64 line = -1;
        QString column;
        // Only the server's context ("Where:") says where: the message itself may quote a value.
        static const QRegularExpression copyAt(QStringLiteral(R"(^COPY [^,]+, line (\d+)(?:, column (.+?): )?)"),
                                               QRegularExpression::MultilineOption); // a trigger's lines may come first
        static const QRegularExpression paramAt(QStringLiteral(R"(portal parameter \$(\d+))"));
        const qsizetype whereAt = e.server.indexOf(QLatin1String("\nWhere: "));
        const QString context = whereAt < 0 ? QString() : e.server.mid(whereAt + 8);
        auto csvColumnOf = [&](int mapped) { return mapped >= 0 && mapped < nMapped ? csvColumns.at(mappedCsv.at(mapped)) : QString(); };
        if (const QRegularExpressionMatch m = copyAt.match(context); m.hasMatch()) {
            const qint64 row = m.captured(1).toLongLong();
            const auto after = std::upper_bound(copyMarks.cbegin(), copyMarks.cend(), row,
                                                [](qint64 r, const QPair<qint64, qint64> &mark) { return r < mark.first; });
            if (after != copyMarks.cbegin() && (copyMarksEnd < 0 || row <= copyMarksEnd))
                line = row + std::prev(after)->second;
            const QString col = m.captured(2);
            if (direct)
                column = csvColumnOf(stageColumnOf(col));
            else if (col.startsWith(QLatin1Char('c'))) {
                column = csvColumnOf(col.mid(1).toInt());
            }
        } else if (const QRegularExpressionMatch m = paramAt.match(context); m.hasMatch() && !failedBatch.isEmpty()) {
            const int index = m.captured(1).toInt() - 1; // bfs_line, then the mapped columns, row after row
            const int row = index / (nMapped + 1);
            line = failedBatch.value(row * (nMapped + 1)).toLongLong();
            column = csvColumnOf(index % (nMapped + 1) - 1);
        }
        const QString where = line > 0 ? QStringLiteral("%1, line %2%3").arg(file).arg(line).arg(column.isEmpty() ? QString() : QStringLiteral(", column %1").arg(column))
                                       : file;
        if (e.sqlState == QLatin1String("23505")) {
            const QString detail = e.server.section(QStringLiteral("Detail: "), 1).section(QLatin1Char('\n'), 0, 0).trimmed();
            e.message = QStringLiteral("%1: %2 already exists in %3 or on an earlier line of the file%4. Use --on-conflict skip "
                                       "or update.")
                            .arg(where, line > 0 ? QStringLiteral("the row's key") : QStringLiteral("a row's key"), s.target,
                                 detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail));
        } else if (line > 0) {
            e.message = QStringLiteral("%1: %2").arg(where, e.message);
        }
    };

    CsvRecord rec;
    QList<ValueConverter::Value> values(nMapped);
    QString stopReason;
    while (reader.next(&rec)) {
        if (!o.reportedLines.isEmpty())
            rec.line = o.reportedLines.value(rec.line, rec.line);
        ++s.rowsRead;
        QString reason;
        QString column;
        if (!rec.error.isEmpty()) {
            reason = rec.error;
            column = rec.errorColumn - 1 < csvColumns.size() && rec.errorColumn > 0 ? csvColumns.at(rec.errorColumn - 1)
                                                                                     : QString::number(rec.errorColumn);
        } else if (rec.fields.size() != width && !(rec.fields.size() < width && o.padShortRows)) {
            reason = QStringLiteral("expected %1 fields, found %2").arg(width).arg(rec.fields.size());
            if (rec.fields.size() < width && s.shortRows++ == 0)
                s.firstShortLine = rec.line;
        } else {
            if (rec.fields.size() < width) { // (unquoted empty fields: read as an empty cell is)
                if (s.shortRows++ == 0)
                    s.firstShortLine = rec.line;
                rec.fields.resize(width);
            }
            for (int i = 0; i < nMapped; ++i) {
                values[i] = converters.at(i).convert(rec.fields.at(mappedCsv.at(i)), rec.isQuoted(mappedCsv.at(i)));
                if (!values[i].ok) {
                    reason = values[i].error;
                    column = csvColumns.at(mappedCsv.at(i));
                    const auto guess = guessedOrder.constFind(i);
                    // (Proof only when the guessed pattern cannot read the date at all and the other
                    // can: a time in a DST gap fails after it was read.)
                    const QString cell = rec.fields.at(mappedCsv.at(i)).trimmed();
                    if (guess != guessedOrder.cend() && !guess->read.parse(cell).ok && guess->other.parse(cell).ok) {
                        // The order was a guess and this date proves it wrong: the rows read so
                        // far would hold other dates than the file's. Nothing is written.
                        stopReason = QStringLiteral("%1, line %2, column %3: \"%4\" is written %5, but every date of the first "
                                                    "256 KiB fit both orders and they were read as %6. Set the column's format (on the "
                                                    "command line: --format %3=%5)")
                                         .arg(file).arg(rec.line).arg(column, cell, guess->otherFormat, s.mapping.at(i).format);
                    }
                    break;
                }
                if (values[i].isNull && mappedColumns.at(i)->notNull) {
                    reason = QStringLiteral("empty value for \"%1\", which must not be NULL").arg(mappedColumns.at(i)->name);
                    column = csvColumns.at(mappedCsv.at(i));
                    break;
                }
            }
        }
        if (!stopReason.isEmpty())
            break;
        for (qsizetype u = 0; u < unnamedUnloaded.size(); ++u) {
            const int ci = unnamedUnloaded.at(u);
            if (ci < rec.fields.size() && !rec.fields.at(ci).trimmed().isEmpty()) {
                s.notes << QStringLiteral("%1: column %2 has no name in the header but holds values (the first on line %3); they were "
                                          "not loaded (name the column in the header, or map it by number: --map %2=COLUMN)")
                               .arg(file).arg(ci + 1).arg(rec.line);
                unnamedUnloaded.removeAt(u--);
            }
        }
        if (!reason.isEmpty()) {
            ++s.rowsRejected;
            if (s.firstRejections.size() < Summary::KeptRejections)
                s.firstRejections << Summary::Rejection{rec.line, column, reason};
            // Without the rejects file the rejected rows would be listed nowhere: the load stops.
            if (QString rejectsError; !rejects.write(rec.line, column, reason, rec.raw, rec.rawTruncated, &rejectsError)) {
                stopReason = rejectsError;
                break;
            }
            if (o.maxRejects >= 0 && s.rowsRejected > o.maxRejects) {
                stopReason = o.maxRejects == 0
                    ? QStringLiteral("%1, line %2%3: %4 (stopping at the first error)")
                          .arg(file).arg(rec.line).arg(column.isEmpty() ? QString() : QStringLiteral(", column %1").arg(column), reason)
                    : QStringLiteral("%1: more than %2 rejected (the first on line %3; the last on line %4%5: %6)")
                          .arg(file, o.maxRejects == 1 ? QStringLiteral("1 row") : QStringLiteral("%1 rows").arg(o.maxRejects)).arg(s.firstRejections.value(0).line).arg(rec.line)
                          .arg(column.isEmpty() ? QString() : QStringLiteral(", column %1").arg(column), reason);
                break;
            }
        } else if (copying) {
            ++copyRows;
            if (copyMarksEnd < 0 && (copyMarks.isEmpty() || copyMarks.last().second != rec.line - copyRows)) {
                if (copyMarks.size() < kMaxCopyMarks)
                    copyMarks << qMakePair(copyRows, rec.line - copyRows);
                else
                    copyMarksEnd = copyRows - 1;
            }
            if (!direct)
                copyBuffer += QByteArray::number(rec.line);
            for (int i = 0; i < nMapped; ++i) {
                if (i > 0 || !direct)
                    copyBuffer += '\t';
                appendCopyField(copyBuffer, values.at(i));
            }
            copyBuffer += '\n';
            if (copyBuffer.size() >= 256 * 1024) {
                if (!db.putCopyData(copyBuffer, &dbError)) {
                    locate(dbError);
                    return serverFailure(dbError);
                }
                copyBuffer.clear();
            }
        } else {
            batchParams << QString::number(rec.line);
            for (int i = 0; i < nMapped; ++i)
                batchParams << (values.at(i).isNull ? QString() : values.at(i).toString());
            if (++batchRows >= maxBatchRows && !flushInsert()) {
                locate(dbError);
                return serverFailure(dbError);
            }
        }
        if ((s.rowsRead & 0x3FFF) == 0)
            reportProgress(QStringLiteral("upload"));
        if ((s.rowsRead & 0x3FF) == 0 && cancelled()) // (a cancel stops the reading within a thousand rows)
            break;
    }
    s.blankLines = reader.blankLines();
    s.noteShortRows(file, o.padShortRows);
    if (QString rejectsError; !rejects.close(&rejectsError) && stopReason.isEmpty())
        stopReason = rejectsError;

    const bool stop = !stopReason.isEmpty() || cancelled();
    if (copying) {
        if (!stop && !copyBuffer.isEmpty() && !db.putCopyData(copyBuffer, &dbError)) {
            locate(dbError);
            return serverFailure(dbError);
        }
        qint64 copied = 0;
        if (!db.endCopy(stop ? "cancelled by Backfill Studio" : nullptr, &copied, &dbError) && !stop) {
            locate(dbError);
            return serverFailure(dbError);
        }
        if (direct && !stop) {
            s.secondsRead = timer.elapsed() / 1000.0;
            timer.restart();
            if (!db.execScript(QStringLiteral("COMMIT"), &dbError, QStringLiteral("commit")))
                return serverFailure(dbError);
            s.secondsInsert = timer.elapsed() / 1000.0;
            s.rowsLoaded = copied;
            s.rowsDuplicate = 0;
            // COPY counts the rows it wrote: the others a trigger or a rule dropped.
            s.rowsNotWritten = s.rowsRead - s.rowsRejected - copied;
            s.message = QStringLiteral("%1: %2 loaded, %3 skipped as duplicates, %4 rejected.%5")
                            .arg(rowsReadText(s.rowsRead)).arg(s.rowsLoaded).arg(s.rowsDuplicate).arg(s.rowsRejected).arg(s.notWrittenText());
            return s;
        }
    } else if (!stop && !flushInsert()) {
        locate(dbError);
        return serverFailure(dbError);
    }
    s.secondsRead = timer.elapsed() / 1000.0;
    if (stop) {
        DbError ignored;
        db.execScript(QStringLiteral("ROLLBACK"), &ignored);
        if (!stopReason.isEmpty())
            return fail(s, Outcome::InputError, stopReason + QStringLiteral(". Nothing was written to %1.").arg(s.target));
        return fail(s, Outcome::Cancelled, QStringLiteral("Cancelled after %1 rows: nothing was written to %2.").arg(s.rowsRead).arg(s.target));
    }
    reportProgress(QStringLiteral("insert"));
    const qint64 staged = s.rowsRead - s.rowsRejected;
    s.conflictKey = conflictKey;
    s.conflictKeyNullsNotDistinct = conflictKeyNullsNotDistinct;
    if (o.stageOnly) {
        if (!db.execScript(QStringLiteral("COMMIT"), &dbError, QStringLiteral("commit the staged rows")))
            return serverFailure(dbError);
        s.stageTable = stage;
        s.message = QStringLiteral("%1 rows staged, %2 rejected.").arg(staged).arg(s.rowsRejected);
        return s;
    }

    // 7. Staging → target.
    timer.restart();
    QueryResult r;
    if (o.dryRun) {
        // Every unique key counts (a row that meets any of them is skipped, or stops the load);
        // rows new to the table that repeat the key of an earlier line are skipped as well.
        QList<StagedKey> keys, others;
        StagedKey updateKey;
        for (int u = 0; u < table.uniqueKeys.size(); ++u)
            if (const StagedKey key = stagedKey(db, table.uniqueKeys.at(u), stageColumnOf, table.nullsNotDistinct.value(u)); !key.isEmpty()) {
                keys << key;
                (table.uniqueKeys.at(u) == conflictKey ? updateKey : others.emplace_back()) = key;
            }
        if (!keys.isEmpty()) {
            const bool update = o.conflict == Conflict::Update && !updateKey.isEmpty();
            if (!db.exec(update ? updatedAndRepeatedSql(stage, target, updateKey) : existingAndRepeatedSql(stage, target, keys), &r, &dbError,
                         QStringLiteral("count rows that already exist")))
                return serverFailure(dbError);
            s.rowsExisting = r.intValue(0, 0);
            s.rowsRepeated = r.intValue(0, 1);
        }
        if (o.conflict == Conflict::Update && !updateKey.isEmpty() && !others.isEmpty()) {
            if (!db.exec(otherKeyClashSql(stage, target, updateKey, others), &r, &dbError, QStringLiteral("count rows that meet another key")))
                return serverFailure(dbError);
            s.rowsMeetingOtherKey = r.intValue(0, 0);
        }
        db.execScript(QStringLiteral("ROLLBACK"), &dbError);
        s.secondsInsert = timer.elapsed() / 1000.0;
        s.rowsLoaded = 0;
        const QString what = dryRunAccount(s, staged, o.conflict, o.rejectsPath);
        s.message = QStringLiteral("Dry run: %1; nothing was written.").arg(what);
        if (o.conflict == Conflict::Error && s.rowsExisting + qMax<qint64>(0, s.rowsRepeated) > 0)
            s.message = QStringLiteral("Dry run: %1 of the %2 rows have a key that is already in %3 or on an earlier line of the file: "
                                       "with --on-conflict error the load would stop at the first and write nothing (use skip or "
                                       "update). Nothing was written.")
                            .arg(s.rowsExisting + qMax<qint64>(0, s.rowsRepeated)).arg(staged).arg(s.target);
        if (s.rowsMeetingOtherKey > 0)
            s.message = QStringLiteral("Dry run: %1 of the %2 rows meet a row of %3 through another unique key than the one the update "
                                       "matches on: ON CONFLICT updates through one key only, so the load would stop at the first and "
                                       "write nothing (fix those rows, or use skip). Nothing was written.")
                            .arg(s.rowsMeetingOtherKey).arg(staged).arg(s.target);
        if ((o.conflict != Conflict::Error || qMax<qint64>(0, s.rowsExisting) + qMax<qint64>(0, s.rowsRepeated) == 0) && s.rowsMeetingOtherKey == 0)
            s.splitDryRun(staged, o.conflict); // (a run that would stop has no such split)
        return s;
    }

    InsertSpec spec;
    spec.target = target;
    spec.targetColumns = targetNames;
    spec.stage = stage;
    spec.stageColumns = stageNames;
    spec.conflict = o.conflict;
    spec.keyNullsNotDistinct = conflictKeyNullsNotDistinct;
    for (int i = 0; i < mappedColumns.size(); ++i) {
        if (conflictKey.contains(mappedColumns.at(i)->name)) {
            spec.keyStageColumns << stageNames.at(i);
            spec.keyTargetColumns << targetNames.at(i);
        }
    }
    const QString sql = insertStatement(spec);
    // A savepoint keeps the staged rows readable after a refused insert: they tell its line.
    const bool savepoint = db.execScript(QStringLiteral("SAVEPOINT bfs_insert"), &dbError);
    if (!db.exec(sql, &r, &dbError, QStringLiteral("insert the staged rows into %1").arg(s.target))) {
        DbError ignored;
        if (dbError.sqlState == QLatin1String("23514") && savepoint
            && db.execScript(QStringLiteral("ROLLBACK TO SAVEPOINT bfs_insert"), &ignored)) {
            // A CHECK refused a row: its line, the constraint and what it checks.
            QString expression;
            const QString line = firstLineBreakingCheck(db, stage, target, s.mapping, dbError.constraint, QString(), {}, &expression);
            dbError.message = QStringLiteral("%1%2: the row breaks CHECK constraint %3 of %4%5. Nothing was written to %4.")
                                  .arg(file, line.isEmpty() ? QString() : QStringLiteral(", line %1").arg(line),
                                       dbError.constraint.isEmpty() ? QStringLiteral("(unnamed)") : dbError.constraint, s.target,
                                       expression.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(expression));
            db.execScript(QStringLiteral("ROLLBACK"), &ignored); // (the staging table goes with it)
            return fail(s, Outcome::ServerError, dbError.message, dbError);
        }
        if (dbError.sqlState == QLatin1String("23505")) {
            const QString detail = dbError.server.section(QStringLiteral("Detail: "), 1).section(QLatin1Char('\n'), 0, 0).trimmed();
            QString where = file;
            QString whose = QStringLiteral("a row's key");
            if (o.conflict == Conflict::Error && savepoint && db.execScript(QStringLiteral("ROLLBACK TO SAVEPOINT bfs_insert"), &ignored)) {
                // The first line whose key (the first one the file fills) is in the table or on an earlier line.
                for (const QStringList &columns : std::as_const(table.uniqueKeys)) {
                    const StagedKey key = stagedKey(db, columns, stageColumnOf);
                    QueryResult line;
                    if (!key.isEmpty() && db.exec(firstRepeatSql(stage, target, key), &line, &ignored) && !line.value(0, 0).isEmpty()) {
                        where += QStringLiteral(", line %1").arg(line.value(0, 0));
                        whose = QStringLiteral("the row's key (%1)").arg(columns.join(QStringLiteral(", ")));
                        break;
                    }
                }
            }
            dbError.message = QStringLiteral("%1: %2 already exists in %3 or on an earlier line of the file%4. %5")
                                  .arg(where, whose, s.target, detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail),
                                       o.conflict == Conflict::Update
                                           // ON CONFLICT (…) DO UPDATE matches one key; this row met another one.
                                           ? QStringLiteral("It is not the key the update matches on (%1): fix the row or load it with "
                                                            "--on-conflict skip.").arg(conflictKey.join(QStringLiteral(", ")))
                                           : QStringLiteral("Use --on-conflict skip or update."));
        }
        return serverFailure(dbError);
    }
    const qint64 written = r.rowsAffected();
    if (!db.execScript(QStringLiteral("COMMIT"), &dbError, QStringLiteral("commit")))
        return serverFailure(dbError);
    s.secondsInsert = timer.elapsed() / 1000.0;
    s.rowsLoaded = written;
    // Without ON CONFLICT no row is skipped as a duplicate: the ones missing were dropped.
    s.rowsNotWritten = o.conflict == Conflict::Error ? staged - written : 0;
    s.rowsDuplicate = staged - written - s.rowsNotWritten;
    s.message = QStringLiteral("%1: %2 loaded, %3 skipped as duplicates, %4 rejected.%5")
                    .arg(rowsReadText(s.rowsRead)).arg(s.rowsLoaded).arg(s.rowsDuplicate).arg(s.rowsRejected).arg(s.notWrittenText());
    return s;
}

} // namespace bfs
