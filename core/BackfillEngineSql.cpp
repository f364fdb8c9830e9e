#include "BackfillEngine.h"

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
                                                 const QString &integerNow)
{
    auto quoteIdent = [](const QString &s) {
        QString q = s;
        q.replace(QLatin1Char('"'), QLatin1String("\"\""));
        return QLatin1Char('"') + q + QLatin1Char('"');
    };
    auto comment = [](const QString &text) { return QStringLiteral("-- ") + QString(text).replace(QLatin1Char('\n'), QStringLiteral("\n-- ")); };
    const QStringList parts = plan.target.split(QLatin1Char('.'));
    const QString target = quoteIdent(parts.value(0)) + QLatin1Char('.') + quoteIdent(parts.value(1));
    const bool integerTime = plan.summary.integerTime;
    const bool guarded = plan.pausePolicy; // after the pause, a failing step resumes the policy before the script stops
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
    auto onError = [&](const QString &what) {
        if (!guarded)
            return QStringList();
        const QString message = QStringLiteral("Backfill stopped: %1 failed and was rolled back. Compression policy job %2 is "
                                               "scheduled again; the steps before this one stay done.")
                                    .arg(what).arg(plan.policy.jobId);
        return QStringList{QStringLiteral("\\if :ERROR"), QStringLiteral("ROLLBACK;"),
                           QStringLiteral("SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId)}
            + refreshes
            + QStringList{QStringLiteral("\\set ON_ERROR_STOP on"),
                          QStringLiteral("DO $bfs$BEGIN RAISE EXCEPTION '%', %1; END$bfs$;").arg(literal(message)),
                          QStringLiteral("\\endif")};
    };
    QStringList out;
    out << QStringLiteral("-- Backfill Studio: plan for %1 on TimescaleDB %2").arg(plan.target, plan.version.toString());
    out << QStringLiteral("-- Generated %1. Run with: psql -f this-file.sql").arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    out << QStringLiteral("-- Conflicts: ") + plan.conflictReason;
    out << QStringLiteral("\\set ON_ERROR_STOP on");
    out << QStringLiteral("SET DateStyle = 'ISO, YMD'; -- the staged values are written as PostgreSQL prints them in ISO style");
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
        if (m.tableColumn == plan.timeColumn && !m.sqlType.startsWith(QLatin1String("timestamp with time zone")))
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
    // The planner's statistics for TimescaleDB's choices (direct compression needs an estimate of 10 rows or more).
    out << QStringLiteral("ANALYZE bfs_stage;");
    const bool compressNew = plan.compressNewChunks
        && (integerTime ? !integerNow.isEmpty() && plan.summary.stagedRows > 0 : plan.summary.minTime.isValid());
    if (compressNew) // the chunks there are now: only the ones the backfill creates are compressed at the end
        out << QStringLiteral("CREATE TEMP TABLE bfs_chunks_before AS SELECT show_chunks(%1) AS c;").arg(literal(target));
    out << QString();
    out << comment(QStringLiteral("2. ") + plan.policyReason);
    if (plan.pausePolicy) {
        out << QStringLiteral("SELECT alter_job(%1, scheduled => false);").arg(plan.policy.jobId);
        out << QStringLiteral("-- From here on, a step that fails is rolled back, the policy is scheduled again, and the script stops.");
        out << QStringLiteral("\\set ON_ERROR_STOP off");
    }
    for (int i = 0; i < plan.sessionSettings.size(); ++i) {
        out << comment(plan.sessionReasons.value(i));
        out << plan.sessionSettings.at(i) + QLatin1Char(';');
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
            // (with space partitions, the count is the time range's: rows of a partition without a chunk there get a new one)
            out << comment(QStringLiteral("%1. %2 rows in this time range — %3: %4").arg(n).arg(t.rows).arg(BackfillPlan::actionName(t.action), t.reason));
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
    if (compressNew && !integerTime) {
        out << QStringLiteral("SELECT compress_chunk(c, true) FROM show_chunks(%1, older_than => %2::interval) c "
                              "WHERE c NOT IN (SELECT c FROM bfs_chunks_before);")
                   .arg(literal(target), literal(plan.compressAfter));
        out << onError(QStringLiteral("step %1 (compressing the new chunks)").arg(n));
    } else if (compressNew) {
        // The policy's "now" for integer time: the hypertable's integer_now function.
        out << QStringLiteral("SELECT compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass, true) "
                              "FROM timescaledb_information.chunks WHERE hypertable_schema = %1 AND hypertable_name = %2 "
                              "AND NOT is_compressed AND range_end_integer <= %3()::bigint - %4::bigint "
                              "AND format('%I.%I', chunk_schema, chunk_name)::regclass NOT IN (SELECT c FROM bfs_chunks_before);")
                   .arg(literal(parts.value(0)), literal(parts.value(1)), integerNow, literal(plan.compressAfter));
        out << onError(QStringLiteral("step %1 (compressing the new chunks)").arg(n));
    } else if (plan.compressNewChunks && integerTime) {
        out << comment(QStringLiteral("New chunks are left to compression policy job %1: no single integer_now function was found "
                                      "for this hypertable.").arg(plan.policy.jobId));
    }
    ++n;
    out << QString();
    if (plan.pausePolicy) {
        out << QStringLiteral("\\set ON_ERROR_STOP on");
        out << comment(QStringLiteral("%1. Resume compression policy job %2.").arg(n++).arg(plan.policy.jobId));
        out << QStringLiteral("SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId);
    }
    if (!refreshes.isEmpty()) {
        out << comment(plan.caggReason);
        out << refreshes;
    }
    out << QStringLiteral("DROP TABLE bfs_stage;");
    if (compressNew)
        out << QStringLiteral("DROP TABLE bfs_chunks_before;");
    out << QStringLiteral("RESET DateStyle;");
    script.afterRows = out.join(QLatin1Char('\n')) + QLatin1Char('\n');
    return script;
}

} // namespace bfs
