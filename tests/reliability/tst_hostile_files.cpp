// Hostile and broken files through `backfill-studio-cli backfill`: a clear answer, exit
// code 0, 1 or 2 as the file deserves, bounded memory, no crash, and the table untouched
// when nothing in the file was valid.
#include "Database.h"
#include "TestServers.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace bfs;

class TestHostileFiles : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyFileGetsAClearAnswer_data();
    void everyFileGetsAClearAnswer();
    void formulaCellsStayInertText();

private:
    qint64 scalar(const QString &sql);
    QTemporaryDir m_dir;
};

void TestHostileFiles::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QProcess make;
    make.start(QStringLiteral(BFS_SOURCE_DIR "/tests/data/make_hostile.sh"), {QStringLiteral("large"), m_dir.filePath(QStringLiteral("large"))});
    QVERIFY(make.waitForFinished(120000));
    QCOMPARE(make.exitCode(), 0);
}

qint64 TestHostileFiles::scalar(const QString &sql)
{
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QueryResult r;
    if (!db.open(&e) || !db.exec(sql, &r, &e))
        return -1;
    return r.intValue(0, 0);
}

void TestHostileFiles::everyFileGetsAClearAnswer_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QList<int>>("exitCodes");
    QTest::addColumn<int>("loaded"); // rows expected in the table afterwards (-1: any)
    const QString s = QStringLiteral(BFS_SOURCE_DIR "/tests/data/hostile/");
    const QString l = m_dir.filePath(QStringLiteral("large/"));
    auto row = [](const QString &path, QList<int> codes, int loaded) {
        QTest::newRow(qPrintable(QFileInfo(path).fileName())) << path << codes << loaded;
    };
    row(s + "random_bytes.csv", {1, 2}, 0);
    row(s + "png_renamed.csv", {1, 2}, 0);
    row(s + "nul_bytes.csv", {1}, 1);
    row(s + "unterminated_quote_eof.csv", {1}, 1);
    row(s + "quote_open_at_eof_no_newline.csv", {1}, 1);
    row(s + "mixed_encodings.csv", {0, 1}, -1);
    row(s + "bom_in_middle.csv", {1}, 1);
    row(s + "lone_cr_line_ends.csv", {0}, 2);
    row(s + "mixed_line_ends.csv", {0}, 3);
    row(s + "empty.csv", {2}, 0);
    row(s + "bom_only.csv", {2}, 0);
    row(s + "header_only.csv", {0}, 0);
    row(s + "ragged_rows.csv", {1}, 1);
    row(s + "only_delimiters.csv", {0}, 0); // a spreadsheet's empty rows: blank lines
    row(s + "whitespace_lines.csv", {0}, 1);
    row(s + "quote_in_unquoted_field.csv", {0}, 1);
    row(s + "text_after_closing_quote.csv", {1}, 1);
    row(s + "many_quotes.csv", {1}, 1);
    row(s + "newlines_in_quotes.csv", {0}, 1);
    row(s + "utf16le_without_bom.csv", {0}, 1);
    row(s + "utf16le_with_bom.csv", {0}, 1);
    row(s + "control_characters.csv", {0}, 1);
    row(s + "astral_unicode.csv", {0}, 1);
    row(s + "padded_fields.csv", {0}, 1);
    row(s + "semicolon_decimal_comma.csv", {0}, 1);
    row(s + "duplicate_header.csv", {0}, 1);
    row(s + "blank_header_names.csv", {0}, 1);
    row(s + "garbage_dates.csv", {1}, 0);
    row(s + "float_overflow.csv", {1}, 1);
    row(s + "integer_overflow.csv", {1}, 0);
    row(s + "missing_required.csv", {1}, 0);
    row(s + "sql_injection_text.csv", {0}, 2);
    row(s + "formula_cells.csv", {0}, 3);
    row(l + "field_30mb.csv", {1}, 1);
    row(l + "line_4mb.csv", {1}, 0);
    row(l + "columns_10000.csv", {2}, 0);
}

void TestHostileFiles::everyFileGetsAClearAnswer()
{
    QFETCH(QString, file);
    QFETCH(QList<int>, exitCodes);
    QFETCH(int, loaded);
    const QString table = QStringLiteral("hostile_") + QString::number(qHash(file) % 100000);
    {
        Database db(TestServers::pg15(QStringLiteral("bf_owner")));
        DbError e;
        QVERIFY(db.open(&e));
        QVERIFY2(db.execScript(QStringLiteral("DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, "
                                              "device_id int NOT NULL, temperature float8, status text)").arg(table), &e),
                 qPrintable(e.toString()));
    }
    const QString rejects = m_dir.filePath(table + QStringLiteral(".rejects.csv"));
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(TestServers::binary(QStringLiteral("backfill-studio-cli")),
            {QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
             QStringLiteral("--table"), table, QStringLiteral("--csv"), file, QStringLiteral("--rejects"), rejects});
    QVERIFY(p.waitForStarted());
    // Peak memory, sampled while it runs (VmHWM is the high-water mark).
    qint64 peakKb = 0;
    const QString status = QStringLiteral("/proc/%1/status").arg(p.processId());
    while (!p.waitForFinished(20)) {
        QFile f(status);
        if (f.open(QIODevice::ReadOnly))
            for (const QByteArray &line : f.readAll().split('\n'))
                if (line.startsWith("VmHWM:"))
                    peakKb = qMax(peakKb, line.mid(6).trimmed().split(' ').first().toLongLong());
    }
    const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit); // no crash
    QVERIFY2(exitCodes.contains(p.exitCode()), qPrintable(QStringLiteral("exit %1: %2").arg(p.exitCode()).arg(QString::fromUtf8(out.left(600)))));
    QVERIFY2(peakKb < 512 * 1024, qPrintable(QStringLiteral("peak %1 MB").arg(peakKb / 1024)));
    if (p.exitCode() == 2) // the message names the file
        QVERIFY2(out.contains(QFileInfo(file).fileName().toUtf8()), out.constData());
    if (p.exitCode() == 1) { // each rejected row has its line and a reason
        QFile r(rejects);
        QVERIFY(r.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = r.readAll().split('\n');
        QVERIFY(lines.size() >= 3);
        QVERIFY(QByteArray(lines.at(1)).split(',').first().toInt() >= 1);
        QVERIFY2(out.contains("rejected"), out.constData());
    }
    if (loaded >= 0)
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM %1").arg(table)), qint64(loaded));
}

void TestHostileFiles::formulaCellsStayInertText()
{
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY(db.open(&e));
    QVERIFY(db.execScript(QStringLiteral("DROP TABLE IF EXISTS formulas; CREATE TABLE formulas (time timestamptz NOT NULL, "
                                         "device_id int NOT NULL, temperature float8, status text)"), &e));
    const auto r = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(),
                                        QStringLiteral("--table"), QStringLiteral("formulas"), QStringLiteral("--csv"),
                                        QStringLiteral(BFS_SOURCE_DIR "/tests/data/hostile/formula_cells.csv")});
    QCOMPARE(r.exitCode, 0);
    QueryResult q;
    QVERIFY(db.exec(QStringLiteral("SELECT status FROM formulas ORDER BY device_id"), &q, &e));
    QCOMPARE(q.value(0, 0), QStringLiteral("=cmd|' /C calc'!A0"));
    QCOMPARE(q.value(1, 0), QStringLiteral("=HYPERLINK(\"http://x\")"));
    QCOMPARE(q.value(2, 0), QStringLiteral("@SUM(1+1)"));
}

QTEST_GUILESS_MAIN(TestHostileFiles)
#include "tst_hostile_files.moc"
