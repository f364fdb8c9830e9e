// Running a backfill again after it stopped (an error, a crash, a lost connection): what its
// ledger lets the re-run skip, and what it must load again or refuse, against the sandbox.
#include "EngineSandboxCase.h"
#include "TestServers.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace bfs;

class TestEngineReruns : public EngineSandboxCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void fixingARejectedRowAndRunningAgainLoadsEachRowOnce();
    void damagedLedgerStopsTheReRun();
    void reRunInUpdateModeUpdatesTheRangesASkipRunCompleted();
    void rangesARunLoadedAreLookedUpBeforeTheyAreSkipped();
    void completedRangesThatDoNotMatchTheTableAreRefused();
    void aFailedRunAccountsForTheRowsOfItsCommittedRanges();
    void ledgersBelongToTheirTableNotToItsPrintedName();
    void journalThatCannotBeWrittenChangesNothing();
};

void TestEngineReruns::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestEngineReruns::fixingARejectedRowAndRunningAgainLoadsEachRowOnce()
{
    // No unique key (nothing would skip a row loaded twice) and a CHECK that only the server
    // knows: the third day's row stops the run after two days were committed.
    const QString table = QStringLiteral("et_fixrow");
    createHypertable(table, QStringLiteral("timestamptz"), QStringLiteral("CHECK (temperature > -100)"), QStringLiteral("2026-08-20"),
                     QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"));
    const QList<QByteArray> good{row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3)};
    const QString file = csv(QStringLiteral("fixrow.csv"), QList<QByteArray>(good) << row("2026-08-22 10:15:00+00", 3, -300));
    const QStringList args = cliBase(table, file);
    const auto first = TestServers::runCli(args, QStringLiteral("sandbox"));
    QVERIFY2(first.exitCode != 0, first.out.constData());
    QVERIFY2(first.err.contains("2 completed chunk range(s) were committed"), first.err.constData());
    // The refused row is found in the file: line 4 (the header is line 1).
    QVERIFY2(first.err.contains("fixrow.csv, line 4: the row breaks CHECK constraint et_fixrow_temperature_check of public.et_fixrow "
                                "((temperature > ('-100'::integer)::double precision)), so chunk "),
             first.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_fixrow WHERE device_id = 3")), qint64(2));

    // An edit in a range that was loaded: refused, nothing changes.
    csv(QStringLiteral("fixrow.csv"), {row("2026-08-20 10:15:00+00", 3, 22.5), good.at(1), row("2026-08-22 10:15:00+00", 3, 30)});
    const auto refused = TestServers::runCli(args, QStringLiteral("sandbox"));
    QVERIFY2(refused.exitCode != 0, refused.out.constData());
    QVERIFY2(refused.err.contains("the rows this run reads from the file for 2026-08-20 00:00 to 2026-08-21 00:00 UTC differ from the "
                                  "ones it loaded"),
             refused.err.constData());
    QVERIFY2(refused.err.contains("ledger"), refused.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_fixrow WHERE device_id = 3")), qint64(2));

    // Only the bad row fixed (the file's size and time change): the rest loads, each row once.
    csv(QStringLiteral("fixrow.csv"), QList<QByteArray>(good) << row("2026-08-22 10:15:00+00", 3, 30));
    // A script would load the whole file again: not written.
    const QString script = m_dir.filePath(QStringLiteral("fixrow.sql"));
    const auto exported = TestServers::runCli(QStringList(args) << QStringLiteral("--export-sql") << script, QStringLiteral("sandbox"));
    QCOMPARE(exported.exitCode, 2);
    QVERIFY2(exported.err.contains("already loaded 2 rows"), exported.err.constData());
    QVERIFY(!QFile::exists(script));
    const auto fixed = TestServers::runCli(args, QStringLiteral("sandbox"));
    QVERIFY2(fixed.exitCode == 0, fixed.err.constData());
    // Every row of the file accounted for: none of the two loaded before is a duplicate.
    QVERIFY2(fixed.out.contains("3 rows read: 3 loaded (2 of them before an interruption), 0 skipped as duplicates, 0 rejected."),
             fixed.out.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_fixrow WHERE device_id = 3")), qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_fixrow WHERE device_id = 3 AND temperature = 30")), qint64(1));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList(QDir::Files).isEmpty());
}

