#include "ImportSetupPages.h"

#include "CsvReader.h"
#include "ImportSession.h"
#include "SingleThreadPool.h"
#include "ValueConverter.h"

#include <QBuffer>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimeZone>
#include <QTimer>

#include <utility>
#include <QtConcurrent/QtConcurrentRun>
#include <QVBoxLayout>

#include <algorithm>

namespace bfs {

namespace {

constexpr auto kRecentFiles = "import/recentFiles";

// The column a CSV header most likely means: exact, case-insensitive, then ignoring
// spaces, underscores and dashes ("Device ID" → device_id).
int fuzzyColumn(const TargetTable &t, const QString &header)
{
    const int exact = t.columnIndex(header);
    if (exact >= 0)
        return exact;
    auto norm = [](QString s) {
        s = s.toLower();
        s.remove(QLatin1Char(' '));
        s.remove(QLatin1Char('_'));
        s.remove(QLatin1Char('-'));
        return s;
    };
    for (int i = 0; i < t.columns.size(); ++i)
        if (norm(t.columns.at(i).name) == norm(header))
            return i;
    return -1;
}

QList<QStringList> parseSample(const QByteArray &sample, const CsvFormat &format, QStringList *header, int maxRows)
{
    QByteArray bytes = sample;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(format);
    QList<QStringList> rows;
    if (!reader.open(&buffer))
        return rows;
    *header = reader.header();
    CsvRecord rec;
    while (rows.size() < maxRows && reader.next(&rec))
        rows << rec.fields;
    if (!format.header && !rows.isEmpty())
        for (int i = 0; i < rows.first().size(); ++i)
            *header << QStringLiteral("column%1").arg(i + 1);
    return rows;
}

CsvFormat currentFormat(const ImportSession *s)
{
    return CsvLoader::effectiveFormat(s->sniffed.format, s->options.load);
}

} // namespace

// ---------------------------------------------------------------- source

ImportSourcePage::ImportSourcePage(ImportSession *session, QWidget *parent)
    : QWizardPage(parent)
    , m_session(session)
{
    setTitle(QStringLiteral("Source"));
    setSubTitle(QStringLiteral("Choose the CSV file to backfill (or drop it here)."));
    setAcceptDrops(true);
    m_file = new QLineEdit(this);
    m_file->setObjectName(QStringLiteral("file"));
    m_file->setAccessibleName(QStringLiteral("CSV file"));
    auto *browse = new QPushButton(QStringLiteral("&Browse…"), this);
    m_recent = new QComboBox(this);
    m_recent->setObjectName(QStringLiteral("recent"));
    m_recent->setAccessibleName(QStringLiteral("Recent files"));
    m_recent->addItem(QStringLiteral("Recent files…"));
    m_recent->addItems(QSettings().value(QLatin1String(kRecentFiles)).toStringList());
    m_target = new QLabel(this);
    m_target->setObjectName(QStringLiteral("target"));
    m_fileNote = new QLabel(this);
    m_fileNote->setObjectName(QStringLiteral("fileNote"));
    m_fileNote->hide(); // (shown with something to say)
    auto *row = new QHBoxLayout;
    row->addWidget(m_file, 1);
    row->addWidget(browse);
    auto *fileColumn = new QVBoxLayout;
    fileColumn->addLayout(row);
    fileColumn->addWidget(m_fileNote);
    auto *fileLabel = new QLabel(QStringLiteral("&File:"), this); // (a row of a layout takes no buddy by itself)
    fileLabel->setBuddy(m_file);
    auto *form = new QFormLayout(this);
    form->addRow(fileLabel, fileColumn);
    form->addRow(QStringLiteral("&Recent:"), m_recent);
    form->addRow(QStringLiteral("Target:"), m_target);
    m_checkTimer = new QTimer(this);
    m_checkTimer->setSingleShot(true);
    m_checkTimer->setInterval(150);
    connect(m_checkTimer, &QTimer::timeout, this, &ImportSourcePage::checkFile);
    connect(m_file, &QLineEdit::textChanged, this, [this] {
        m_nextWhenChecked = false; // (Enter was for the text before)
        ++m_checkRequest; // an answer for an earlier text no longer counts
        m_fileNote->clear();
        m_fileNote->hide();
        m_checkTimer->start();
        Q_EMIT completeChanged();
    });
    // Enter right after typing a path: Next once the path is checked (until then Next is off, and
    // Enter did nothing). When it is on, Enter presses it as the wizard's default button.
    connect(m_file, &QLineEdit::returnPressed, this, [this] { m_nextWhenChecked = m_checkTimer->isActive() || m_checking; });
    connect(browse, &QPushButton::clicked, this, [this] {
        // (starts where the last check found a file: the dialog would stat a path that does not answer)
        const QString f = QFileDialog::getOpenFileName(this, QStringLiteral("Choose a CSV file"), isComplete() ? file() : QString(),
                                                       QStringLiteral("CSV and text files (*.csv *.txt *.tsv);;All files (*)"));
        if (!f.isEmpty()) {
            setFile(f);
            // (the dialog returns a file that is there: no need to ask again)
            m_checkTimer->stop();
            ++m_checkRequest;
            m_checkedPath = file();
            m_checkedIsFile = true;
            Q_EMIT completeChanged();
        }
    });
    connect(m_recent, &QComboBox::activated, this, [this](int i) {
        if (i > 0)
            setFile(m_recent->itemText(i));
    });
    m_target->setText(m_session->tableName());
}

void ImportSourcePage::setFile(const QString &path)
{
    m_file->setText(path);
}

QString ImportSourcePage::file() const
{
    return m_file->text().trimmed();
}

bool ImportSourcePage::isComplete() const
{
    return m_checkedIsFile && m_checkedPath == file() && !m_checkTimer->isActive();
}

void ImportSourcePage::checkFile()
{
    const QString path = file();
    if (path.isEmpty())
        return;
    if (m_checking) { // one at a time: the latest text is checked when this one answers
        m_checkAgain = true;
        m_fileNote->setText(QStringLiteral("Checking the path (the last one asked has not answered yet)…"));
        m_fileNote->show();
        return;
    }
    m_checking = true;
    m_checkAgain = false;
    const int request = ++m_checkRequest;
    // Their own thread: a stat that hangs on a dead share holds up no other work (sniffing,
    // reading the table), nor quitting.
    static QThreadPool *const pool = newSingleThreadPool();
    auto *watcher = new QFutureWatcher<bool>(this);
    connect(watcher, &QFutureWatcher<bool>::finished, this, [this, watcher, request, path] {
        watcher->deleteLater();
        m_checking = false;
        if (request != m_checkRequest || m_checkAgain) {
            if (!m_checkTimer->isActive())
                checkFile();
            return;
        }
        m_checkedPath = path;
        m_checkedIsFile = watcher->result();
        m_fileNote->setText(m_checkedIsFile ? QString() : QStringLiteral("There is no file at this path."));
        m_fileNote->setVisible(!m_checkedIsFile);
        Q_EMIT completeChanged();
        if (std::exchange(m_nextWhenChecked, false) && isComplete() && wizard() && wizard()->currentPage() == this)
            wizard()->next();
    });
    watcher->setFuture(QtConcurrent::run(pool, [path] { return QFileInfo(path).isFile(); }));
}

bool ImportSourcePage::validatePage()
{
    QSettings settings;
    QStringList recent = settings.value(QLatin1String(kRecentFiles)).toStringList();
    recent.removeAll(file());
    recent.prepend(file());
    settings.setValue(QLatin1String(kRecentFiles), recent.mid(0, 10));
    if (m_session->options.load.csvPath != file()) {
        // Another file: what was detected in, or set for, the last one does not hold for it.
        CsvLoader::Options &o = m_session->options.load;
        o.delimiter.reset();
        o.encoding.reset();
        o.quote.reset();
        o.header.reset();
        o.decimalComma.reset();
        o.skipLines = 0;
        o.padShortRows = false;
        m_session->sniffed = CsvSniffer::Result();
        m_session->sample.clear();
    }
    m_session->options.load.csvPath = file();
    m_session->options.load.table = m_session->tableName();
    m_session->recall();
    m_session->sniff(file());
    if (!m_session->targetLoaded)
        m_session->loadTarget();
    return true;
}

void ImportSourcePage::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void ImportSourcePage::dropEvent(QDropEvent *event)
{
    setFile(event->mimeData()->urls().first().toLocalFile());
    event->acceptProposedAction();
}

// ---------------------------------------------------------------- format

ImportFormatPage::ImportFormatPage(ImportSession *session, QWidget *parent)
    : QWizardPage(parent)
    , m_session(session)
{
    setTitle(QStringLiteral("Format"));
    setSubTitle(QStringLiteral("How the file is written: detected from its first 256 KiB, change anything that is wrong."));
    m_delimiter = new QComboBox(this);
    m_delimiter->setObjectName(QStringLiteral("delimiter"));
    m_delimiter->addItem(QStringLiteral("Comma ,"), QStringLiteral(","));
    m_delimiter->addItem(QStringLiteral("Semicolon ;"), QStringLiteral(";"));
    m_delimiter->addItem(QStringLiteral("Tab"), QStringLiteral("\t"));
    m_delimiter->addItem(QStringLiteral("Pipe |"), QStringLiteral("|"));
    m_encoding = new QComboBox(this);
    m_encoding->setObjectName(QStringLiteral("encoding"));
    for (auto e : {CsvFormat::Encoding::Utf8, CsvFormat::Encoding::Utf16LE, CsvFormat::Encoding::Utf16BE,
                   CsvFormat::Encoding::Windows1252, CsvFormat::Encoding::Latin1})
        m_encoding->addItem(CsvFormat::encodingName(e), int(e));
    m_quote = new QComboBox(this);
    m_quote->setObjectName(QStringLiteral("quote"));
    m_quote->addItem(QStringLiteral("Double quote \""), QStringLiteral("\""));
    m_quote->addItem(QStringLiteral("Single quote '"), QStringLiteral("'"));
    m_quote->addItem(QStringLiteral("None"), QString());
    m_header = new QCheckBox(QStringLiteral("First row is a &header"), this);
    m_header->setObjectName(QStringLiteral("header"));
    m_decimalComma = new QCheckBox(QStringLiteral("&Decimal comma (1.234,5)"), this);
    m_decimalComma->setObjectName(QStringLiteral("decimalComma"));
    m_padShortRows = new QCheckBox(QStringLiteral("Read cells &missing at the end of a row as empty"), this);
    m_padShortRows->setObjectName(QStringLiteral("padShortRows"));
    m_padShortRows->setToolTip(QStringLiteral("Spreadsheets leave out the delimiters of empty cells at the end of some rows. Without this, "
                                              "rows with fewer fields than the file has columns are rejected."));
    m_skip = new QSpinBox(this);
    m_skip->setObjectName(QStringLiteral("skipLines"));
    m_skip->setRange(0, 1000);
    m_status = new QLabel(QStringLiteral("Reading the file…"), this);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_preview = new QTableWidget(this);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setAccessibleName(QStringLiteral("Preview of the parsed rows"));
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);

