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
    return QStringLiteral("No script was written: an interrupted run of this backfill already loaded %1 rows of the file, and a "
                          "script loads the whole file. Run the backfill again to finish it (the loaded ranges are skipped).")
        .arg(planned.rowsLoadedEarlier);
}

QString BackfillEngine::exportSql(const BackfillPlan &plan, const CsvLoader::Summary &load, const QString &csvPath)
{
    auto quoteIdent = [](const QString &s) {
        QString q = s;
        q.replace(QLatin1Char('"'), QLatin1String("\"\""));
        return QLatin1Char('"') + q + QLatin1Char('"');
    };
    auto literal = [](const QString &s) {
        QString q = s;
        q.replace(QLatin1Char('\''), QLatin1String("''"));
        return QLatin1Char('\'') + q + QLatin1Char('\'');
    };
    auto comment = [](const QString &text) { return QStringLiteral("-- ") + QString(text).replace(QLatin1Char('\n'), QStringLiteral("\n-- ")); };
    const QStringList parts = plan.target.split(QLatin1Char('.'));
    const QString target = quoteIdent(parts.value(0)) + QLatin1Char('.') + quoteIdent(parts.value(1));
    const bool integerTime = plan.summary.integerTime;
    QStringList out;
    out << QStringLiteral("-- Backfill Studio: plan for %1 on TimescaleDB %2").arg(plan.target, plan.version.toString());
    out << QStringLiteral("-- Generated %1. Run with: psql -v ON_ERROR_STOP=1 -f this-file.sql").arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    out << QStringLiteral("-- Conflicts: ") + plan.conflictReason;
    out << QString();
    out << QStringLiteral("-- 1. Stage the rows. Backfill Studio converts values on the client; psql reads the file as PostgreSQL does,");
    out << QStringLiteral("--    so formats PostgreSQL cannot read (decimal commas, day-first dates) must be converted first.");
    QStringList stageDefs{QStringLiteral("bfs_line bigserial")};
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
    // \copy fills the columns in the file's order, the unmapped ones included (as text, unused).
    QStringList copyCols;
    for (int csv = 0; csv < load.mapping.size() + load.ignoredColumns.size(); ++csv) {
        QString col = QStringLiteral("x%1").arg(csv);
        for (int i = 0; i < load.mapping.size(); ++i)
            if (load.mapping.at(i).csvIndex == csv)
                col = stageCols.at(i);
        if (col.startsWith(QLatin1Char('x')))
            stageDefs << col + QStringLiteral(" text");
        copyCols << col;
    }
    out << QStringLiteral("CREATE TEMP TABLE bfs_stage (%1);").arg(stageDefs.join(QStringLiteral(", ")));
    const bool compressNew = plan.compressNewChunks && !integerTime && plan.summary.minTime.isValid();
    if (compressNew) // the chunks there are now: only the ones the backfill creates are compressed at the end
        out << QStringLiteral("CREATE TEMP TABLE bfs_chunks_before AS SELECT show_chunks(%1) AS c;").arg(literal(plan.target));
    const QString zone = load.timeZone.isEmpty() ? QStringLiteral("UTC") : load.timeZone;
    out << QStringLiteral("SET TimeZone = %1; -- times without a zone in the file are read in this one").arg(literal(zone));
    QString encoding;
    switch (load.format.encoding) {
    case CsvFormat::Encoding::Utf8: encoding = QStringLiteral("UTF8"); break;
    case CsvFormat::Encoding::Windows1252: encoding = QStringLiteral("WIN1252"); break;
    case CsvFormat::Encoding::Latin1: encoding = QStringLiteral("LATIN1"); break;
    case CsvFormat::Encoding::Utf16LE:
    case CsvFormat::Encoding::Utf16BE:
        out << QStringLiteral("-- The file is UTF-16, which COPY cannot read: convert it to UTF-8 first (e.g. iconv -f UTF-16 -t UTF-8).");
        encoding = QStringLiteral("UTF8");
        break;
    }
    if (load.format.skipLines > 0)
        out << QStringLiteral("-- COPY cannot skip the %1 line(s) before the header: remove them from the file first.").arg(load.format.skipLines);
    out << QStringLiteral("\\copy bfs_stage (%1) FROM %2 WITH (FORMAT csv, HEADER %3, DELIMITER %4, ENCODING %5)")
               .arg(copyCols.join(QStringLiteral(", ")), literal(QFileInfo(csvPath).absoluteFilePath()),
                    load.format.header ? QStringLiteral("true") : QStringLiteral("false"), literal(QString(load.format.delimiter)),
                    literal(encoding));
    out << QStringLiteral("RESET TimeZone;");
    out << QString();
    out << comment(QStringLiteral("2. ") + plan.policyReason);
    if (plan.pausePolicy)
        out << QStringLiteral("SELECT alter_job(%1, scheduled => false);").arg(plan.policy.jobId);
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
        QStringList chunkSteps;
        bool directCompress = true;
        for (const BackfillPlan::ChunkStep &t : plan.chunks) {
            if (t.chunk.rangeStart != s.chunk.rangeStart || t.chunk.rangeEnd != s.chunk.rangeEnd
                || t.chunk.rangeStartInteger != s.chunk.rangeStartInteger)
                continue;
            out << comment(QStringLiteral("%1. %2 rows — %3: %4").arg(n).arg(t.rows).arg(BackfillPlan::actionName(t.action), t.reason));
            if (t.action == BackfillPlan::Action::DecompressInsertRecompress)
                chunkSteps << QStringLiteral("SELECT decompress_chunk(%1, true);").arg(literal(t.chunk.qualifiedName()));
            directCompress = directCompress && t.directCompress;
        }
        if (directCompress)
            chunkSteps << QStringLiteral("SET LOCAL timescaledb.enable_direct_compress_insert = on;");
        ++n;
        const QString lo = integerTime ? QString::number(s.chunk.rangeStartInteger) : literal(isoUtc(s.chunk.rangeStart)) + boundCast;
        const QString hi = integerTime ? QString::number(s.chunk.rangeEndInteger) : literal(isoUtc(s.chunk.rangeEnd)) + boundCast;
        CsvLoader::InsertSpec rs = spec;
        rs.where = QStringLiteral("%1 >= %2 AND %1 < %3").arg(timeStage, lo, hi);
        out << QStringLiteral("BEGIN;");
        out << chunkSteps;
        out << CsvLoader::insertStatement(rs) + QLatin1Char(';');
        for (const BackfillPlan::ChunkStep &t : plan.chunks)
            if (t.chunk.rangeStart == s.chunk.rangeStart && t.chunk.rangeEnd == s.chunk.rangeEnd
                && t.chunk.rangeStartInteger == s.chunk.rangeStartInteger && plan.recompressInTransaction(t))
                out << (t.directCompress ? BackfillPlan::ChunkStep::compressIfPartialSql().replace(QStringLiteral("$1"), literal(t.chunk.qualifiedName()))
                                         : QStringLiteral("SELECT compress_chunk(%1, true)").arg(literal(t.chunk.qualifiedName())))
                           + QLatin1Char(';');
        out << QStringLiteral("COMMIT;");
        out << QString();
    }
    if (plan.newChunkRows > 0) {
        out << comment(QStringLiteral("%1. ").arg(n++) + plan.newChunkReason);
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
        out << QString();
    }
    out << comment(QStringLiteral("%1. ").arg(n++) + plan.recompressReason);
    if (plan.recompressNow) {
        for (const BackfillPlan::ChunkStep &s : plan.chunks)
            if (s.recompress && !plan.recompressInTransaction(s))
                out << QStringLiteral("CALL recompress_chunk(%1);").arg(literal(s.chunk.qualifiedName()));
    }
    if (compressNew)
        out << QStringLiteral("SELECT compress_chunk(c, true) FROM show_chunks(%1, older_than => %2::interval) c "
                              "WHERE c NOT IN (SELECT c FROM bfs_chunks_before);")
                   .arg(literal(plan.target), literal(plan.compressAfter));
    if (plan.compressNewChunks && integerTime)
        out << comment(QStringLiteral("New chunks are left to compression policy job %1 (integer time: unlike Backfill Studio, this "
                                      "script does not look up the hypertable's integer_now function).").arg(plan.policy.jobId));
    out << QString();
    if (plan.pausePolicy) {
        out << comment(QStringLiteral("%1. Resume compression policy job %2. If the script stopped on an error before this line, "
                                      "run this statement by hand: the policy stays paused until then.").arg(n++).arg(plan.policy.jobId));
        out << QStringLiteral("SELECT alter_job(%1, scheduled => true);").arg(plan.policy.jobId);
    }
    if (!plan.continuousAggregates.isEmpty() && plan.summary.stagedRows > 0 && (integerTime || plan.summary.minTime.isValid())) {
        out << comment(plan.caggReason);
        const QStringList window = BackfillPlan::caggRefreshWindow(plan.summary);
        for (const QString &c : plan.continuousAggregates)
            out << QStringLiteral("CALL refresh_continuous_aggregate(%1, %2, %3);").arg(literal(c), window.at(0), window.at(1));
    }
    out << QStringLiteral("DROP TABLE bfs_stage;");
    if (compressNew)
        out << QStringLiteral("DROP TABLE bfs_chunks_before;");
    return out.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace bfs
