#include "ServerBrowser.h"

#include "ChunkTableModel.h"
#include "ChunkTimeline.h"
#include "ConnectionForm.h"
#include "InspectorController.h"
#include "ServerInspector.h"

#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace bfs {

ServerBrowser::ServerBrowser(QWidget *parent)
    : QWidget(parent)
    , m_inspector(new InspectorController(this))
{
    m_form = new ConnectionForm(this);
    m_status = new QLabel(QStringLiteral("Not connected."), this);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_hypertables = new QListWidget(this);
    m_hypertables->setObjectName(QStringLiteral("hypertables"));
    m_hypertables->setAccessibleName(QStringLiteral("Hypertables"));

    m_chunks = new ChunkTableModel(this);
    m_chunkView = new QTableView(this);
    m_chunkView->setObjectName(QStringLiteral("chunks"));
    m_chunkView->setAccessibleName(QStringLiteral("Chunks"));
    m_chunkView->setModel(m_chunks);
    m_chunkView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_chunkView->setAlternatingRowColors(true);
    m_chunkView->verticalHeader()->hide();
    m_chunkView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // (no stretched last section: it would be at least the default section size, 100 pixels for
    // a ratio of four characters, and push the table past its width)

    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("details"));
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_timeline = new ChunkTimeline(this);
    auto *chunkSplitter = new QSplitter(Qt::Vertical, this);
    chunkSplitter->addWidget(m_timeline);
    chunkSplitter->addWidget(m_chunkView);
    chunkSplitter->setStretchFactor(0, 2);
    chunkSplitter->setStretchFactor(1, 3);

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_details);
    rightLayout->addWidget(chunkSplitter, 1);

    auto *splitter = new QSplitter(this);
    splitter->addWidget(m_hypertables);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({190, 810}); // (the list: a name and a count of chunks; the rest for the chunks)

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_form);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_form, &ConnectionForm::connectRequested, this, &ServerBrowser::connectTo);
    connect(m_hypertables, &QListWidget::currentRowChanged, this, &ServerBrowser::showHypertable);
    connect(m_timeline, &ChunkTimeline::chunkSelected, this, [this](int index) {
        m_chunkView->selectRow(index);
        m_chunkView->scrollTo(m_chunks->index(index, 0));
    });
    // A chunk chosen in the table, by mouse or keyboard, is shown on the timeline.
    connect(m_chunkView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
        if (current.isValid())
            m_timeline->setSelectedChunk(current.row());
    });
    connect(m_inspector, &InspectorController::finished, this,
            [this](quint64 id, const ServerInspection &result) {
                if (id != m_pendingRequest)
                    return; // an older request, superseded
                m_pendingRequest = 0;
                m_form->setBusy(false);
                showInspection(result);
            });
}

ServerBrowser::~ServerBrowser() = default;

bool ServerBrowser::currentHypertable(HypertableInfo *out) const
{
    const int row = m_hypertables->currentRow();
    if (row < 0 || row >= m_inspection.hypertables.size())
        return false;
    *out = m_inspection.hypertables.at(row);
    return true;
}

QString ServerBrowser::statusText() const
{
    return m_status->text();
}

void ServerBrowser::connectTo(const ConnectionProfile &profile)
{
    m_profile = profile;
    if (m_form->profile().host != profile.host || m_form->profile().port != profile.port)
        m_form->setProfile(profile);
    refresh();
}

void ServerBrowser::refresh()
{
    m_form->setBusy(true);
    m_status->setText(QStringLiteral("Connecting to %1…").arg(m_profile.displayTarget()));
    m_pendingRequest = m_inspector->inspect(m_profile);
}

