#include "BackfillEngine.h"
#include "ValueConverter.h"

#include <QDateTime>
#include <QFileInfo>
#include <QSet>

// The plan as a psql script: kept apart from the runner, which executes the same steps.
namespace bfs {

namespace {

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz+00"));
}

} // namespace

QString BackfillEngine::exportBlocker(const Result &planned)
{
    if (planned.rowsLoadedEarlier <= 0)
        return QString();
    return QStringLiteral("No script was written: an interrupted run of this backfill already loaded %1 rows of the file. Run the "
                          "backfill again to finish it (the loaded ranges are skipped).")
        .arg(planned.rowsLoadedEarlier);
}

namespace {

QString literal(const QString &s)
{
    QString q = s;
    q.replace(QLatin1Char('\''), QLatin1String("''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

} // namespace

QString BackfillEngine::stageRowsSql(const QList<QStringList> &rows, int columns)
{
    if (rows.isEmpty())
        return QString();
    QStringList names{QStringLiteral("bfs_line")};
    for (int i = 0; i < columns; ++i)
        names << QStringLiteral("c%1").arg(i);
    QString sql = QStringLiteral("INSERT INTO bfs_stage (%1) VALUES\n").arg(names.join(QStringLiteral(", ")));
    for (int r = 0; r < rows.size(); ++r) {
        const QStringList &row = rows.at(r);
        sql += r ? QStringLiteral(",\n(") : QStringLiteral("(");
        for (int c = 0; c < row.size(); ++c) {
            if (c)
                sql += QStringLiteral(", ");
            // bfs_line is a number; every value is a literal of unknown type, read by its column's type
            sql += row.at(c).isNull() ? QStringLiteral("NULL") : c == 0 ? row.at(c) : literal(row.at(c));
        }
        sql += QLatin1Char(')');
    }
    return sql + QStringLiteral(";\n");
}

BackfillEngine::Script BackfillEngine::exportSql(const BackfillPlan &plan, const CsvLoader::Summary &load, const QString &csvPath,
                                                 const QString &integerNow, const QString &searchPath)
{
    auto quoteIdent = [](const QString &s) {
        QString q = s;
        q.replace(QLatin1Char('"'), QLatin1String("\"\""));
        return QLatin1Char('"') + q + QLatin1Char('"');
    };
    // Names and reasons (table, file and chunk names among them) stay inside comments: psql ends a
    // line at CR as at LF, and a line of its own starting with a backslash would be a psql command.
    auto comment = [](const QString &text) {
        QString t = text;
        t.replace(QStringLiteral("\r\n"), QStringLiteral("\n")).replace(QLatin1Char('\r'), QLatin1Char('\n'));
        return QStringLiteral("-- ") + t.replace(QLatin1Char('\n'), QStringLiteral("\n-- "));
    };
    const QString target = quoteIdent(plan.targetSchema) + QLatin1Char('.') + quoteIdent(plan.targetName);
    const bool integerTime = plan.summary.integerTime;
    // A step's statements go to the server as one query (psql's \;): when one fails, the rest
    // are skipped and psql's ERROR variable says so.
    auto step = [](const QStringList &statements) { return statements.join(QStringLiteral(" \\;\n")) + QLatin1Char(';'); };
    // Continuous aggregates over the backfilled range: refreshed at the end, and after a failed
    // step too (the steps before it stay done).
    QStringList refreshes;
    if (!plan.continuousAggregates.isEmpty() && plan.summary.stagedRows > 0 && (integerTime || plan.summary.minTime.isValid())) {
        const QStringList window = BackfillPlan::caggRefreshWindow(plan.summary);
        for (const QString &c : plan.continuousAggregates)
            refreshes << QStringLiteral("CALL refresh_continuous_aggregate(%1, %2, %3);").arg(literal(c), window.at(0), window.at(1));
    }
    // After the policy is paused (or when aggregates must show what committed), a failing step is
    // rolled back, the policy scheduled again and the aggregates refreshed before the script stops.
    const bool guarded = plan.pausePolicy || !refreshes.isEmpty();
    auto onError = [&](const QString &what) {
        if (!guarded)
            return QStringList();
        const QString message = QStringLiteral("Backfill stopped: %1 failed and was rolled back.%2 The steps before this one stay done.")
                                    .arg(what, plan.pausePolicy ? QStringLiteral(" Compression policy job %1 is scheduled again.").arg(plan.policy.jobId)
                                                                : QString());
        QString tag = QStringLiteral("$bfs$"); // a dollar quote the message does not contain
        for (int i = 1; message.contains(tag); ++i)
            tag = QStringLiteral("$bfs%1$").arg(i);
        QStringList block{QStringLiteral("\\if :ERROR"), QStringLiteral("ROLLBACK;")};
        if (plan.pausePolicy)
            block << QStringLiteral("SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId);
        return block + refreshes
            + QStringList{QStringLiteral("\\set ON_ERROR_STOP on"),
                          QStringLiteral("DO %1BEGIN RAISE EXCEPTION '%', %2; END%1;").arg(tag, literal(message)),
                          QStringLiteral("\\endif")};
    };
    QStringList out;
    out << comment(QStringLiteral("Backfill Studio: plan for %1 on TimescaleDB %2").arg(plan.target, plan.version.toString()));
    out << comment(QStringLiteral("Generated %1. Run with: psql -f this-file.sql").arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate)));
    out << comment(QStringLiteral("Conflicts: ") + plan.conflictReason);
    for (const QString &w : plan.warnings)
        out << comment(QStringLiteral("WARNING: ") + w);
    out << QStringLiteral("\\set ON_ERROR_STOP on");
    // The file is UTF-8, its literals standard strings (backslashes as written), its values
    // printed by PostgreSQL in ISO style: whatever the session's defaults.
    out << QStringLiteral("SET client_encoding = 'UTF8';");
    out << QStringLiteral("SET standard_conforming_strings = on;");
    out << QStringLiteral("SET DateStyle = 'ISO, YMD';");
    // Names as the exporting session resolved them (types of the staged columns, TimescaleDB's
    // functions, the integer_now function), whoever runs the script.
    if (!searchPath.isNull())
        out << QStringLiteral("SET search_path = %1;").arg(searchPath.isEmpty() ? QStringLiteral("''") : searchPath);
    out << QString();
    out << comment(QStringLiteral("1. Stage the rows: the %1 rows Backfill Studio read from %2, converted as the run converts them "
                                  "(formats, time zone, NULL tokens).")
                       .arg(plan.summary.stagedRows)
                       .arg(QFileInfo(csvPath).fileName()));
    if (load.rowsRejected > 0)
        out << comment(QStringLiteral("   %1 rejected rows of the file are not here (see the rejects file, if one was written).").arg(load.rowsRejected));
    QStringList stageDefs{QStringLiteral("bfs_line bigint")};
    QStringList stageCols, targetCols, keyStage, keyTarget;
    QString timeStage;
    QString boundCast = QStringLiteral("::timestamptz"); // the chunks' UTC bounds, as the time column's kind of time
    for (int i = 0; i < load.mapping.size(); ++i) {
        const auto &m = load.mapping.at(i);
        if (m.tableColumn == plan.timeColumn && ValueConverter::typeFromCatalog(m.sqlType) != ValueConverter::Type::TimestampTz)
            boundCast = QStringLiteral("::timestamp"); // timestamp, date: placed as if UTC; "+00" is ignored
        stageDefs << QStringLiteral("c%1 %2").arg(i).arg(m.sqlType);
        stageCols << QStringLiteral("c%1").arg(i);
        targetCols << quoteIdent(m.tableColumn);
        if (m.tableColumn == plan.timeColumn)
            timeStage = stageCols.last();
        if (load.conflictKey.contains(m.tableColumn)) {
            keyStage << stageCols.last();
            keyTarget << targetCols.last();
        }
    }
    out << QStringLiteral("CREATE TEMP TABLE bfs_stage (%1);").arg(stageDefs.join(QStringLiteral(", ")));
    Script script;
    script.beforeRows = out.join(QLatin1Char('\n')) + QLatin1Char('\n');
    out.clear();
    // Indexed and analyzed as in the run: each step picks its range's rows by time, and
    // TimescaleDB's choices (direct compression needs an estimate of 10 rows or more) read the statistics.
    out << QStringLiteral("CREATE INDEX ON bfs_stage (%1);").arg(timeStage);
    out << QStringLiteral("ANALYZE bfs_stage;");
    out << QString();
    for (int i = 0; i < plan.sessionSettings.size(); ++i) {
        out << comment(plan.sessionReasons.value(i));
        out << plan.sessionSettings.at(i) + QLatin1Char(';');
    }
    out << comment(QStringLiteral("2. ") + plan.policyReason);
    if (plan.pausePolicy) {
        out << QStringLiteral("SELECT alter_job(%1, scheduled => false);").arg(plan.policy.jobId);
        out << comment(QStringLiteral("If psql itself stops before the end (killed, connection lost), resume the policy by hand: "
                                      "SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId));
    }
    if (guarded) {
        out << QStringLiteral("-- From here on, a step that fails is rolled back%1 and the script stops.")
                   .arg(plan.pausePolicy ? QStringLiteral(", the policy is scheduled again") : QStringLiteral(", the continuous aggregates refreshed"));
        out << QStringLiteral("\\set ON_ERROR_STOP off");
    }
    out << QString();
    CsvLoader::InsertSpec spec;
    spec.target = target;
    spec.targetColumns = targetCols;
    spec.stage = QStringLiteral("bfs_stage");
    spec.stageColumns = stageCols;
    spec.conflict = plan.conflict;
    spec.keyStageColumns = keyStage;
    spec.keyTargetColumns = keyTarget;
    spec.keyNullsNotDistinct = load.conflictKeyNullsNotDistinct;
    QSet<QString> doneRanges;
    int n = 3;
    for (const BackfillPlan::ChunkStep &s : plan.chunks) {
        const QString range = integerTime ? QStringLiteral("%1-%2").arg(s.chunk.rangeStartInteger).arg(s.chunk.rangeEndInteger)
                                          : QStringLiteral("%1-%2").arg(s.chunk.rangeStart.toMSecsSinceEpoch()).arg(s.chunk.rangeEnd.toMSecsSinceEpoch());
        if (doneRanges.contains(range))
            continue;
        doneRanges.insert(range);
        QStringList statements{QStringLiteral("BEGIN")};
        QStringList names;
        bool directCompress = true;
        for (const BackfillPlan::ChunkStep &t : plan.chunks) {
            if (t.chunk.rangeStart != s.chunk.rangeStart || t.chunk.rangeEnd != s.chunk.rangeEnd
                || t.chunk.rangeStartInteger != s.chunk.rangeStartInteger)
                continue;
            out << comment(QStringLiteral("%1. %2 rows — %3: %4").arg(n).arg(t.rows).arg(BackfillPlan::actionName(t.action), t.reason));
            if (t.action == BackfillPlan::Action::DecompressInsertRecompress)
                statements << QStringLiteral("SELECT decompress_chunk(%1, true)").arg(literal(t.chunk.qualifiedName()));
            directCompress = directCompress && t.directCompress;
            names << t.chunk.qualifiedName();
        }
        if (directCompress)
            statements << QStringLiteral("SET LOCAL timescaledb.enable_direct_compress_insert = on");
        const QString lo = integerTime ? QString::number(s.chunk.rangeStartInteger) : literal(isoUtc(s.chunk.rangeStart)) + boundCast;
        const QString hi = integerTime ? QString::number(s.chunk.rangeEndInteger) : literal(isoUtc(s.chunk.rangeEnd)) + boundCast;
        CsvLoader::InsertSpec rs = spec;
        rs.where = QStringLiteral("%1 >= %2 AND %1 < %3").arg(timeStage, lo, hi);
        statements << CsvLoader::insertStatement(rs);
        for (const BackfillPlan::ChunkStep &t : plan.chunks)
            if (t.chunk.rangeStart == s.chunk.rangeStart && t.chunk.rangeEnd == s.chunk.rangeEnd
                && t.chunk.rangeStartInteger == s.chunk.rangeStartInteger && plan.recompressInTransaction(t))
                statements << (t.directCompress ? BackfillPlan::ChunkStep::compressIfPartialSql().replace(QStringLiteral("$1"), literal(t.chunk.qualifiedName()))
                                                : QStringLiteral("SELECT compress_chunk(%1, true)").arg(literal(t.chunk.qualifiedName())));
        statements << QStringLiteral("COMMIT");
        out << step(statements);
        out << onError(QStringLiteral("step %1 (%2)").arg(n).arg(names.join(QStringLiteral(", "))));
        out << QString();
        ++n;
    }
    if (plan.newChunkRows > 0) {
        out << comment(QStringLiteral("%1. ").arg(n) + plan.newChunkReason);
        QStringList ranges;
        for (const BackfillPlan::ChunkStep &s : plan.chunks)
            ranges << (integerTime ? QStringLiteral("(%1, %2)").arg(s.chunk.rangeStartInteger).arg(s.chunk.rangeEndInteger)
                                   : QStringLiteral("(%1%3, %2%3)").arg(literal(isoUtc(s.chunk.rangeStart)), literal(isoUtc(s.chunk.rangeEnd)), boundCast));
        CsvLoader::InsertSpec rs = spec;
        rs.where = ranges.isEmpty() ? QString()
                                    : QStringLiteral("NOT EXISTS (SELECT 1 FROM (VALUES %1) AS r(a, b) WHERE %2 >= r.a AND %2 < r.b)")
                                          .arg(ranges.join(QStringLiteral(", ")), timeStage);
        out << QStringLiteral("-- (rows of the chunk ranges above were inserted already)");
        out << CsvLoader::insertStatement(rs) + QLatin1Char(';');
        out << onError(QStringLiteral("step %1 (rows for new chunks)").arg(n));
        out << QString();
        ++n;
    }
    out << comment(QStringLiteral("%1. ").arg(n) + plan.recompressReason);
    if (plan.recompressNow) {
        for (const BackfillPlan::ChunkStep &s : plan.chunks)
            if (s.recompress && !plan.recompressInTransaction(s)) {
                out << QStringLiteral("CALL recompress_chunk(%1);").arg(literal(s.chunk.qualifiedName()));
                out << onError(QStringLiteral("step %1 (recompressing %2)").arg(n).arg(s.chunk.qualifiedName()));
            }
    }
    const bool compressNew = plan.compressNewChunks && plan.summary.stagedRows > 0
        && (integerTime ? !integerNow.isEmpty() : plan.summary.minTime.isValid());
    if (compressNew) {
        // As run_job would: chunks old enough for the policy that hold staged rows and are not one
        // of the plan's chunks (the ones there at export time, left as the plan says) — the new
        // ones, also when an earlier run of this script made them.
        QStringList planChunks;
        for (const BackfillPlan::ChunkStep &s : plan.chunks)
            planChunks << literal(s.chunk.qualifiedName());
        const QString chunk = QStringLiteral("format('%I.%I', i.chunk_schema, i.chunk_name)");
        const QString old = integerTime ? QStringLiteral("i.range_end_integer <= %1()::bigint - %2::bigint").arg(integerNow, literal(plan.compressAfter))
                                        : QStringLiteral("i.range_end <= now() - %1::interval").arg(literal(plan.compressAfter));
        // (timestamp and date times meet the chunks' UTC bounds without a time zone, as in the steps above)
        const QString lo = integerTime ? QStringLiteral("i.range_start_integer")
                                       : boundCast == QLatin1String("::timestamptz") ? QStringLiteral("i.range_start")
                                                                                       : QStringLiteral("(i.range_start AT TIME ZONE 'UTC')");
        const QString hi = QString(lo).replace(QStringLiteral("range_start"), QStringLiteral("range_end"));
        out << QStringLiteral("SELECT compress_chunk(%1::regclass, true) FROM timescaledb_information.chunks i "
                              "WHERE i.hypertable_schema = %2 AND i.hypertable_name = %3 AND %4%5 "
                              "AND EXISTS (SELECT 1 FROM bfs_stage s WHERE s.%6 >= %7 AND s.%6 < %8);")
                   .arg(chunk, literal(plan.targetSchema), literal(plan.targetName), old,
                        planChunks.isEmpty() ? QString() : QStringLiteral(" AND %1 <> ALL (ARRAY[%2]::text[])").arg(chunk, planChunks.join(QStringLiteral(", "))),
                        timeStage, lo, hi);
        out << onError(QStringLiteral("step %1 (compressing the new chunks)").arg(n));
    } else if (plan.compressNewChunks && integerTime) {
        out << comment(QStringLiteral("New chunks are left to compression policy job %1: no single integer_now function was found "
                                      "for this hypertable.").arg(plan.policy.jobId));
    }
    ++n;
    out << QString();
    if (guarded)
        out << QStringLiteral("\\set ON_ERROR_STOP on");
    if (plan.pausePolicy) {
        out << comment(QStringLiteral("%1. Resume compression policy job %2.").arg(n++).arg(plan.policy.jobId));
        out << QStringLiteral("SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId);
    }
    if (!refreshes.isEmpty()) {
        out << comment(plan.caggReason);
        out << refreshes;
    }
    out << QStringLiteral("DROP TABLE bfs_stage;");
    // The session's own settings again (for a script run with \\i inside a longer session).
    for (const QString &set : plan.sessionSettings)
        out << QStringLiteral("RESET %1;").arg(set.section(QLatin1Char(' '), 1, 1));
    if (!searchPath.isNull())
        out << QStringLiteral("RESET search_path;");
    out << QStringLiteral("RESET DateStyle;");
    out << QStringLiteral("RESET standard_conforming_strings;");
    out << QStringLiteral("RESET client_encoding;");
    script.afterRows = out.join(QLatin1Char('\n')) + QLatin1Char('\n');
    return script;
}

} // namespace bfs