    auto *grid = new QFormLayout;
    grid->addRow(QStringLiteral("De&limiter:"), m_delimiter);
    grid->addRow(QStringLiteral("&Encoding:"), m_encoding);
    grid->addRow(QStringLiteral("&Quote:"), m_quote);
    grid->addRow(QStringLiteral("S&kip lines:"), m_skip);
    grid->addRow(QString(), m_header);
    grid->addRow(QString(), m_decimalComma);
    grid->addRow(QString(), m_padShortRows);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(grid);
    layout->addWidget(m_status);
    layout->addWidget(m_preview, 1);

    auto changed = [this] {
        if (!m_ready)
            return;
        CsvLoader::Options &o = m_session->options.load;
        o.delimiter = m_delimiter->currentData().toString().at(0);
        o.encoding = CsvFormat::Encoding(m_encoding->currentData().toInt());
        const QString q = m_quote->currentData().toString();
        o.quote = q.isEmpty() ? QChar() : q.at(0);
        o.header = m_header->isChecked();
        o.decimalComma = m_decimalComma->isChecked();
        o.padShortRows = m_padShortRows->isChecked();
        refreshPreview();
    };
    connect(m_delimiter, &QComboBox::currentIndexChanged, this, changed);
    connect(m_encoding, &QComboBox::currentIndexChanged, this, changed);
    connect(m_quote, &QComboBox::currentIndexChanged, this, changed);
    connect(m_header, &QCheckBox::toggled, this, changed);
    connect(m_decimalComma, &QCheckBox::toggled, this, changed);
    connect(m_padShortRows, &QCheckBox::toggled, this, changed);
    // Other lines start the file: detect the header and the formats again (off the GUI thread;
    // the latest request wins). Next waits for the result.
    m_skip->setKeyboardTracking(false);
    connect(m_skip, &QSpinBox::valueChanged, this, [this](int skip) {
        CsvLoader::Options &o = m_session->options.load;
        if (skip == o.skipLines)
            return;
        o.skipLines = skip;
        o.header.reset();
        m_ready = false;
        m_status->setText(QStringLiteral("Reading the file…"));
        Q_EMIT completeChanged();
        m_session->sniff(o.csvPath);
    });
    connect(m_session, &ImportSession::sniffReady, this, &ImportFormatPage::applyDetected);
    connect(m_session, &ImportSession::targetReady, this, &ImportFormatPage::refreshPreview);
}