void TestEngineReruns::damagedLedgerStopsTheReRun()
{
    // The run stopped after loading two days (a CHECK refused the third); its ledger is then
    // damaged. Which ranges it loaded cannot be read, so the re-run changes nothing rather than
    // load those two days again into a table without a unique key.
    const QString table = QStringLiteral("et_ledger");
    createHypertable(table, QStringLiteral("timestamptz"), QStringLiteral("CHECK (temperature > -100)"), QStringLiteral("2026-08-20"),
                     QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"),
                     QStringLiteral("SELECT add_compression_policy('et_ledger', compress_after => interval '30 days');"));
    const QString file = csv(QStringLiteral("ledger.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3),
                                                             row("2026-08-22 10:15:00+00", 3, -300)});
    const QStringList args = cliBase(table, file);
    const auto first = TestServers::runCli(args, QStringLiteral("sandbox"));
    QVERIFY2(first.err.contains("2 completed chunk range(s) were committed"), first.err.constData());
    const QDir journals(m_dir.filePath(QStringLiteral("my.journals")));
    const QStringList ledgers = journals.entryList({QStringLiteral("*.recovered")}, QDir::Files);
    QCOMPARE(ledgers.size(), 1);
    QFile f(journals.filePath(ledgers.first()));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = f.readAll().split('\n');
    f.close();
    QVERIFY(lines.size() > 4);
    lines[2] = lines[2].left(lines[2].size() / 2);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(lines.join('\n'));
    f.close();
    csv(QStringLiteral("ledger.csv"), {row("2026-08-20 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3), row("2026-08-22 10:15:00+00", 3, 30)});
    const auto again = TestServers::runCli(args, QStringLiteral("sandbox"));
    QCOMPARE(again.exitCode, 2);
    QVERIFY2(again.err.contains("cannot read the ledger"), again.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_ledger WHERE device_id = 3")), qint64(2));
    QVERIFY(policyScheduled(table));
}

void TestEngineReruns::reRunInUpdateModeUpdatesTheRangesASkipRunCompleted()
{
    // A run with --on-conflict skip loads day 20 (the file's new value for an existing row is
    // skipped) and stops at a row a CHECK refuses on day 21. The user fixes that row and runs
    // the file again with --on-conflict update: the existing row of day 20 must get the file's
    // value too, although that range was completed.
    const QString table = QStringLiteral("et_modechange");
    createHypertable(table, QStringLiteral("timestamptz"), QStringLiteral("UNIQUE (time, device_id), CHECK (temperature < 100)"),
                     QStringLiteral("2026-08-20"), QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"),
                     QStringLiteral("SELECT add_compression_policy('et_modechange', compress_after => interval '30 days');"));
    const QString file = csv(QStringLiteral("modechange.csv"), {row("2026-08-20 05:00:00+00", 1, 55), row("2026-08-20 06:30:00+00", 3),
                                                                 row("2026-08-21 05:00:00+00", 3, 150)});
    BackfillEngine::Options o;
    o.load.csvPath = file;
    o.load.table = table;
    o.load.conflict = CsvLoader::Conflict::Skip;
    const BackfillEngine::Result first = run(o);
    QCOMPARE(first.outcome, CsvLoader::Outcome::ServerError);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_modechange WHERE device_id = 3")), qint64(1));
    QCOMPARE(scalar(QStringLiteral("SELECT temperature FROM et_modechange WHERE device_id = 1 AND time = '2026-08-20 05:00+00'")), qint64(20));
    csv(QStringLiteral("modechange.csv"), {row("2026-08-20 05:00:00+00", 1, 55), row("2026-08-20 06:30:00+00", 3), row("2026-08-21 05:00:00+00", 3, 25)});
    o.load.conflict = CsvLoader::Conflict::Update;
    const BackfillEngine::Result again = run(o);
    QVERIFY2(again.outcome == CsvLoader::Outcome::Completed, qPrintable(again.message));
    QCOMPARE(scalar(QStringLiteral("SELECT temperature FROM et_modechange WHERE device_id = 1 AND time = '2026-08-20 05:00+00'")), qint64(55));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_modechange WHERE device_id = 3")), qint64(2));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_modechange")), qint64(72 + 2));
    QVERIFY(again.load.accountedFor());
    QVERIFY2(again.load.notes.join(QLatin1Char(' ')).contains(QLatin1String("An interrupted run of this file (--on-conflict skip) may have loaded some chunk ranges")),
             qPrintable(again.load.notes.join(QLatin1Char(' '))));
    // The ledger is gone: a third run finds nothing to resume.
    QCOMPARE(QDir(m_dir.filePath(QStringLiteral("journals"))).entryList({QStringLiteral("*.recovered")}, QDir::Files).size(), 0);
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
}

void TestEngineReruns::rangesARunLoadedAreLookedUpBeforeTheyAreSkipped()
{
    // A run dies after loading every range; recover leaves its ledger for a re-run. Then the table
    // is made anew: the re-run must load the rows again, not skip them as loaded. And when only
    // some of a range's rows are gone (a table without a unique key), it must refuse: loading the
    // range again would double the others.
    const QString journals = m_dir.filePath(QStringLiteral("my.journals"));
    const QStringList recover{QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                              QStringLiteral("--journal-dir"), journals};
    for (const bool uniqueKey : {true, false}) {
        const QString table = uniqueKey ? QStringLiteral("et_anew") : QStringLiteral("et_anew_nokey");
        createTable(table, uniqueKey);
        const QString file = csv(table + QStringLiteral(".csv"), {row("2026-08-20 10:15:00+00", 7), row("2026-08-20 11:15:00+00", 7),
                                                                  row("2026-08-21 10:15:00+00", 7), row("2026-08-10 10:15:00+00", 7)});
        const QStringList args = cliBase(table, file);
        const auto crashed = TestServers::runCli(args, QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=policy_resume")});
        QCOMPARE(crashed.exitCode, 137);
        const auto recovered = TestServers::runCli(recover, QStringLiteral("sandbox"));
        QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM %1 WHERE device_id = 7").arg(table)), qint64(4));
        if (uniqueKey) {
            createTable(table, uniqueKey); // made anew, without the rows
            const auto again = TestServers::runCli(args, QStringLiteral("sandbox"));
            QVERIFY2(again.exitCode == 0, again.err.constData());
            QVERIFY2(again.out.contains("4 rows read: 4 loaded, 0 skipped as duplicates"), again.out.constData());
            QVERIFY2(again.out.contains("public.et_anew was made anew since an interrupted run of this file: that run's ledger does not apply"),
                     again.out.constData());
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_anew WHERE device_id = 7")), qint64(4));
        } else {
            QVERIFY(TestServers::sandboxScript(QStringLiteral("DELETE FROM et_anew_nokey WHERE device_id = 7 AND time = '2026-08-20 11:15+00'")).isEmpty());
            const auto refused = TestServers::runCli(args, QStringLiteral("sandbox"));
            QCOMPARE(refused.exitCode, 2);
            QVERIFY2(refused.err.contains("recorded 2026-08-20 00:00 to 2026-08-21 00:00 UTC as loaded, but only 1 of the 2 rows it "
                                          "loaded from the file are in public.et_anew_nokey"),
                     refused.err.constData());
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_anew_nokey WHERE device_id = 7")), qint64(3));
        }
        QVERIFY(policyScheduled(table));
    }
}

void TestEngineReruns::completedRangesThatDoNotMatchTheTableAreRefused()
{
    // A run dies after its first range (day 20) committed. Before the re-run the table's rows no
    // longer match the file's: whatever the re-run does must not write a row twice or leave one
    // out, so it refuses and changes nothing.
    const QString journals = m_dir.filePath(QStringLiteral("my.journals"));
    auto crashThenRerun = [&](const QString &table, const QList<QByteArray> &rows, const QString &between, const QStringList &rerunArgs) {
        const QString file = csv(table + QStringLiteral(".csv"), rows);
        const auto crashed = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=chunk_begin#3")});
        if (crashed.exitCode != 137)
            qWarning("the run did not crash: %s", crashed.err.constData());
        const QString error = between.isEmpty() ? QString() : TestServers::sandboxScript(between);
        if (!error.isEmpty())
            qWarning("%s", qPrintable(error));
        return TestServers::runCli(cliBase(table, file) + rerunArgs, QStringLiteral("sandbox"));
    };
    const QList<QByteArray> rows{QByteArray("2026-08-20 05:30:00+00,3,21,50,a"), QByteArray("2026-08-20 06:30:00+00,3,22,50,b"),
                                 QByteArray("2026-08-21 05:30:00+00,3,23,50,c"), QByteArray("2026-08-22 05:30:00+00,3,24,50,d")};
    const QString range = QStringLiteral("2026-08-20"), to = QStringLiteral("2026-08-22 23:00");
    const QString policy = QStringLiteral("SELECT add_compression_policy('%1', compress_after => interval '30 days');");

    // No unique key, a trigger that changes a value as rows go in: the rows are there, but not as
    // the file has them. (Before, the range was taken for deleted and loaded twice.)
    createHypertable(QStringLiteral("et_rr_trigger"), QStringLiteral("timestamptz"), QString(), range, to, QStringLiteral("1 hour"),
                     QStringLiteral("1 day"),
                     policy.arg(QStringLiteral("et_rr_trigger"))
                         + QStringLiteral(" CREATE OR REPLACE FUNCTION et_rr_up() RETURNS trigger LANGUAGE plpgsql AS "
                                          "$$BEGIN NEW.status := upper(NEW.status); RETURN NEW; END$$; "
                                          "CREATE TRIGGER et_rr_up BEFORE INSERT ON et_rr_trigger FOR EACH ROW EXECUTE FUNCTION et_rr_up();"));
    const auto changed = crashThenRerun(QStringLiteral("et_rr_trigger"), rows, QString(), {});
    QCOMPARE(changed.exitCode, 2);
    QVERIFY2(changed.err.contains("but only 0 of the 2 rows it loaded from the file are in public.et_rr_trigger"), changed.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_rr_trigger WHERE device_id = 3")), qint64(2));

    // No unique key, a row the file has twice, one copy deleted: counted, not just looked up.
    createHypertable(QStringLiteral("et_rr_twice"), QStringLiteral("timestamptz"), QString(), range, to, QStringLiteral("1 hour"),
                     QStringLiteral("1 day"), policy.arg(QStringLiteral("et_rr_twice")));
    const auto twice = crashThenRerun(QStringLiteral("et_rr_twice"), QList<QByteArray>{rows.at(0)} + rows,
                                      QStringLiteral("DELETE FROM et_rr_twice WHERE device_id = 3 AND status = 'a'; "
                                                     "INSERT INTO et_rr_twice VALUES ('2026-08-20 05:30:00+00', 3, 21, 50, 'a');"),
                                      {});
    QCOMPARE(twice.exitCode, 2);
    QVERIFY2(twice.err.contains("but only 2 of the 3 rows it loaded from the file are in public.et_rr_twice"), twice.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_rr_twice WHERE device_id = 3")), qint64(2));

    // A unique key with a nullable column: loading everything again in update mode would write a
    // row with a NULL in the key a second time.
    createHypertable(QStringLiteral("et_rr_nullkey"), QStringLiteral("timestamptz"), QStringLiteral("UNIQUE (time, status)"), range, to,
                     QStringLiteral("1 hour"), QStringLiteral("1 day"), policy.arg(QStringLiteral("et_rr_nullkey")));
    QList<QByteArray> nullKey = rows;
    nullKey[0] = "2026-08-20 05:30:00+00,3,21,50,NULL";
    const auto update = crashThenRerun(QStringLiteral("et_rr_nullkey"), nullKey, QString(),
                                       {QStringLiteral("--on-conflict"), QStringLiteral("update")});
    QCOMPARE(update.exitCode, 2);
    QVERIFY2(update.err.contains("is safe only with a unique key no NULL slips past"), update.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_rr_nullkey WHERE device_id = 3")), qint64(2));
    // A trigger that moves a row's time (to the hour): the staged row's own time is empty in the
    // table, the range is not. (Before, the range was taken for emptied and written twice.)
    createHypertable(QStringLiteral("et_rr_moved"), QStringLiteral("timestamptz"), QString(), range, to, QStringLiteral("1 hour"),
                     QStringLiteral("1 day"),
                     policy.arg(QStringLiteral("et_rr_moved"))
                         + QStringLiteral(" CREATE OR REPLACE FUNCTION et_rr_hour() RETURNS trigger LANGUAGE plpgsql AS "
                                          "$$BEGIN NEW.time := date_trunc('hour', NEW.time); RETURN NEW; END$$; "
                                          "CREATE TRIGGER et_rr_hour BEFORE INSERT ON et_rr_moved FOR EACH ROW EXECUTE FUNCTION et_rr_hour();"));
    const auto moved = crashThenRerun(QStringLiteral("et_rr_moved"), rows, QString(), {});
    QCOMPARE(moved.exitCode, 2);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_rr_moved WHERE device_id = 3")), qint64(2));
    for (const char *t : {"et_rr_trigger", "et_rr_twice", "et_rr_nullkey", "et_rr_moved"})
        QVERIFY(policyScheduled(QLatin1String(t)));
}

void TestEngineReruns::aFailedRunAccountsForTheRowsOfItsCommittedRanges()
{
    // Skip mode: the first day's range commits with one row skipped as a duplicate, then a CHECK
    // refuses a row of the third day. The report counts what the committed ranges did: one
    // loaded, one duplicate; the rest is for the next run.
    const QString table = QStringLiteral("et_failcount");
    createHypertable(table, QStringLiteral("timestamptz"), QStringLiteral("CHECK (temperature > -100), UNIQUE (time, device_id)"),
                     QStringLiteral("2026-08-20"), QStringLiteral("2026-08-22 23:00"), QStringLiteral("1 hour"), QStringLiteral("1 day"));
    const QString file = csv(QStringLiteral("failcount.csv"), {row("2026-08-20 10:00:00+00", 1), row("2026-08-20 10:15:00+00", 3),
                                                                row("2026-08-22 10:15:00+00", 3, -300)});
    const auto r = TestServers::runCli(QStringList(cliBase(table, file)) << QStringLiteral("--on-conflict") << QStringLiteral("skip")
                                                                         << QStringLiteral("--json"),
                                       QStringLiteral("sandbox"));
    QCOMPARE(r.exitCode, 4);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(QStringLiteral("rows_read")).toInt(), 3);
    QCOMPARE(o.value(QStringLiteral("rows_loaded")).toInt(), 1);
    QCOMPARE(o.value(QStringLiteral("rows_duplicate")).toInt(), 1);
    QCOMPARE(o.value(QStringLiteral("rows_rejected")).toInt(), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_failcount WHERE device_id = 3")), qint64(1));

    // A copy under another name is another file: a dry run of it says that the ledger is not its own.
    const QString copy = csv(QStringLiteral("failcount-copy.csv"), {row("2026-08-20 10:00:00+00", 1), row("2026-08-20 10:15:00+00", 3),
                                                                     row("2026-08-22 10:15:00+00", 3)});
    const auto copied = TestServers::runCli(QStringList(cliBase(table, copy)) << QStringLiteral("--on-conflict") << QStringLiteral("skip")
                                                                              << QStringLiteral("--dry-run"),
                                            QStringLiteral("sandbox"));
    QVERIFY2(copied.exitCode == 0, copied.err.constData());
    QVERIFY2(copied.out.contains("An interrupted run of another file into public.et_failcount (") && copied.out.contains("failcount.csv)")
                 && copied.out.contains("here their rows meet the unique key"),
             copied.out.constData());

    // Fixed and run again: the completed range is skipped, its rows counted as before.
    csv(QStringLiteral("failcount.csv"), {row("2026-08-20 10:00:00+00", 1), row("2026-08-20 10:15:00+00", 3), row("2026-08-22 10:15:00+00", 3)});
    const auto again = TestServers::runCli(QStringList(cliBase(table, file)) << QStringLiteral("--on-conflict") << QStringLiteral("skip")
                                                                             << QStringLiteral("--json"),
                                           QStringLiteral("sandbox"));
    QVERIFY2(again.exitCode == 0, again.err.constData());
    const QJsonObject a = QJsonDocument::fromJson(again.out).object();
    QCOMPARE(a.value(QStringLiteral("rows_loaded")).toInt(), 2);
    QCOMPARE(a.value(QStringLiteral("rows_duplicate")).toInt(), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_failcount WHERE device_id = 3")), qint64(2));
}

void TestEngineReruns::ledgersBelongToTheirTableNotToItsPrintedName()
{
    // "s.x".t and s."x.t" both print as s.x.t. An interrupted run into the first leaves a ledger;
    // a run of the same file into the second must neither use nor drop it, and the first's re-run
    // then loads each row once (it loaded one twice).
    QVERIFY(TestServers::sandboxScript(QStringLiteral("CREATE SCHEMA IF NOT EXISTS \"s.x\"; CREATE SCHEMA IF NOT EXISTS s;")).isEmpty());
    const QString first = QStringLiteral("\"s.x\".t"), second = QStringLiteral("s.\"x.t\"");
    for (const QString &t : {first, second})
        createHypertable(t, QStringLiteral("timestamptz"), QString(), QStringLiteral("2026-09-01"), QStringLiteral("2026-09-03 23:00"),
                         QStringLiteral("1 hour"), QStringLiteral("1 day"));
    const QString file = csv(QStringLiteral("printed.csv"), {row("2026-09-01 05:30:00+00", 3), row("2026-09-02 05:30:00+00", 3),
                                                             row("2026-09-03 05:30:00+00", 3)});
    const auto crashed = TestServers::runCli(cliBase(first, file), QStringLiteral("sandbox"), {QStringLiteral("BFS_CRASH_AT=chunk_begin#3")});
    QCOMPARE(crashed.exitCode, 137);
    const auto recovered = TestServers::runCli({QStringLiteral("recover"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                                QStringLiteral("--journal-dir"), m_dir.filePath(QStringLiteral("my.journals"))},
                                               QStringLiteral("sandbox"));
    QVERIFY2(recovered.exitCode == 0, recovered.err.constData());
    const auto other = TestServers::runCli(cliBase(second, file), QStringLiteral("sandbox"));
    QVERIFY2(other.exitCode == 0, other.err.constData());
    QVERIFY2(!other.out.contains("made anew"), other.out.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM s.\"x.t\" WHERE device_id = 3")), qint64(3));
    const auto again = TestServers::runCli(cliBase(first, file), QStringLiteral("sandbox"));
    QVERIFY2(again.exitCode == 0, again.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM \"s.x\".t WHERE device_id = 3")), qint64(3));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM (SELECT time FROM \"s.x\".t WHERE device_id = 3 GROUP BY 1 HAVING count(*) > 1) d")),
             qint64(0));
}

void TestEngineReruns::journalThatCannotBeWrittenChangesNothing()
{
    createTable(QStringLiteral("et_nojournal"));
    // The journal folder would have to be made inside a file: it cannot exist.
    const QString blocker = m_dir.filePath(QStringLiteral("not-a-folder"));
    QFile f(blocker);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    BackfillEngine::Options o;
    o.load.csvPath = csv(QStringLiteral("nojournal.csv"), {row("2026-08-20 10:15:00+00", 3)});
    o.load.table = QStringLiteral("et_nojournal");
    o.journalDirectory = blocker + QStringLiteral("/journals");
    const BackfillEngine::Result r = run(o);
    QCOMPARE(r.outcome, CsvLoader::Outcome::InputError);
    QVERIFY2(r.message.contains(o.journalDirectory), qPrintable(r.message));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_nojournal WHERE device_id = 3")), qint64(0));
    QVERIFY(policyScheduled(QStringLiteral("et_nojournal")));
    QCOMPARE(notFullyCompressed(QStringLiteral("et_nojournal")), qint64(0));
}

QTEST_GUILESS_MAIN(TestEngineReruns)

#include "tst_engine_reruns.moc"
