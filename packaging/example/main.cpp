// Embeds the chunk timeline and the import wizard in another Qt application.
// Usage: embed-backfill-studio [CONNINFO TABLE]   (with no arguments: a timeline of sample chunks)
#include <ChunkTimeline.h>
#include <ImportWizard.h>
#include <ServerInspector.h>

#include <QApplication>
#include <QTimer>
#include <QVBoxLayout>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    bfs::HypertableInfo hypertable;
    bfs::ConnectionProfile profile;
    if (argc >= 3) {
        QString error;
        bfs::ConnectionProfile::fromConnInfo(QString::fromLocal8Bit(argv[1]), &profile, &error);
        bfs::ServerInspector::Options options;
        options.table = QString::fromLocal8Bit(argv[2]);
        const bfs::ServerInspection in = bfs::ServerInspector::inspect(profile, options);
        if (!in.ok()) {
            qCritical("%s", qPrintable(in.error.toString()));
            return 1;
        }
        hypertable = in.hypertables.first();
    } else {
        for (int day = 0; day < 30; ++day) {
            bfs::ChunkInfo c;
            c.name = QStringLiteral("chunk_%1").arg(day);
            c.rangeStart = QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC).addDays(day);
            c.rangeEnd = c.rangeStart.addDays(1);
            c.state = day < 20 ? bfs::ChunkInfo::State::Compressed : bfs::ChunkInfo::State::Uncompressed;
            hypertable.chunks << c;
        }
    }
    QWidget window;
    auto *layout = new QVBoxLayout(&window);
    auto *timeline = new bfs::ChunkTimeline(&window);
    timeline->setHypertable(hypertable);
    layout->addWidget(timeline);
    window.resize(900, 300);
    window.show();
    bfs::ImportWizard wizard(profile, hypertable, &window);
    if (qEnvironmentVariableIsSet("EMBED_SMOKE_TEST")) {
        // Built and started by the packaging test: show both, then leave.
        wizard.show();
        QTimer::singleShot(300, &app, [&] {
            qInfo("embedded: timeline with %lld chunks, wizard \"%s\"", qint64(hypertable.chunks.size()), qPrintable(wizard.windowTitle()));
            app.quit();
        });
    }
    return app.exec();
}
