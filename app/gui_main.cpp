#include "ConnectionProfile.h"
#include "MainWindow.h"
#include "ServerBrowser.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

#include <cstdio>

int main(int argc, char *argv[])
{
    // --version and --help work without a display (scripts, packaging checks).
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "--version") == 0 || qstrcmp(argv[i], "-v") == 0) {
            std::printf("backfill-studio %s\n", BACKFILL_VERSION);
            return 0;
        }
    }
    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/backfill-studio-256.png")));
    QApplication::setApplicationName(QStringLiteral("Backfill Studio"));
    QApplication::setOrganizationName(QStringLiteral("Backfill Studio"));
    QApplication::setApplicationVersion(QStringLiteral(BACKFILL_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Backfill historical data into compressed TimescaleDB hypertables."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption connectOption(
        QStringLiteral("connect"),
        QStringLiteral("Connect at start to CONNINFO (libpq connection string or postgresql:// URI; "
                       "the password comes from PGPASSWORD, .pgpass or the form)."),
        QStringLiteral("CONNINFO"));
    const QCommandLineOption tableOption(QStringLiteral("table"), QStringLiteral("Select this hypertable once connected."),
                                         QStringLiteral("NAME"));
    parser.addOption(connectOption);
    parser.addOption(tableOption);
    parser.process(app);

    MainWindow window;
    window.show();
    if (parser.isSet(connectOption)) {
        bfs::ConnectionProfile profile;
        QString error;
        if (!bfs::ConnectionProfile::fromConnInfo(parser.value(connectOption), &profile, &error)) {
            std::fprintf(stderr, "backfill-studio: invalid --connect value: %s\n", qPrintable(error));
            return 2;
        }
        window.connectTo(profile);
        if (parser.isSet(tableOption)) {
            const QString table = parser.value(tableOption);
            QObject::connect(window.browser(), &bfs::ServerBrowser::inspected, &window,
                             [&window, table] { window.browser()->selectHypertable(table); },
                             Qt::SingleShotConnection);
        }
    }
    return app.exec();
}
