// Database::execPipeline: the engine sends each chunk range's BEGIN, decompress, insert and
// compress together. Answers must come back in order, the first error must stop the rest and
// name its statement, and a lost connection must say so — on PostgreSQL 15 and on the sandbox.
// Cancel requests: they reach the connection open now, and wait while they are not allowed.
#include "Database.h"
#include "TestServers.h"

#include <QtTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace bfs;

class TestDatabase : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pipelineAnswersInOrderOnPg15();
    void pipelineStopsAtTheFirstErrorOnPg15();
    void pipelineReportsALostConnectionOnPg15();
    void cancelRequestReachesTheConnectionOpenAfterAReconnect();
    void cancelRequestsWaitWhileTheyAreNotAllowed();
    void pipelineAnswersInOrderOnTheSandbox();
    void optionsOfTheConnectionStringReachTheServer();
    void pipelineStopsAtTheFirstErrorOnTheSandbox();

private:
    void answersInOrder(const ConnectionProfile &profile, const QString &table);
    void stopsAtTheFirstError(const ConnectionProfile &profile, const QString &sequence);
};

void TestDatabase::answersInOrder(const ConnectionProfile &profile, const QString &table)
{
    Database db(profile);
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    QVERIFY2(db.execScript(QStringLiteral("DROP TABLE IF EXISTS %1; CREATE TABLE %1 (id int PRIMARY KEY, note text)").arg(table), &e),
             qPrintable(e.toString()));
    const QString plan = table + QStringLiteral("_ins");
    QVERIFY2(db.prepare(plan, QStringLiteral("WITH moved AS (INSERT INTO %1 SELECT g, $2 FROM generate_series(1, $1::int) g RETURNING 1) "
                                             "SELECT count(*) AS inserted, txid_current() AS xid FROM moved").arg(table), &e),
             qPrintable(e.toString()));
    QList<QueryResult> answers;
    int failedAt = 7;
    const bool ok = db.execPipeline({{QStringLiteral("BEGIN"), {}, QString(), QString()},
                                     {QString(), {QStringLiteral("3"), QStringLiteral("it's \"quoted\"")}, plan, QString()},
                                     {QStringLiteral("SELECT count(*), max(note) FROM %1 WHERE note = $1").arg(table), {QStringLiteral("it's \"quoted\"")}, QString(), QString()},
                                     {QStringLiteral("SELECT txid_current()"), {}, QString(), QString()}},
                                    &answers, &e, &failedAt);
    QVERIFY2(ok, qPrintable(e.toString()));
    QCOMPARE(failedAt, -1);
    QCOMPARE(answers.size(), 4);
    QCOMPARE(answers.at(0).commandTag, QStringLiteral("BEGIN"));
    QCOMPARE(answers.at(1).intValue(0, QStringLiteral("inserted")), 3);
    QCOMPARE(answers.at(2).intValue(0, 0), 3); // the insert before it is seen: same transaction
    QCOMPARE(answers.at(2).value(0, 1), QStringLiteral("it's \"quoted\""));
    QVERIFY(!answers.at(1).value(0, QStringLiteral("xid")).isEmpty());
    QCOMPARE(answers.at(3).value(0, 0), answers.at(1).value(0, QStringLiteral("xid"))); // one transaction
    // The transaction stays open after the pipeline: COMMIT makes the rows visible to others.
    QVERIFY2(db.exec(QStringLiteral("COMMIT"), nullptr, &e), qPrintable(e.toString()));
    QueryResult r;
    QVERIFY2(db.exec(QStringLiteral("SELECT 1"), &r, &e), qPrintable(e.toString())); // usable as before, out of pipeline mode
    db.deallocate(plan);
    db.close(); // the sandbox serves one connection at a time
    Database other(profile);
    QVERIFY2(other.open(&e), qPrintable(e.toString()));
    QVERIFY2(other.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table), &r, &e), qPrintable(e.toString()));
    QCOMPARE(r.intValue(0, 0), 3);
    QVERIFY(other.execScript(QStringLiteral("DROP TABLE %1").arg(table), &e));
}

void TestDatabase::stopsAtTheFirstError(const ConnectionProfile &profile, const QString &sequence)
{
    Database db(profile);
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    // Sequences ignore ROLLBACK: their value shows which statements the server really ran.
    QVERIFY2(db.execScript(QStringLiteral("DROP SEQUENCE IF EXISTS %1; CREATE SEQUENCE %1").arg(sequence), &e), qPrintable(e.toString()));
    QList<QueryResult> answers;
    int failedAt = -1;
    const bool ok = db.execPipeline({{QStringLiteral("BEGIN"), {}, QString(), QString()},
                                     {QStringLiteral("SELECT nextval($1)"), {sequence}, QString(), QString()},
                                     {QStringLiteral("SELECT 1 / $1::int"), {QStringLiteral("0")}, QString(), QStringLiteral("divide for chunk X")},
                                     {QStringLiteral("SELECT nextval($1)"), {sequence}, QString(), QString()}},
                                    &answers, &e, &failedAt);
    QVERIFY(!ok);
    QCOMPARE(failedAt, 2);
    QCOMPARE(answers.size(), 2); // BEGIN and the first nextval answered; nothing after the error
    QCOMPARE(answers.at(1).intValue(0, 0), 1);
    QCOMPARE(e.sqlState, QStringLiteral("22012"));
    QCOMPARE(e.context, QStringLiteral("divide for chunk X"));
    QVERIFY(e.kind != DbError::Kind::Unreachable);
    QVERIFY2(db.execScript(QStringLiteral("ROLLBACK"), &e), qPrintable(e.toString()));
    QueryResult r;
    QVERIFY2(db.exec(QStringLiteral("SELECT nextval($1)"), {sequence}, &r, &e), qPrintable(e.toString()));
    QCOMPARE(r.intValue(0, 0), 2); // the statement after the error never ran
    QVERIFY(db.execScript(QStringLiteral("DROP SEQUENCE %1").arg(sequence), &e));
}

