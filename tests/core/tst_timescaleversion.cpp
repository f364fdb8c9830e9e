#include "TimescaleVersion.h"

#include <QtTest>

using bfs::TimescaleVersion;

class TestTimescaleVersion : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesExtensionVersions_data();
    void parsesExtensionVersions();
    void comparesByReleaseIgnoringSuffix();
    void rejectsGarbage();
};

void TestTimescaleVersion::parsesExtensionVersions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("major");
    QTest::addColumn<int>("minor");
    QTest::addColumn<int>("patch");
    QTest::addColumn<QString>("suffix");
    QTest::newRow("release") << "2.11.2" << 2 << 11 << 2 << "";
    QTest::newRow("dev build of the sandbox") << "2.23.0-dev" << 2 << 23 << 0 << "dev";
    QTest::newRow("release candidate") << "2.14.0-rc1" << 2 << 14 << 0 << "rc1";
    QTest::newRow("two parts") << "2.9" << 2 << 9 << 0 << "";
    QTest::newRow("surrounding space") << " 2.28.3\n" << 2 << 28 << 3 << "";
}

void TestTimescaleVersion::parsesExtensionVersions()
{
    QFETCH(QString, text);
    const TimescaleVersion v = TimescaleVersion::parse(text);
    QVERIFY(v.isValid());
    QTEST(v.major, "major");
    QTEST(v.minor, "minor");
    QTEST(v.patch, "patch");
    QTEST(v.suffix, "suffix");
    QCOMPARE(v.text, text.trimmed());
}

void TestTimescaleVersion::comparesByReleaseIgnoringSuffix()
{
    const auto v = [](const char *s) { return TimescaleVersion::parse(QString::fromLatin1(s)); };
    QVERIFY(v("2.9.3") < v("2.10.0"));
    QVERIFY(v("2.10.1") < v("2.11.0"));
    QVERIFY(v("2.11.2").atLeast(2, 11));
    QVERIFY(!v("2.10.9").atLeast(2, 11));
    QVERIFY(v("2.13.1").atLeast(2, 13, 1));
    QVERIFY(!v("2.13.0").atLeast(2, 13, 1));
    QVERIFY(v("2.23.0-dev").atLeast(2, 23, 0));
    QCOMPARE(v("2.23.0-dev").compare(v("2.23.0")), 0);
    QVERIFY(v("2.23.0-dev").isPreRelease());
    QCOMPARE(v("2.23.0-dev").toString(), QStringLiteral("2.23.0-dev"));
}

void TestTimescaleVersion::rejectsGarbage()
{
    QVERIFY(!TimescaleVersion::parse(QString()).isValid());
    QVERIFY(!TimescaleVersion::parse(QStringLiteral("timescaledb")).isValid());
    QVERIFY(!TimescaleVersion::parse(QStringLiteral("2.x.1")).isValid());
    QCOMPARE(TimescaleVersion::parse(QStringLiteral("abc")).toString(), QStringLiteral("abc"));
}

QTEST_GUILESS_MAIN(TestTimescaleVersion)
#include "tst_timescaleversion.moc"