void ImportFormatPage::initializePage()
{
    m_ready = false;
    m_status->setText(QStringLiteral("Reading the file…"));
    if (!m_session->sniffed.columns.isEmpty() || !m_session->sniffed.error.isEmpty())
        applyDetected();
}

void ImportFormatPage::applyDetected()
{
    const CsvSniffer::Result &r = m_session->sniffed;
    if (!r.ok) {
        m_status->setText(r.error);
        m_ready = false;
        Q_EMIT completeChanged();
        return;
    }
    const CsvFormat f = currentFormat(m_session);
    {
        const QSignalBlocker b1(m_delimiter), b2(m_encoding), b3(m_quote), b4(m_header), b5(m_decimalComma), b6(m_skip), b7(m_padShortRows);
        m_padShortRows->setChecked(m_session->options.load.padShortRows);
        if (m_delimiter->findData(QString(f.delimiter)) < 0) // another one, declared by a "sep=" line
            m_delimiter->addItem(QStringLiteral("Declared %1").arg(CsvFormat::delimiterName(f.delimiter)), QString(f.delimiter));
        m_delimiter->setCurrentIndex(qMax(0, m_delimiter->findData(QString(f.delimiter))));
        m_encoding->setCurrentIndex(qMax(0, m_encoding->findData(int(f.encoding))));
        m_quote->setCurrentIndex(qMax(0, m_quote->findData(f.quote.isNull() ? QString() : QString(f.quote))));
        m_header->setChecked(f.header);
        m_decimalComma->setChecked(f.decimalComma);
        m_skip->setValue(f.skipLines);
    }
    m_ready = true;
    refreshPreview();
    Q_EMIT completeChanged();
}