void ServerBrowser::showInspection(const ServerInspection &in)
{
    const QString previous = m_hypertables->currentItem()
        ? m_hypertables->currentItem()->data(Qt::UserRole).toString()
        : QString();
    m_inspection = in;
    m_hypertables->clear();
    m_chunks->setHypertable(HypertableInfo());
    m_timeline->setHypertable(HypertableInfo());
    m_details->clear();

    if (in.error.isError()) {
        QString text = ServerInspector::failureText(in);
        if (in.error.kind == DbError::Kind::PasswordRequired || in.error.kind == DbError::Kind::AuthenticationFailed) {
            // (a saved connection whose password is kept nowhere: asked for here, not a dead end)
            text += QStringLiteral(" Type the password in the Password field and press Enter.");
            m_form->askForPassword();
        }
        m_status->setText(text);
        m_status->setToolTip(in.error.server);
    } else {
        m_status->setText(QStringLiteral("Connected to %1 — PostgreSQL %2, TimescaleDB %3 (%4 license), %5 hypertable(s).")
                              .arg(in.target, in.serverVersion, in.timescaleVersion.toString(), in.license)
                              .arg(in.hypertables.size()));
        m_status->setToolTip(QString());
    }
    for (const HypertableInfo &h : in.hypertables) {
        auto *item = new QListWidgetItem(
            QStringLiteral("%1\n%2 chunks, %3 compressed").arg(h.qualifiedName()).arg(h.chunks.size()).arg(h.compressedChunkCount()),
            m_hypertables);
        item->setData(Qt::UserRole, h.qualifiedName());
        item->setToolTip(h.qualifiedName());
    }
    Q_EMIT inspected(in);
    if (!previous.isEmpty())
        selectHypertable(previous);
    if (!m_hypertables->currentItem() && m_hypertables->count() > 0)
        m_hypertables->setCurrentRow(0);
}

void ServerBrowser::selectHypertable(const QString &qualifiedName)
{
    for (int i = 0; i < m_hypertables->count(); ++i) {
        if (m_hypertables->item(i)->data(Qt::UserRole).toString() == qualifiedName) {
            m_hypertables->setCurrentRow(i);
            return;
        }
    }
}

void ServerBrowser::showHypertable(int row)
{
    if (row < 0 || row >= m_inspection.hypertables.size()) {
        m_chunks->setHypertable(HypertableInfo());
        m_timeline->setHypertable(HypertableInfo());
        m_details->clear();
        return;
    }
    const HypertableInfo &h = m_inspection.hypertables.at(row);
    m_chunks->setHypertable(h);
    m_timeline->setHypertable(h);
    QStringList lines;
    if (const DimensionInfo *t = h.timeDimension())
        lines << QStringLiteral("Time column <b>%1</b> (%2), chunk interval %3")
                     .arg(t->column.toHtmlEscaped(), t->columnType.toHtmlEscaped(),
                          t->timeInterval.isEmpty() ? QString::number(t->integerInterval) : t->timeInterval);
    for (const DimensionInfo &d : h.dimensions)
        if (!d.isTime)
            lines << QStringLiteral("Space partitions on <b>%1</b>: %2").arg(d.column.toHtmlEscaped()).arg(d.numPartitions);
    if (h.compressionEnabled)
        lines << QStringLiteral("Compression: segment by %1; order by %2")
                     .arg(h.segmentBy().isEmpty() ? QStringLiteral("(none)") : h.segmentBy().join(QStringLiteral(", ")).toHtmlEscaped(),
                          h.orderBy().isEmpty() ? QStringLiteral("(not set: TimescaleDB chooses)") : h.orderBy().toHtmlEscaped());
    else
        lines << QStringLiteral("Compression is not enabled.");
    for (const UniqueKey &k : h.uniqueKeys)
        lines << QStringLiteral("%1 <b>%2</b> (%3)")
                     .arg(k.primaryKey ? QStringLiteral("Primary key") : QStringLiteral("Unique key"),
                          k.name.toHtmlEscaped(), k.columns.join(QStringLiteral(", ")).toHtmlEscaped());
    for (const PolicyJob &j : h.policies)
        lines << QStringLiteral("Job %1 %2: %3%4")
                     .arg(j.jobId)
                     .arg(j.procName.toHtmlEscaped(), j.scheduled ? QStringLiteral("scheduled") : QStringLiteral("<b>paused</b>"),
                          j.compressAfter.isEmpty() ? QString()
                                                    : QStringLiteral(", compress after %1").arg(j.compressAfter.toHtmlEscaped()));
    m_details->setText(lines.join(QStringLiteral("<br>")));
    Q_EMIT hypertableSelected(h);
}

} // namespace bfs
