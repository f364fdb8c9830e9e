// `backfill-studio-cli backfill` as scripts use it: exit codes, JSON summary, dry run.
#include "Database.h"
#include "TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace bfs;

class TestCliBackfill : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void loadsAndPrintsJsonSummary();
    void rejectedRowsExitWithOne();
    void duplicatesFailWithFourUnlessSkipped();
    void dryRunChangesNothing();
    void inputErrorsExitWithTwo();
    void connectionErrorsExitWithThree();
    void guessedDateOrderAndUnloadedColumnsAreNoted();

private:
    QString conninfo() const { return TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo(); }
    qint64 count(const QString &sql);
    QString freshTable(const QString &name);
    QTemporaryDir m_dir;
};

static QString sample(const char *name)
{
    return QStringLiteral(BFS_SOURCE_DIR "/resources/samples/") + QLatin1String(name);
}

void TestCliBackfill::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

// Each test function runs in its own process (one CTest test each): each gets its own table.
QString TestCliBackfill::freshTable(const QString &name)
{
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    if (!db.open(&e) || !db.execScript(QStringLiteral(
                               "DROP TABLE IF EXISTS %1; CREATE TABLE %1 (time timestamptz NOT NULL, "
                               "device_id int NOT NULL, temperature float8, humidity float8, status text, UNIQUE (time, device_id));").arg(name),
                           &e))
        qWarning("%s", qPrintable(e.toString()));
    return name;
}

qint64 TestCliBackfill::count(const QString &sql)
{
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QueryResult r;
    if (!db.open(&e) || !db.exec(sql, &r, &e))
        return -1;
    return r.intValue(0, 0);
}

void TestCliBackfill::loadsAndPrintsJsonSummary()
{
    const QString table = freshTable(QStringLiteral("cli_json"));
    const auto r = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                        table, QStringLiteral("--csv"), sample("conditions_gap.csv"),
                                        QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(QStringLiteral("rows_read")).toInt(), 336);
    QCOMPARE(o.value(QStringLiteral("rows_loaded")).toInt(), 336);
    QCOMPARE(o.value(QStringLiteral("rows_duplicate")).toInt(), 0);
    QCOMPARE(o.value(QStringLiteral("rows_rejected")).toInt(), 0);
    QVERIFY(o.value(QStringLiteral("seconds")).toObject().contains(QStringLiteral("read_and_upload")));
    QVERIFY(o.value(QStringLiteral("seconds")).toObject().contains(QStringLiteral("insert")));
    QCOMPARE(o.value(QStringLiteral("upload")).toString(), QStringLiteral("copy"));
    QCOMPARE(count(QStringLiteral("SELECT count(*) FROM cli_json WHERE device_id = 5")), qint64(336));
}