void ImportFormatPage::refreshPreview()
{
    if (!m_ready)
        return;
    const CsvFormat f = currentFormat(m_session);
    QStringList header;
    const QList<QStringList> rows = parseSample(m_session->sample, f, &header, 50);
    m_preview->clear();
    m_preview->setColumnCount(int(header.size()));
    m_preview->setRowCount(int(rows.size()));
    m_preview->setHorizontalHeaderLabels(header);
    m_badCells = 0;
    const qsizetype shortRows = std::count_if(rows.cbegin(), rows.cend(), [&header](const QStringList &row) { return row.size() < header.size(); });
    // Convert each cell with its column's type, where the header names a table column.
    QList<ValueConverter> converters;
    QList<bool> typed;
    for (int c = 0; c < header.size(); ++c) {
        const int ti = m_session->targetLoaded ? fuzzyColumn(m_session->target, header.at(c)) : -1;
        typed << (ti >= 0);
        ValueConverter::Options vo;
        if (!m_session->options.load.nullTokens.isEmpty())
            vo.nullTokens = m_session->options.load.nullTokens;
        vo.decimalComma = f.decimalComma;
        vo.dateTimeFormat = m_session->rememberedFormats.value(header.at(c), m_session->sniffed.dateFormats.value(c));
        if (vo.dateTimeFormat.isEmpty())
            vo.dateTimeFormat = QStringLiteral("iso");
        if (ti >= 0)
            ValueConverter::setTypeModifiers(m_session->target.columns.at(ti).baseType, &vo);
        converters << ValueConverter(ti >= 0 ? m_session->target.columns.at(ti).type : ValueConverter::Type::Text, vo);
    }
    for (int r = 0; r < rows.size(); ++r) {
        for (int c = 0; c < rows.at(r).size() && c < header.size(); ++c) {
            auto *item = new QTableWidgetItem(rows.at(r).at(c));
            const ValueConverter::Value v = converters.at(c).convert(rows.at(r).at(c));
            if (typed.at(c) && !v.ok) {
                item->setBackground(QColor(0xf8, 0xd7, 0xda));
                item->setForeground(QColor(0x72, 0x1c, 0x24));
                item->setToolTip(v.error);
                ++m_badCells;
            }
            m_preview->setItem(r, c, item);
        }
    }
    m_preview->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    const bool declared = m_session->sniffed.delimiterDeclared && f.delimiter == m_session->sniffed.format.delimiter;
    m_status->setText(QStringLiteral("%1, delimiter %2%3%4 — %5 columns. %6")
                          .arg(CsvFormat::encodingName(f.encoding),
                               (f.delimiter.isLetterOrNumber() || f.delimiter.isPunct() || f.delimiter.isSymbol()
                                    ? QStringLiteral("\"%1\"").arg(f.delimiter) // (a bare "," reads as the sentence's comma)
                                    : CsvFormat::delimiterName(f.delimiter)) + (declared ? QStringLiteral(" (from the file's sep= line)") : QString()),
                               f.decimalComma ? QStringLiteral(", decimal comma") : QString(),
                               f.header ? QStringLiteral(", header row") : QString())
                          .arg(header.size())
                          .arg(m_badCells ? (m_badCells == 1 ? QStringLiteral("1 cell in the preview does not convert (highlighted; hover for the reason).")
                                                            : QStringLiteral("%1 cells in the preview do not convert (highlighted; hover for the reason).").arg(m_badCells))
                                          : QStringLiteral("Every previewed cell converts."))
                      + (shortRows > 0 && !m_session->options.load.padShortRows
                             ? (shortRows == 1 ? QStringLiteral(" 1 previewed row has fewer cells than the file has columns: it will be rejected "
                                                                "unless the cells missing at its end are read as empty.")
                                               : QStringLiteral(" %1 previewed rows have fewer cells than the file has columns: they will be "
                                                                "rejected unless the cells missing at their end are read as empty.").arg(shortRows))
                             : QString()));
    Q_EMIT previewUpdated();
}