void TestDatabase::pipelineAnswersInOrderOnPg15()
{
    answersInOrder(TestServers::pg15(QStringLiteral("bf_owner")), QStringLiteral("pipeline_rows"));
}

void TestDatabase::pipelineStopsAtTheFirstErrorOnPg15()
{
    stopsAtTheFirstError(TestServers::pg15(QStringLiteral("bf_owner")), QStringLiteral("pipeline_seq"));
}

void TestDatabase::pipelineReportsALostConnectionOnPg15()
{
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    QueryResult r;
    QVERIFY2(db.exec(QStringLiteral("SELECT pg_backend_pid()"), &r, &e), qPrintable(e.toString()));
    const QString pid = r.value(0, 0);
    // The backend dies in the middle of the pipeline: the statement after it never answers.
    QList<QueryResult> answers;
    int failedAt = 7;
    const bool ok = db.execPipeline({{QStringLiteral("BEGIN"), {}, QString(), QString()},
                                     {QStringLiteral("SELECT pg_terminate_backend($1::int)"), {pid}, QString(), QString()},
                                     {QStringLiteral("SELECT 1"), {}, QString(), QStringLiteral("after the kill")}},
                                    &answers, &e, &failedAt);
    QVERIFY(!ok);
    QCOMPARE(e.kind, DbError::Kind::Unreachable);
    QVERIFY(!db.isOpen());
    QVERIFY(answers.size() < 3);
    QVERIFY(!e.message.isEmpty());
}

namespace {
// Sends `send` every 50 ms from another thread until the statement run by `body` ends.
bool whileCancelling(const std::function<void()> &send, const std::function<bool()> &body)
{
    std::atomic<bool> done{false};
    std::thread t([&] {
        while (!done.load()) {
            send();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    const bool ok = body();
    done = true;
    t.join();
    return ok;
}
} // namespace

void TestDatabase::cancelRequestReachesTheConnectionOpenAfterAReconnect()
{
    // The GUI takes its canceller when the run starts; after a lost connection the engine
    // reconnects, and Cancel must still stop the statement running then.
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    const std::function<void()> cancel = db.canceller();
    QVERIFY(cancel);
    QVERIFY2(db.open(&e), qPrintable(e.toString())); // a new connection, a new backend
    const bool ok = whileCancelling(cancel, [&] { return db.exec(QStringLiteral("SELECT pg_sleep(60)"), nullptr, &e); });
    QVERIFY(!ok);
    QCOMPARE(e.sqlState, QStringLiteral("57014"));
    QVERIFY(db.isOpen());
}

void TestDatabase::cancelRequestsWaitWhileTheyAreNotAllowed()
{
    // While compression and the policy are put back, no cancel request may stop a statement.
    Database db(TestServers::pg15(QStringLiteral("bf_owner")));
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    const std::function<void()> cancel = db.canceller();
    db.setCancelRequestsAllowed(false);
    QueryResult r;
    QVERIFY2(whileCancelling([&] { cancel(); db.requestCancel(); },
                             [&] { return db.exec(QStringLiteral("SELECT pg_sleep(1), 'finished'"), &r, &e); }),
             qPrintable(e.toString()));
    QCOMPARE(r.value(0, 1), QStringLiteral("finished"));
    db.setCancelRequestsAllowed(true);
    QVERIFY(!whileCancelling([&] { db.requestCancel(); }, [&] { return db.exec(QStringLiteral("SELECT pg_sleep(60)"), nullptr, &e); }));
    QCOMPARE(e.sqlState, QStringLiteral("57014"));
}

void TestDatabase::pipelineAnswersInOrderOnTheSandbox()
{
    answersInOrder(TestServers::sandbox(), QStringLiteral("pipeline_rows"));
}

void TestDatabase::pipelineStopsAtTheFirstErrorOnTheSandbox()
{
    stopsAtTheFirstError(TestServers::sandbox(), QStringLiteral("pipeline_seq"));
}

void TestDatabase::optionsOfTheConnectionStringReachTheServer()
{
    // --db "… options='-c TimeZone=Asia/Tokyo'": the session has it, as in psql.
    ConnectionProfile p;
    QString error;
    QVERIFY2(ConnectionProfile::fromConnInfo(TestServers::pg15(QStringLiteral("bf_owner")).toConnInfo()
                                                 + QStringLiteral(" options='-c TimeZone=Asia/Tokyo -c statement_timeout=4321'"),
                                             &p, &error),
             qPrintable(error));
    p.password = TestServers::pg15(QStringLiteral("bf_owner")).password;
    Database db(p);
    DbError e;
    QVERIFY2(db.open(&e), qPrintable(e.toString()));
    QueryResult r;
    QVERIFY2(db.exec(QStringLiteral("SELECT current_setting('TimeZone'), current_setting('statement_timeout')"), &r, &e), qPrintable(e.toString()));
    QCOMPARE(r.value(0, 0), QStringLiteral("Asia/Tokyo"));
    QCOMPARE(r.value(0, 1), QStringLiteral("4321ms"));
}

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