void TestCliBackfill::rejectedRowsExitWithOne()
{
    const QString table = freshTable(QStringLiteral("cli_rejects"));
    const QString rejects = m_dir.filePath(QStringLiteral("rejects.csv"));
    const auto r = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                        table, QStringLiteral("--csv"), sample("conditions_bad_rows.csv"),
                                        QStringLiteral("--rejects"), rejects});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains("48 rows read: 44 loaded, 0 skipped as duplicates, 4 rejected."), r.out.constData());
    QVERIFY(QFile::exists(rejects));
    QVERIFY2(r.out.contains(QStringLiteral("Rejected rows: %1").arg(rejects).toUtf8()), r.out.constData());
    // Without a rejects file, each rejected row is still named by its line, column and reason.
    const QString again = freshTable(QStringLiteral("cli_rejects_named"));
    const auto named = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                            again, QStringLiteral("--csv"), sample("conditions_bad_rows.csv")});
    QCOMPARE(named.exitCode, 1);
    const QByteArray file = sample("conditions_bad_rows.csv").toUtf8();
    QVERIFY2(named.err.contains("Rejected: " + file + ", line 7, column time: 2026-13-45 is not a calendar date"), named.err.constData());
    QVERIFY2(named.err.contains("Rejected: " + file + ", line 31: expected 5 fields, found 3"), named.err.constData());
    QCOMPARE(named.err.count("Rejected: "), 4);
    // … under --json too, on standard error (standard output is the JSON alone).
    const QString third = freshTable(QStringLiteral("cli_rejects_json"));
    const auto json = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                           third, QStringLiteral("--csv"), sample("conditions_bad_rows.csv"), QStringLiteral("--json")});
    QCOMPARE(json.exitCode, 1);
    QCOMPARE(QJsonDocument::fromJson(json.out).object().value(QStringLiteral("rows_rejected")).toInt(), 4);
    QCOMPARE(json.err.count("Rejected: "), 4);
    // A load stopped by --max-rejects names the rows it rejected, too, and writes nothing.
    const QString fourth = freshTable(QStringLiteral("cli_rejects_limit"));
    const auto limited = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                              fourth, QStringLiteral("--csv"), sample("conditions_bad_rows.csv"), QStringLiteral("--max-rejects"),
                                              QStringLiteral("1")});
    QCOMPARE(limited.exitCode, 2);
    QVERIFY2(limited.err.contains("more than 1 row rejected (the first on line 7; the last on line 19, column temperature"), limited.err.constData());
    QVERIFY2(limited.err.contains("Rejected: " + file + ", line 7, column time"), limited.err.constData());
    QVERIFY2(limited.err.contains("Rejected: " + file + ", line 19, column temperature"), limited.err.constData());
    QCOMPARE(count(QStringLiteral("SELECT count(*) FROM ") + fourth), qint64(0));
    // (--max-rejects 0: the message names the one row; it is not listed a second time)
    const auto first = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"), fourth,
                                            QStringLiteral("--csv"), sample("conditions_bad_rows.csv"), QStringLiteral("--max-rejects"),
                                            QStringLiteral("0")});
    QCOMPARE(first.exitCode, 2);
    QVERIFY2(first.err.contains("line 7, column time: 2026-13-45 is not a calendar date (stopping at the first error)"), first.err.constData());
    QCOMPARE(first.err.count("2026-13-45 is not a calendar date"), 1);
    // … and its JSON accounts for every row read: 2 rejected, the rest not loaded.
    const auto limitedJson = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                                  fourth, QStringLiteral("--csv"), sample("conditions_bad_rows.csv"), QStringLiteral("--max-rejects"),
                                                  QStringLiteral("1"), QStringLiteral("--json")});
    const QJsonObject lo = QJsonDocument::fromJson(limitedJson.out).object();
    QCOMPARE(lo.value(QStringLiteral("rows_read")).toInt(), 18);
    QCOMPARE(lo.value(QStringLiteral("rows_rejected")).toInt(), 2);
    QCOMPARE(lo.value(QStringLiteral("rows_not_loaded")).toInt(), 16);
    QCOMPARE(lo.value(QStringLiteral("rows_loaded")).toInt(), 0);
}

