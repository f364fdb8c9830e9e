#include "CliBackfill.h"
#include "CliInspect.h"
#include "Terminal.h"

#include <QCoreApplication>
#include <QStringList>

namespace {

QString usage()
{
    return QStringLiteral(
        "Usage: backfill-studio-cli COMMAND [OPTIONS]\n"
        "\n"
        "Commands:\n"
        "  inspect --db CONNINFO [--table NAME] [--json]   show server, TimescaleDB, hypertables and chunks\n"
        "  backfill --db CONNINFO --table NAME --csv FILE [...]   load a CSV file (backfill --help lists the options)\n"
        "  recover --db CONNINFO [--journal-dir DIR]   finish interrupted backfills (recompress, resume policies)\n"
        "\n"
        "Options:\n"
        "  --version   print the version\n"
        "  --help      print this help (COMMAND --help for a command's options)\n"
        "\n"
        "Exit codes: 0 success, 1 finished with rejected rows, 2 usage or input-file error,\n"
        "3 connection or authentication, 4 server-side failure, 5 cancelled.");
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("backfill-studio-cli"));
    QCoreApplication::setOrganizationName(QStringLiteral("Backfill Studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(BACKFILL_VERSION));

    QStringList args = QCoreApplication::arguments();
    if (args.size() < 2) {
        Terminal::err(usage());
        return ExitCode::Usage;
    }
    const QString command = args.at(1);
    if (command == QLatin1String("--version") || command == QLatin1String("-v")) {
        Terminal::out(QStringLiteral("backfill-studio-cli %1").arg(QStringLiteral(BACKFILL_VERSION)));
        return ExitCode::Ok;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help")) {
        Terminal::out(usage());
        return ExitCode::Ok;
    }
    args.removeAt(1); // the parser of each command sees "program --options"
    if (command == QLatin1String("inspect"))
        return runInspect(args);
    if (command == QLatin1String("backfill"))
        return runBackfill(args);
    if (command == QLatin1String("recover"))
        return runRecover(args);
    Terminal::err(QStringLiteral("backfill-studio-cli: unknown command \"%1\"\n\n%2").arg(command, usage()));
    return ExitCode::Usage;
}
