// Who may backfill: the privileges a backfill needs are checked before anything changes, as
// the role has them, against the sandbox with roles of its own.
#include "EngineSandboxCase.h"
#include "TestServers.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace bfs;

class TestEnginePrivileges : public EngineSandboxCase
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void nonOwnerIsToldBeforeAnythingChanges();
    void ownerRolePrivilegesAreCheckedBeforeAnythingChanges();
};

void TestEnginePrivileges::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestEnginePrivileges::nonOwnerIsToldBeforeAnythingChanges()
{
    // A role that may insert into the hypertable but does not own it (nor the policy's job).
    const QString table = QStringLiteral("et_priv");
    createTable(table);
    Database admin(TestServers::sandbox());
    DbError e;
    QVERIFY2(admin.open(&e), qPrintable(e.toString()));
    QVERIFY2(admin.execScript(QStringLiteral("DO $$ BEGIN CREATE ROLE bfs_analyst LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; "
                                             "GRANT SELECT, INSERT ON et_priv TO bfs_analyst"),
                              &e),
             qPrintable(e.toString()));
    admin.close();
    ConnectionProfile analyst = TestServers::sandbox();
    analyst.user = QStringLiteral("bfs_analyst");
    const QString file = csv(QStringLiteral("priv.csv"), {row("2026-08-18 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3)});
    QStringList args = cliBase(table, file);
    args[2] = analyst.toConnInfo();
    // inspect says what the role lacks, in text and in JSON; as the owner it lacks nothing.
    const auto seen = TestServers::runCli({QStringLiteral("inspect"), QStringLiteral("--db"), analyst.toConnInfo(), QStringLiteral("--table"), table},
                                          QStringLiteral("sandbox"));
    QCOMPARE(seen.exitCode, 0);
    QVERIFY2(seen.out.contains("privileges   bfs_analyst lacks the owner's privileges (postgres), which decompress_chunk and "
                               "compress_chunk need; the privileges of postgres, which owns job "),
             seen.out.constData());
    const auto seenJson = TestServers::runCli({QStringLiteral("inspect"), QStringLiteral("--db"), analyst.toConnInfo(), QStringLiteral("--table"),
                                               table, QStringLiteral("--json")},
                                              QStringLiteral("sandbox"));
    const QJsonObject ht = QJsonDocument::fromJson(seenJson.out).object().value(QStringLiteral("hypertables")).toArray().at(0).toObject();
    QCOMPARE(ht.value(QStringLiteral("privileges")).toObject().value(QStringLiteral("owner")).toBool(true), false);
    QCOMPARE(ht.value(QStringLiteral("privileges")).toObject().value(QStringLiteral("insert")).toBool(false), true);
    QCOMPARE(ht.value(QStringLiteral("policies")).toArray().at(0).toObject().value(QStringLiteral("can_alter")).toBool(true), false);
    const auto asOwner = TestServers::runCli({QStringLiteral("inspect"), QStringLiteral("--db"), TestServers::sandbox().toConnInfo(),
                                              QStringLiteral("--table"), table},
                                             QStringLiteral("sandbox"));
    QVERIFY2(asOwner.out.contains("privileges   postgres has what a backfill needs"), asOwner.out.constData());
    // A dry run shows the plan and what blocks it, and exits as the run would.
    const auto dry = TestServers::runCli(QStringList(args) << QStringLiteral("--dry-run"), QStringLiteral("sandbox"));
    QCOMPARE(dry.exitCode, 4);
    QVERIFY2(dry.out.contains("role bfs_analyst does not own public.et_priv"), dry.out.constData());
    const auto dryJson = TestServers::runCli(QStringList(args) << QStringLiteral("--dry-run") << QStringLiteral("--json"), QStringLiteral("sandbox"));
    QCOMPARE(dryJson.exitCode, 4);
    const QJsonObject dj = QJsonDocument::fromJson(dryJson.out).object();
    QCOMPARE(dj.value(QStringLiteral("outcome")).toString(), QStringLiteral("blocked")); // (it said "completed")
    QVERIFY(!dj.value(QStringLiteral("blockers")).toArray().isEmpty());
    const auto r = TestServers::runCli(args, QStringLiteral("sandbox"));
    QCOMPARE(r.exitCode, 4);
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(QLatin1String("Nothing was changed")), qPrintable(err));
    QVERIFY2(err.contains(QLatin1String("role bfs_analyst does not own public.et_priv (owner: postgres): decompress_chunk and "
                                        "compress_chunk need the owner's privileges")),
             qPrintable(err));
    QVERIFY2(err.contains(QLatin1String("role bfs_analyst does not have the privileges of postgres, which owns compression policy job")),
             qPrintable(err));
    // Before anything changed: same rows, policy scheduled, every chunk compressed, no journal.
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_priv")), qint64(288));
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("my.journals"))).entryList(QDir::Files).isEmpty());

    // The owner runs the same file.
    const auto owner = TestServers::runCli(cliBase(table, file), QStringLiteral("sandbox"));
    QVERIFY2(owner.exitCode == 0, owner.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_priv")), qint64(290));
}