void TestCliBackfill::duplicatesFailWithFourUnlessSkipped()
{
    const QString table = freshTable(QStringLiteral("cli_dups"));
    const QStringList base{QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                           table, QStringLiteral("--csv"), sample("conditions_gap.csv")};
    QCOMPARE(TestServers::runCli(base).exitCode, 0);
    // A dry run says beforehand that the load would stop, in its exit code and its JSON outcome.
    const auto dry = TestServers::runCli(base + QStringList{QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QCOMPARE(dry.exitCode, 4);
    const QJsonObject dj = QJsonDocument::fromJson(dry.out).object();
    QCOMPARE(dj.value(QStringLiteral("outcome")).toString(), QStringLiteral("blocked"));
    QCOMPARE(dj.value(QStringLiteral("rows_existing")).toInt(), 336);
    QVERIFY(!dj.contains(QStringLiteral("rows_to_load"))); // (the run would stop: nothing to split)
    const auto dup = TestServers::runCli(base);
    QCOMPARE(dup.exitCode, 4);
    QVERIFY2(dup.err.contains("already exists"), dup.err.constData());
    // With skip, the dry run says what the run then does: rows to load and to skip.
    const auto skipDry = TestServers::runCli(base + QStringList{QStringLiteral("--on-conflict"), QStringLiteral("skip"), QStringLiteral("--json"),
                                                                QStringLiteral("--dry-run")});
    QCOMPARE(skipDry.exitCode, 0);
    const QJsonObject sd = QJsonDocument::fromJson(skipDry.out).object();
    QCOMPARE(sd.value(QStringLiteral("outcome")).toString(), QStringLiteral("completed"));
    QCOMPARE(sd.value(QStringLiteral("rows_to_load")).toInt(-1), 0);
    QCOMPARE(sd.value(QStringLiteral("rows_to_skip")).toInt(), 336);
    const auto skip = TestServers::runCli(base + QStringList{QStringLiteral("--on-conflict"), QStringLiteral("skip"), QStringLiteral("--json")});
    QCOMPARE(skip.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(skip.out).object().value(QStringLiteral("rows_duplicate")).toInt(), 336);
}

void TestCliBackfill::dryRunChangesNothing()
{
    const QString table = freshTable(QStringLiteral("cli_dry"));
    const qint64 before = count(QStringLiteral("SELECT count(*) FROM cli_dry"));
    const auto r = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                        table, QStringLiteral("--csv"), sample("conditions_duplicates.csv"),
                                        QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(QStringLiteral("dry_run")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("rows_read")).toInt(), 144);
    QVERIFY(o.contains(QStringLiteral("rows_existing")));
    QCOMPARE(count(QStringLiteral("SELECT count(*) FROM cli_dry")), before);
    // A table without a unique key: nothing can stop the run, and the dry run says what it loads
    // (it exited 4, "blocked", for want of a key count).
    {
        Database db(TestServers::pg15(QStringLiteral("bf_owner")));
        DbError e;
        QVERIFY(db.open(&e));
        QVERIFY2(db.execScript(QStringLiteral("DROP TABLE IF EXISTS cli_dry_nokey; CREATE TABLE cli_dry_nokey (time timestamptz NOT NULL, "
                                              "device_id int, temperature float8, humidity float8, status text)"),
                               &e),
                 qPrintable(e.toString()));
    }
    const auto nokey = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"),
                                            QStringLiteral("cli_dry_nokey"), QStringLiteral("--csv"), sample("conditions_duplicates.csv"),
                                            QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QCOMPARE(nokey.exitCode, 0);
    const QJsonObject n = QJsonDocument::fromJson(nokey.out).object();
    QCOMPARE(n.value(QStringLiteral("outcome")).toString(), QStringLiteral("completed"));
    QCOMPARE(n.value(QStringLiteral("rows_to_load")).toInt(), 144);
    QCOMPARE(n.value(QStringLiteral("rows_to_skip")).toInt(-1), 0);
}

void TestCliBackfill::inputErrorsExitWithTwo()
{
    const QString table = freshTable(QStringLiteral("cli_input"));
    const QStringList base{QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"), table};
    const auto missing = TestServers::runCli(base + QStringList{QStringLiteral("--csv"), QStringLiteral("/nonexistent/file.csv")});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.err.contains("/nonexistent/file.csv"), missing.err.constData());
    const auto badZone = TestServers::runCli(base + QStringList{QStringLiteral("--csv"), sample("conditions_gap.csv"),
                                                                QStringLiteral("--timezone"), QStringLiteral("Mars/Olympus")});
    QCOMPARE(badZone.exitCode, 2);
    QVERIFY(badZone.err.contains("unknown time zone"));
    const auto badMap = TestServers::runCli(base + QStringList{QStringLiteral("--csv"), sample("conditions_gap.csv"),
                                                               QStringLiteral("--map"), QStringLiteral("nope=device_id")});
    QCOMPARE(badMap.exitCode, 2);
    // One CSV column mapped twice: the second --map replaced the first, and the load failed on the
    // server at a NOT NULL column (exit 4, a hypertable's policy paused and resumed on the way).
    const auto twice = TestServers::runCli(base + QStringList{QStringLiteral("--csv"), sample("conditions_gap.csv"), QStringLiteral("--map"),
                                                              QStringLiteral("device_id=device_id"), QStringLiteral("--map"),
                                                              QStringLiteral("device_id=humidity")});
    QCOMPARE(twice.exitCode, 2);
    QVERIFY2(twice.err.contains("--map: CSV column \"device_id\" is mapped twice (to \"device_id\" and \"humidity\")"), twice.err.constData());
    QCOMPARE(count(QStringLiteral("SELECT count(*) FROM %1").arg(table)), qint64(0));
    const auto stop = TestServers::runCli(base + QStringList{QStringLiteral("--csv"), sample("conditions_bad_rows.csv"),
                                                             QStringLiteral("--max-rejects"), QStringLiteral("0"),
                                                             QStringLiteral("--on-conflict"), QStringLiteral("skip")});
    QCOMPARE(stop.exitCode, 2);
    QVERIFY2(stop.err.contains("conditions_bad_rows.csv, line 7, column time"), stop.err.constData());
    QCOMPARE(TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), conninfo()}).exitCode, 2);
}

