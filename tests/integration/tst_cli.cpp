// backfill-studio-cli as scripts use it: --version, inspect in text and JSON, exit codes.
#include "TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

class TestCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void versionComesFromCMake();
    void inspectSandboxAsJson();
    void inspectSandboxAsText();
    void inspectWithoutTimescaleSaysSo();
    void inspectTableWithoutTimescaleFails();
    void wrongPasswordExitsWithConnectionCode();
    void closedPortExitsWithConnectionCode();
    void usageErrorsExitWithTwo();
    void everyCommandPrintsItsHelpAndDoesNothingElse();

private:
    using Run = TestServers::CliRun;
    static Run cli(const QStringList &args, const QString &password = QString())
    {
        return TestServers::runCli(args, password);
    }
};

void TestCli::versionComesFromCMake()
{
    const Run r = cli({QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QByteArray("backfill-studio-cli " BFS_VERSION));
}

void TestCli::inspectSandboxAsJson()
{
    const Run r = cli({QStringLiteral("inspect"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                       QStringLiteral("--table"), QStringLiteral("conditions"), QStringLiteral("--json")},
                      QStringLiteral("sandbox"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QJsonParseError pe;
    const QJsonObject o = QJsonDocument::fromJson(r.out, &pe).object();
    QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
    QCOMPARE(o.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("license")).toString(), QStringLiteral("timescale"));
    QCOMPARE(o.value(QStringLiteral("timescaledb_version")).toObject().value(QStringLiteral("suffix")).toString(),
             QStringLiteral("dev"));
    const QJsonArray hts = o.value(QStringLiteral("hypertables")).toArray();
    QCOMPARE(hts.size(), 1);
    const QJsonObject ht = hts.first().toObject();
    QCOMPARE(ht.value(QStringLiteral("name")).toString(), QStringLiteral("conditions"));
    QCOMPARE(ht.value(QStringLiteral("chunks")).toArray().size(), 90);
    QCOMPARE(ht.value(QStringLiteral("compressed_chunks")).toInt(), 60);
    QCOMPARE(ht.value(QStringLiteral("chunks")).toArray().first().toObject().value(QStringLiteral("range_start")).toString(),
             QStringLiteral("2026-08-03T00:00:00Z"));
    QCOMPARE(ht.value(QStringLiteral("policies")).toArray().first().toObject().value(QStringLiteral("compress_after")).toString(),
             QStringLiteral("30 days"));
}

void TestCli::inspectSandboxAsText()
{
    const Run r = cli({QStringLiteral("inspect"), QStringLiteral("--db"),
                       QStringLiteral("postgresql://postgres@127.0.0.1:%1/postgres?sslmode=disable").arg(TestServers::sandboxPort())},
                      QStringLiteral("sandbox"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("TimescaleDB:  2.23.0-dev (timescale license)"));
    QVERIFY(r.out.contains("public.conditions (owner postgres): 90 chunks, 60 compressed"));
    QVERIFY(r.out.contains("unique key  conditions_time_device_id_key (time, device_id)"));
    QVERIFY(r.err.isEmpty()); // no server notice chatter on stderr
    // A table that is not there: the error, and no "Hypertables: 0" that reads as the database's count.
    const Run missing = cli({QStringLiteral("inspect"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(), QStringLiteral("--table"),
                             QStringLiteral("no_such_table")},
                            QStringLiteral("sandbox"));
    QVERIFY(missing.exitCode != 0);
    QVERIFY2(missing.err.contains("\"no_such_table\" is not a hypertable"), missing.err.constData());
    QVERIFY2(!missing.out.contains("Hypertables:"), missing.out.constData());
}

void TestCli::inspectWithoutTimescaleSaysSo()
{
    const Run r = cli({QStringLiteral("inspect"), QStringLiteral("--db"), TestServers::pg15().toConnInfo()});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("PostgreSQL:   15."));
    QVERIFY2(r.err.contains("TimescaleDB is not installed in database \"appdb\""), r.err.constData());
}

void TestCli::inspectTableWithoutTimescaleFails()
{
    const Run r = cli({QStringLiteral("inspect"), QStringLiteral("--db"), TestServers::pg15().toConnInfo(),
                       QStringLiteral("--table"), QStringLiteral("conditions"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 4);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(QStringLiteral("error")).toObject().value(QStringLiteral("kind")).toString(),
             QStringLiteral("timescaledb_not_installed"));
}

void TestCli::wrongPasswordExitsWithConnectionCode()
{
    const Run r = cli({QStringLiteral("inspect"), QStringLiteral("--db"), TestServers::pg15(QStringLiteral("bf_scram")).toConnInfo()},
                      QStringLiteral("wrong-password"));
    QCOMPARE(r.exitCode, 3);
    QVERIFY(r.err.contains("rejected the user name or password"));
    QVERIFY(!r.err.contains("wrong-password"));
}

void TestCli::closedPortExitsWithConnectionCode()
{
    bfs::ConnectionProfile p = TestServers::pg15();
    p.port = TestServers::closedPort();
    const Run r = cli({QStringLiteral("inspect"), QStringLiteral("--db"), p.toConnInfo()});
    QCOMPARE(r.exitCode, 3);
    QVERIFY(r.err.contains("Nothing answers at"));
}

void TestCli::usageErrorsExitWithTwo()
{
    QCOMPARE(cli({}).exitCode, 2);
    QCOMPARE(cli({QStringLiteral("frobnicate")}).exitCode, 2);
    QCOMPARE(cli({QStringLiteral("inspect")}).exitCode, 2);
    const Run bad = cli({QStringLiteral("inspect"), QStringLiteral("--db"), QStringLiteral("host=x nonsense=1")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY(bad.err.contains("nonsense"));
}

void TestCli::everyCommandPrintsItsHelpAndDoesNothingElse()
{
    // --help wins over everything else given: a recover with --db and --help recovers nothing
    // (it resumed a paused policy once). The unreachable server shows that nothing connects.
    const QString nowhere = QStringLiteral("host=127.0.0.1 port=1 connect_timeout=1");
    for (const QString &command : {QStringLiteral("inspect"), QStringLiteral("backfill"), QStringLiteral("recover")}) {
        const Run alone = cli({command, QStringLiteral("--help")});
        QVERIFY2(alone.exitCode == 0, qPrintable(command + QLatin1Char(' ') + QString::fromUtf8(alone.err)));
        QVERIFY2(alone.out.contains("--db"), qPrintable(command + QLatin1Char(' ') + QString::fromUtf8(alone.out)));
        const Run withDb = cli({command, QStringLiteral("--db"), nowhere, QStringLiteral("--help")});
        QVERIFY2(withDb.exitCode == 0, qPrintable(command + QLatin1Char(' ') + QString::fromUtf8(withDb.err)));
        QVERIFY(withDb.err.isEmpty());
    }
    QCOMPARE(cli({QStringLiteral("recover")}).exitCode, 2); // (still: --db is required)
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