void TestEnginePrivileges::ownerRolePrivilegesAreCheckedBeforeAnythingChanges()
{
    // et_roles and its policy job belong to bfs_tabowner. A NOINHERIT member of it does not have
    // its privileges; an inheriting member does, but not INSERT once it is revoked, nor the
    // ownership of a continuous aggregate someone else made. Each is told before anything changes;
    // with everything in place the member's backfill runs.
    const QString table = QStringLiteral("et_roles");
    QVERIFY(TestServers::sandboxScript(QStringLiteral("DROP MATERIALIZED VIEW IF EXISTS et_roles_daily")).isEmpty());
    createTable(table);
    const QString setup = TestServers::sandboxScript(QStringLiteral(
                 "DO $$ BEGIN CREATE ROLE bfs_tabowner LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; "
                 "DO $$ BEGIN CREATE ROLE bfs_noinherit LOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END $$; "
                 "DO $$ BEGIN CREATE ROLE bfs_inherit LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; "
                 "GRANT bfs_tabowner TO bfs_noinherit; GRANT bfs_tabowner TO bfs_inherit; "
                 "ALTER TABLE et_roles OWNER TO bfs_tabowner; "
                 "SELECT remove_compression_policy('et_roles'); "
                 "SET ROLE bfs_tabowner; SELECT add_compression_policy('et_roles', compress_after => interval '30 days'); RESET ROLE; "
                 "REVOKE INSERT ON et_roles FROM bfs_tabowner;"));
    QVERIFY2(setup.isEmpty(), qPrintable(setup));
    const QString file = csv(QStringLiteral("roles.csv"), {row("2026-08-18 10:15:00+00", 3), row("2026-08-21 10:15:00+00", 3)});
    auto runAs = [&](const QString &role) {
        ConnectionProfile p = TestServers::sandbox();
        p.user = role;
        QStringList args = cliBase(table, file);
        args[2] = p.toConnInfo();
        return TestServers::runCli(args, QStringLiteral("sandbox"));
    };
    const auto noInherit = runAs(QStringLiteral("bfs_noinherit"));
    QCOMPARE(noInherit.exitCode, 4);
    QVERIFY2(noInherit.err.contains("role bfs_noinherit does not own public.et_roles (owner: bfs_tabowner)"), noInherit.err.constData());
    QVERIFY2(noInherit.err.contains("role bfs_noinherit does not have the privileges of bfs_tabowner, which owns compression policy job"),
             noInherit.err.constData());
    const auto noInsert = runAs(QStringLiteral("bfs_inherit"));
    QCOMPARE(noInsert.exitCode, 4);
    QVERIFY2(noInsert.err.contains("Nothing was changed: role bfs_inherit lacks the INSERT privilege on public.et_roles"), noInsert.err.constData());
    const QString aggregate = TestServers::sandboxScript(QStringLiteral(
                 "GRANT INSERT ON et_roles TO bfs_tabowner; "
                 "CREATE MATERIALIZED VIEW et_roles_daily WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                 "SELECT time_bucket('1 day', time) AS day, device_id, count(*) AS n FROM et_roles GROUP BY 1, 2 WITH NO DATA;"));
    QVERIFY2(aggregate.isEmpty(), qPrintable(aggregate));
    const auto notOwner = runAs(QStringLiteral("bfs_inherit"));
    QCOMPARE(notOwner.exitCode, 4);
    QVERIFY2(notOwner.err.contains("role bfs_inherit does not own continuous aggregate public.et_roles_daily (owner: postgres)"),
             notOwner.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_roles")), qint64(288));
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
    QVERIFY(TestServers::sandboxScript(QStringLiteral("ALTER MATERIALIZED VIEW et_roles_daily OWNER TO bfs_tabowner")).isEmpty());
    const auto member = runAs(QStringLiteral("bfs_inherit"));
    QVERIFY2(member.exitCode == 0, member.err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM et_roles")), qint64(290));
    QCOMPARE(scalar(QStringLiteral("SELECT sum(n) FROM et_roles_daily WHERE device_id = 3")), qint64(2));
    QVERIFY(policyScheduled(table));
    QCOMPARE(notFullyCompressed(table), qint64(0));
}

QTEST_GUILESS_MAIN(TestEnginePrivileges)
#include "tst_engine_privileges.moc"