void TestCliBackfill::connectionErrorsExitWithThree()
{
    const QString table = freshTable(QStringLiteral("cli_conn"));
    ConnectionProfile p = TestServers::pg15(QStringLiteral("bf_scram"));
    const auto r = TestServers::runCli({QStringLiteral("backfill"), QStringLiteral("--db"), p.toConnInfo(), QStringLiteral("--table"),
                                        table, QStringLiteral("--csv"), sample("conditions_gap.csv")},
                                       QStringLiteral("wrong"));
    QCOMPARE(r.exitCode, 3);
    QVERIFY(r.err.contains("rejected the user name or password"));
}


void TestCliBackfill::guessedDateOrderAndUnloadedColumnsAreNoted()
{
    // Every date fits both orders, and a column has no place in the table: both are said, in the
    // text output and in the JSON, and the load goes ahead.
    const QString table = freshTable(QStringLiteral("cli_notes"));
    const QString file = m_dir.filePath(QStringLiteral("notes.csv"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,device_id,operator,,\n01/02/2026 10:00,1,ann,,\n03/04/2026 10:00,1,bob,,\n");
    f.close();
    const QStringList base{QStringLiteral("backfill"), QStringLiteral("--db"), conninfo(), QStringLiteral("--table"), table,
                           QStringLiteral("--csv"), file};
    const auto text = TestServers::runCli(base);
    QVERIFY2(text.exitCode == 0, text.err.constData());
    QVERIFY2(text.out.contains("fits both day-first and month-first order; they are read as MM/dd/yyyy HH:mm"), text.out.constData());
    QVERIFY2(text.out.contains("not loaded, no column of public.cli_notes takes them: \"operator\"\n"), text.out.constData());
    QCOMPARE(count(QStringLiteral("SELECT count(*) FROM cli_notes WHERE time = '2026-01-02 10:00+00'")), qint64(1));
    const auto json = TestServers::runCli(QStringList(base) << QStringLiteral("--json") << QStringLiteral("--on-conflict") << QStringLiteral("skip"));
    QVERIFY2(json.exitCode == 0, json.err.constData());
    QCOMPARE(QJsonDocument::fromJson(json.out).object().value(QStringLiteral("notes")).toArray().size(), 2);
}

QTEST_GUILESS_MAIN(TestCliBackfill)
#include "tst_cli_backfill.moc"