bool ImportFormatPage::isComplete() const
{
    return m_ready && m_session->sniffed.ok;
}

bool ImportFormatPage::validatePage()
{
    CsvLoader::Options &o = m_session->options.load;
    const CsvFormat f = currentFormat(m_session);
    o.delimiter = f.delimiter;
    o.encoding = f.encoding;
    o.quote = f.quote;
    o.header = f.header;
    o.decimalComma = f.decimalComma;
    return true;
}

// ---------------------------------------------------------------- columns

ImportColumnsPage::ImportColumnsPage(ImportSession *session, QWidget *parent)
    : QWizardPage(parent)
    , m_session(session)
{
    setTitle(QStringLiteral("Columns"));
    setSubTitle(QStringLiteral("Which table column each CSV column fills, and how to read dates and times."));
    m_table = new QTableWidget(0, 4, this);
    m_table->setObjectName(QStringLiteral("columns"));
    m_table->setHorizontalHeaderLabels({QStringLiteral("CSV column"), QStringLiteral("Table column"),
                                        QStringLiteral("Date/time format"), QStringLiteral("Type check (sample)")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    // (the mapping combos and formats whole, "time (timestamp with time zone)"; the check takes the rest)
    for (int c = 0; c < 3; ++c)
        m_table->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_zone = new QComboBox(this);
    m_zone->setObjectName(QStringLiteral("timezone"));
    m_zone->setEditable(true);
    m_zone->setAccessibleName(QStringLiteral("Time zone of timestamps without one"));
    // (the zone database is read once per process, not on every wizard)
    static const QStringList zones = [] {
        QStringList ids;
        for (const QByteArray &id : QTimeZone::availableTimeZoneIds())
            ids << QString::fromUtf8(id);
        return ids;
    }();
    m_zone->addItems(zones);
    m_zone->setCurrentText(QStringLiteral("UTC"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("Time &zone of timestamps without one:"), m_zone);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addLayout(form);
    layout->addWidget(m_status);
    connect(m_zone, &QComboBox::currentTextChanged, this, &ImportColumnsPage::check);
    connect(m_table, &QTableWidget::itemChanged, this, [this](QTableWidgetItem *item) {
        if (item->column() == 2)
            check();
    });
    connect(m_session, &ImportSession::targetReady, this, [this] {
        if (isVisible())
            initializePage();
    });
}

void ImportColumnsPage::initializePage()
{
    QSignalBlocker populating(m_table); // check() runs once the rows are complete
    m_table->setRowCount(0);
    if (!m_session->targetLoaded) {
        m_status->setText(m_session->targetError.isEmpty() ? QStringLiteral("Reading the table's columns…") : m_session->targetError);
        Q_EMIT completeChanged();
        return;
    }
    const CsvFormat f = currentFormat(m_session);
    QStringList header;
    parseSample(m_session->sample, f, &header, 1);
    const TargetTable &t = m_session->target;
    if (!m_session->options.load.timeZone.isEmpty())
        m_zone->setCurrentText(m_session->options.load.timeZone);
    QStringList taken; // table columns chosen for an earlier CSV column
    for (int c = 0; c < header.size(); ++c) {
        m_table->insertRow(c);
        auto *name = new QTableWidgetItem(header.at(c));
        name->setFlags(name->flags() & ~Qt::ItemIsEditable);
        m_table->setItem(c, 0, name);
        auto *combo = new QComboBox(m_table);
        combo->setAccessibleName(QStringLiteral("Table column for CSV column %1").arg(header.at(c)));
        combo->addItem(QStringLiteral("(skip this column)"), QString());
        for (const TargetTable::Column &col : t.columns)
            if (!col.generated)
                combo->addItem(QStringLiteral("%1 (%2)").arg(col.name, col.sqlType), col.name);
        // What was chosen for a CSV column of this name before (in any file into this table),
        // else the table column of a like name; never a table column an earlier CSV column took.
        const auto remembered = m_session->rememberedColumns.constFind(header.at(c));
        QString chosen = remembered != m_session->rememberedColumns.cend() ? *remembered : QString();
        if (remembered == m_session->rememberedColumns.cend() || (!chosen.isEmpty() && taken.contains(chosen))) {
            const int ti = fuzzyColumn(t, header.at(c));
            chosen = ti >= 0 ? t.columns.at(ti).name : QString();
        }
        if (taken.contains(chosen))
            chosen.clear();
        if (!chosen.isEmpty())
            taken << chosen;
        combo->setCurrentIndex(qMax(0, combo->findData(chosen)));
        // Scrolling the table over a mapping must not change it: the wheel turns a combo only
        // once it has been clicked or tabbed to.
        combo->setFocusPolicy(Qt::StrongFocus);
        combo->installEventFilter(this);
        m_table->setCellWidget(c, 1, combo);
        auto *format = new QTableWidgetItem(m_session->rememberedFormats.value(header.at(c), m_session->sniffed.dateFormats.value(c)));
        m_table->setItem(c, 2, format);
        m_table->setItem(c, 3, new QTableWidgetItem);
        connect(combo, &QComboBox::currentIndexChanged, this, &ImportColumnsPage::check);
    }
    populating.unblock();
    check();
}

bool ImportColumnsPage::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Wheel) {
        auto *combo = qobject_cast<QComboBox *>(watched);
        if (combo && !combo->hasFocus()) {
            QCoreApplication::sendEvent(m_table->viewport(), event); // (the table scrolls instead)
            return true;
        }
    }
    return QWizardPage::eventFilter(watched, event);
}

void ImportColumnsPage::check()
{
    if (!m_session->targetLoaded)
        return;
    const CsvFormat f = currentFormat(m_session);
    QStringList header;
    const QList<QStringList> rows = parseSample(m_session->sample, f, &header, 200);
    const QTimeZone zone(m_zone->currentText().toUtf8());
    int totalErrors = 0;
    QStringList mappedColumns;
    const QSignalBlocker block(m_table);
    for (int c = 0; c < m_table->rowCount(); ++c) {
        auto *combo = qobject_cast<QComboBox *>(m_table->cellWidget(c, 1));
        const QString column = combo ? combo->currentData().toString() : QString();
        QTableWidgetItem *result = m_table->item(c, 3);
        if (!result || !m_table->item(c, 2))
            continue;
        if (column.isEmpty()) {
            result->setText(QStringLiteral("skipped"));
            continue;
        }
        mappedColumns << column;
        const TargetTable::Column &col = m_session->target.columns.at(m_session->target.columnIndex(column));
        ValueConverter::Options vo;
        if (!m_session->options.load.nullTokens.isEmpty())
            vo.nullTokens = m_session->options.load.nullTokens;
        vo.decimalComma = f.decimalComma;
        vo.dateTimeFormat = m_table->item(c, 2)->text().trimmed().isEmpty() ? QStringLiteral("iso") : m_table->item(c, 2)->text().trimmed();
        vo.sourceZone = zone.isValid() ? zone : QTimeZone(QByteArrayLiteral("UTC"));
        ValueConverter::setTypeModifiers(col.baseType, &vo);
        const ValueConverter conv(col.type, vo);
        int errors = 0;
        QString example;
        for (const QStringList &row : rows) {
            const ValueConverter::Value v = conv.convert(row.value(c));
            if (!v.ok || (v.isNull && col.notNull)) {
                ++errors;
                if (example.isEmpty())
                    example = v.ok ? QStringLiteral("empty value in a NOT NULL column") : v.error;
            }
        }
        totalErrors += errors;
        result->setText(errors ? QStringLiteral("%1 of %2 fail: %3").arg(errors).arg(rows.size()).arg(example)
                               : QStringLiteral("all %1 convert to %2").arg(rows.size()).arg(col.sqlType));
        result->setForeground(errors ? QColor(0xb0, 0x20, 0x20) : palette().color(QPalette::Text));
    }
    QStringList missing;
    for (const TargetTable::Column &col : m_session->target.columns)
        if (col.notNull && !col.hasDefault && !col.generated && !mappedColumns.contains(col.name))
            missing << col.name;
    // A table column can take one CSV column only.
    QStringList twice;
    for (const QString &column : std::as_const(mappedColumns))
        if (mappedColumns.count(column) > 1 && !twice.contains(column))
            twice << column;
    QString status;
    if (!zone.isValid())
        status = QStringLiteral("Unknown time zone \"%1\". ").arg(m_zone->currentText());
    if (!twice.isEmpty())
        status += QStringLiteral("More than one CSV column goes to %1: choose one (set the others to \"(skip this column)\"). ")
                      .arg(twice.join(QStringLiteral(", ")));
    if (!missing.isEmpty())
        status += QStringLiteral("Required columns without a CSV column: %1. ").arg(missing.join(QStringLiteral(", ")));
    status += totalErrors == 1 ? QStringLiteral("1 sample value does not convert: its row will be rejected with the reason.")
        : totalErrors          ? QStringLiteral("%1 sample values do not convert: those rows will be rejected with the reason.").arg(totalErrors)
                               : QStringLiteral("Every sample value converts.");
    m_status->setText(status);
    setProperty("missing", missing + twice); // (either keeps Next off)
    Q_EMIT completeChanged();
}

bool ImportColumnsPage::isComplete() const
{
    return m_session->targetLoaded && m_table->rowCount() > 0 && property("missing").toStringList().isEmpty()
        && QTimeZone(m_zone->currentText().toUtf8()).isValid();
}

bool ImportColumnsPage::validatePage()
{
    CsvLoader::Options &o = m_session->options.load;
    o.mappings.clear();
    o.formats.clear();
    QList<ImportSession::ColumnChoice> choices;
    for (int c = 0; c < m_table->rowCount(); ++c) {
        auto *combo = qobject_cast<QComboBox *>(m_table->cellWidget(c, 1));
        const QString column = combo ? combo->currentData().toString() : QString();
        const QString csv = m_table->item(c, 0)->text();
        // Only a format the user set: a detected one stays the load's to detect, so that a date
        // order it guessed is noted, and a later row that proves it wrong stops the load.
        QString fmt = m_table->item(c, 2)->text().trimmed();
        if (fmt == m_session->sniffed.dateFormats.value(c))
            fmt.clear();
        choices << ImportSession::ColumnChoice{csv, column, column.isEmpty() ? QString() : fmt};
        if (column.isEmpty())
            continue;
        o.mappings << qMakePair(QString::number(c + 1), column); // (by position: two CSV columns may share a name)
        if (!fmt.isEmpty())
            o.formats.insert(column, fmt);
    }
    o.explicitMappingOnly = true;
    o.timeZone = m_zone->currentText() == QLatin1String("UTC") ? QString() : m_zone->currentText();
    m_session->remember();
    m_session->rememberColumns(choices);
    return true;
}

} // namespace bfs
