#include "Database.h"

#include <libpq-fe.h>

#include <QAtomicInteger>
#include <QMutex>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>

#include <atomic>

namespace bfs {

namespace {

QAtomicInteger<quint64> s_connectionCounter;

struct ResultDeleter
{
    void operator()(PGresult *r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

QString field(const PGresult *r, int code)
{
    const char *v = PQresultErrorField(r, code);
    return v ? QString::fromUtf8(v) : QString();
}

bool notConnected(DbError *error, const QString &context)
{
    if (error) {
        error->kind = DbError::Kind::Unreachable;
        error->message = QStringLiteral("Not connected.");
        error->context = context;
    }
    return false;
}

DbError errorFromResult(const PGresult *r, PGconn *conn, const QString &context)
{
    DbError e;
    e.kind = DbError::Kind::Query;
    e.context = context;
    if (r) {
        e.sqlState = field(r, PG_DIAG_SQLSTATE);
        e.constraint = field(r, PG_DIAG_CONSTRAINT_NAME);
        e.server = field(r, PG_DIAG_MESSAGE_PRIMARY);
        const QString detail = field(r, PG_DIAG_MESSAGE_DETAIL);
        const QString hint = field(r, PG_DIAG_MESSAGE_HINT);
        if (!detail.isEmpty())
            e.server += QStringLiteral("\nDetail: ") + detail;
        if (!hint.isEmpty())
            e.server += QStringLiteral("\nHint: ") + hint;
        const QString where = field(r, PG_DIAG_CONTEXT);
        if (!where.isEmpty())
            e.server += QStringLiteral("\nWhere: ") + where.left(500);
    }
    if (e.server.isEmpty() && conn)
        e.server = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
    if (e.sqlState == QLatin1String("42501"))
        e.kind = DbError::Kind::PermissionDenied;
    e.message = e.server.section(QLatin1Char('\n'), 0, 0);
    if (e.message.isEmpty())
        e.message = QStringLiteral("The server connection failed.");
    return e;
}

} // namespace

QString QueryResult::value(int row, const QString &col) const
{
    const int c = column(col);
    Q_ASSERT_X(c >= 0, "QueryResult::value", qPrintable(col));
    return c < 0 ? QString() : m_rows.at(row).at(c);
}

qint64 QueryResult::intValue(int row, const QString &col, qint64 fallback) const
{
    bool ok = false;
    const qint64 v = value(row, col).toLongLong(&ok);
    return ok ? v : fallback;
}

qint64 QueryResult::intValue(int row, int col, qint64 fallback) const
{
    bool ok = false;
    const qint64 v = value(row, col).toLongLong(&ok);
    return ok ? v : fallback;
}

struct Database::CancelTarget
{
    QMutex mutex;
    std::shared_ptr<PGcancel> cancel; // null while closed, and for a single-session server
    std::atomic<bool> allowed{true};
};

Database::Database(ConnectionProfile profile)
    : m_profile(std::move(profile))
    , m_cancelTarget(std::make_shared<CancelTarget>())
{
    m_connectionName = QStringLiteral("bfs-%1-%2")
                           .arg(quintptr(QThread::currentThread()), 0, 16)
                           .arg(s_connectionCounter.fetchAndAddRelaxed(1));
}

Database::~Database()
{
    close();
}

bool Database::open(DbError *error)
{
    close();
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        if (error) {
            error->kind = DbError::Kind::Driver;
            error->message = QStringLiteral("The Qt PostgreSQL driver (QPSQL) is not installed.");
        }
        return false;
    }
    bool ok = false;
    QString failure;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
        if (!m_profile.host.isEmpty())
            db.setHostName(m_profile.host);
        if (m_profile.port > 0)
            db.setPort(m_profile.port);
        db.setDatabaseName(m_profile.database);
        db.setUserName(m_profile.user);
        db.setPassword(m_profile.password);
        db.setConnectOptions(m_profile.qpsqlConnectOptions());
        ok = db.open();
        if (ok) {
            const QVariant v = db.driver()->handle();
            if (v.isValid() && (qstrcmp(v.typeName(), "PGconn*") == 0 || qstrcmp(v.typeName(), "pg_conn*") == 0))
                m_conn = *static_cast<PGconn *const *>(v.constData());
            ok = m_conn != nullptr;
            if (m_conn) // server notices (DEBUG/NOTICE chatter) must not reach stderr
                PQsetNoticeProcessor(m_conn, [](void *, const char *) {}, nullptr);
            if (!ok)
                failure = QStringLiteral("the QPSQL driver gave no libpq handle (%1)").arg(QLatin1String(v.typeName()));
        } else {
            failure = db.lastError().databaseText();
            if (failure.isEmpty())
                failure = db.lastError().text();
        }
    }
    if (!ok) {
        if (error)
            *error = DbError::fromConnectFailure(failure, m_profile.displayTarget());
        close();
        return false;
    }
    QueryResult v;
    DbError ignored;
    m_singleSession = exec(QStringLiteral("SELECT version()"), &v, &ignored) && v.value(0, 0).contains(QLatin1String("Emscripten"));
    if (!m_singleSession) {
        std::shared_ptr<PGcancel> cancel(PQgetCancel(m_conn), [](PGcancel *c) { PQfreeCancel(c); });
        QMutexLocker lock(&m_cancelTarget->mutex);
        m_cancelTarget->cancel = std::move(cancel);
    }
    // The cluster's own identifier (pg_control_system(); some hosted services deny it).
    m_serverIdentity.clear();
    if (exec(QStringLiteral("SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()"), &v, &ignored))
        m_serverIdentity = v.value(0, 0);
    return true;
}

bool Database::isOpen() const
{
    return m_conn != nullptr && PQstatus(m_conn) == CONNECTION_OK;
}

void Database::close()
{
    {
        QMutexLocker lock(&m_cancelTarget->mutex);
        m_cancelTarget->cancel.reset(); // a request being sent keeps its copy
    }
    m_conn = nullptr;
    if (QSqlDatabase::contains(m_connectionName)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

namespace {
struct BoundParams
{
    explicit BoundParams(const QStringList &params)
    {
        values.reserve(params.size());
        ptrs.reserve(params.size());
        for (const QString &p : params) {
            values << (p.isNull() ? QByteArray() : p.toUtf8());
            ptrs.push_back(p.isNull() ? nullptr : values.last().constData());
        }
    }
    QList<QByteArray> values;
    std::vector<const char *> ptrs;
};
} // namespace

bool Database::exec(const QString &sql, const QStringList &params, QueryResult *result, DbError *error,
                    const QString &context)
{
    if (!m_conn)
        return notConnected(error, context);
    const BoundParams b(params);
    ResultPtr r(PQexecParams(m_conn, sql.toUtf8().constData(), int(b.ptrs.size()), nullptr, b.ptrs.data(),
                             nullptr, nullptr, 0));
    return finish(r.get(), context.isEmpty() ? sql.simplified().left(200) : context, result, error);
}

bool Database::prepare(const QString &name, const QString &sql, DbError *error, const QString &context)
{
    if (!m_conn)
        return notConnected(error, context);
    ResultPtr r(PQprepare(m_conn, name.toUtf8().constData(), sql.toUtf8().constData(), 0, nullptr));
    return finish(r.get(), context.isEmpty() ? sql.simplified().left(200) : context, nullptr, error);
}

bool Database::execPrepared(const QString &name, const QStringList &params, QueryResult *result, DbError *error,
                            const QString &context)
{
    if (!m_conn)
        return notConnected(error, context);
    const BoundParams b(params);
    ResultPtr r(PQexecPrepared(m_conn, name.toUtf8().constData(), int(b.ptrs.size()), b.ptrs.data(), nullptr, nullptr, 0));
    return finish(r.get(), context.isEmpty() ? QStringLiteral("EXECUTE ") + name : context, result, error);
}

bool Database::execPipeline(const QList<Statement> &statements, QList<QueryResult> *results, DbError *error, int *failedAt)
{
    int failed = -1;
    const auto done = [&](bool ok) {
        if (failedAt)
            *failedAt = failed;
        return ok;
    };
    results->clear();
    if (!m_conn)
        return done(notConnected(error, statements.value(0).context));
    const auto contextOf = [](const Statement &s) {
        return !s.context.isEmpty() ? s.context : s.prepared.isEmpty() ? s.sql.simplified().left(200) : QStringLiteral("EXECUTE ") + s.prepared;
    };
#ifdef LIBPQ_HAS_PIPELINING
    if (PQenterPipelineMode(m_conn) == 1) {
        int sent = 0;
        for (const Statement &s : statements) {
            const BoundParams b(s.params);
            const int ok = s.prepared.isEmpty()
                ? PQsendQueryParams(m_conn, s.sql.toUtf8().constData(), int(b.ptrs.size()), nullptr, b.ptrs.data(), nullptr, nullptr, 0)
                : PQsendQueryPrepared(m_conn, s.prepared.toUtf8().constData(), int(b.ptrs.size()), b.ptrs.data(), nullptr, nullptr, 0);
            if (!ok)
                break;
            ++sent;
        }
        const bool synced = PQpipelineSync(m_conn) == 1;
        bool ok = sent == statements.size() && synced;
        DbError first;
        if (!ok)
            first = errorFromResult(nullptr, m_conn, contextOf(statements.value(sent)));
        // Each statement's answer is one result followed by NULL; an aborted pipeline answers
        // PGRES_PIPELINE_ABORTED for the statements it skipped; the sync point ends it.
        for (int i = 0; i < sent && PQstatus(m_conn) == CONNECTION_OK; ++i) {
            ResultPtr r(PQgetResult(m_conn));
            if (!r)
                break;
            while (PGresult *extra = PQgetResult(m_conn))
                PQclear(extra);
            if (PQresultStatus(r.get()) == PGRES_PIPELINE_ABORTED)
                continue;
            QueryResult qr;
            DbError err;
            if (finish(r.get(), contextOf(statements.at(i)), &qr, &err)) {
                results->append(qr);
            } else if (ok) {
                ok = false;
                failed = i;
                first = err;
            }
        }
        if (synced)
            while (PQstatus(m_conn) == CONNECTION_OK) {
                ResultPtr r(PQgetResult(m_conn));
                if (!r || PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC)
                    break;
            }
        PQexitPipelineMode(m_conn);
        if (!ok && error) {
            *error = first;
            if (PQstatus(m_conn) == CONNECTION_BAD)
                error->kind = DbError::Kind::Unreachable;
        }
        if (ok && results->size() != statements.size()) { // the connection broke before every answer came
            ok = false;
            if (error)
                *error = errorFromResult(nullptr, m_conn, contextOf(statements.value(int(results->size()))));
            if (error && PQstatus(m_conn) == CONNECTION_BAD)
                error->kind = DbError::Kind::Unreachable;
        }
        return done(ok);
    }
#endif
    for (int i = 0; i < statements.size(); ++i) {
        const Statement &s = statements.at(i);
        QueryResult qr;
        const bool ok = s.prepared.isEmpty() ? exec(s.sql, s.params, &qr, error, contextOf(s))
                                             : execPrepared(s.prepared, s.params, &qr, error, contextOf(s));
        if (!ok) {
            failed = error && error->kind == DbError::Kind::Unreachable ? -1 : i;
            return done(false);
        }
        results->append(qr);
    }
    return done(true);
}

void Database::deallocate(const QString &name)
{
    DbError ignored;
    if (isOpen())
        execScript(QStringLiteral("DEALLOCATE ") + quoteIdentifier(name), &ignored);
}

QString Database::textArray(const QStringList &items)
{
    QStringList quoted;
    for (QString v : items)
        quoted << QLatin1Char('"') + v.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('"'), QStringLiteral("\\\"")) + QLatin1Char('"');
    return QLatin1Char('{') + quoted.join(QLatin1Char(',')) + QLatin1Char('}');
}

bool Database::finish(PGresult *r, const QString &context, QueryResult *result, DbError *error)
{
    const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        if (error) {
            *error = errorFromResult(r, m_conn, context);
            if (PQstatus(m_conn) == CONNECTION_BAD)
                error->kind = DbError::Kind::Unreachable;
        }
        return false;
    }
    if (result) {
        *result = QueryResult();
        result->commandTag = QString::fromUtf8(PQcmdStatus(r));
        const int nf = PQnfields(r);
        const int nt = PQntuples(r);
        for (int c = 0; c < nf; ++c)
            result->m_columns << QString::fromUtf8(PQfname(r, c));
        result->m_rows.reserve(nt);
        for (int t = 0; t < nt; ++t) {
            QStringList row;
            row.reserve(nf);
            for (int c = 0; c < nf; ++c) {
                if (PQgetisnull(r, t, c))
                    row << QString();
                else if (PQgetlength(r, t, c) == 0)
                    row << QStringLiteral(""); // empty, not NULL
                else
                    row << QString::fromUtf8(PQgetvalue(r, t, c), PQgetlength(r, t, c));
            }
            result->m_rows << row;
        }
    }
    return true;
}

bool Database::execScript(const QString &sql, DbError *error, const QString &context)
{
    if (!m_conn)
        return notConnected(error, context);
    ResultPtr r(PQexec(m_conn, sql.toUtf8().constData()));
    const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
        return true;
    if (error) {
        *error = errorFromResult(r.get(), m_conn, context.isEmpty() ? sql.simplified().left(200) : context);
        if (PQstatus(m_conn) == CONNECTION_BAD)
            error->kind = DbError::Kind::Unreachable;
    }
    return false;
}

bool Database::beginCopy(const QString &sql, DbError *error)
{
    if (!m_conn) {
        error->kind = DbError::Kind::Unreachable;
        error->message = QStringLiteral("Not connected.");
        return false;
    }
    ResultPtr r(PQexec(m_conn, sql.toUtf8().constData()));
    if (r && PQresultStatus(r.get()) == PGRES_COPY_IN)
        return true;
    *error = errorFromResult(r.get(), m_conn, sql.simplified().left(200));
    return false;
}

bool Database::putCopyData(const QByteArray &data, DbError *error)
{
    if (PQputCopyData(m_conn, data.constData(), int(data.size())) == 1)
        return true;
    *error = errorFromResult(nullptr, m_conn, QStringLiteral("send COPY data"));
    error->kind = PQstatus(m_conn) == CONNECTION_BAD ? DbError::Kind::Unreachable : DbError::Kind::Query;
    return false;
}

bool Database::endCopy(const char *abortReason, qint64 *rows, DbError *error)
{
    if (PQputCopyEnd(m_conn, abortReason) != 1) {
        *error = errorFromResult(nullptr, m_conn, QStringLiteral("end COPY"));
        return false;
    }
    bool ok = true;
    while (PGresult *raw = PQgetResult(m_conn)) {
        ResultPtr r(raw);
        const ExecStatusType st = PQresultStatus(raw);
        if (st == PGRES_COMMAND_OK) {
            if (rows)
                *rows = QByteArray(PQcmdTuples(raw)).toLongLong();
        } else if (ok) {
            ok = false;
            *error = errorFromResult(raw, m_conn, QStringLiteral("COPY"));
            if (PQstatus(m_conn) == CONNECTION_BAD)
                error->kind = DbError::Kind::Unreachable;
        }
    }
    return ok && !abortReason;
}

std::function<void()> Database::canceller() const
{
    if (!m_conn || m_singleSession)
        return {};
    return [target = m_cancelTarget] {
        if (!target->allowed.load())
            return;
        std::shared_ptr<PGcancel> cancel;
        {
            QMutexLocker lock(&target->mutex);
            cancel = target->cancel;
        }
        char buffer[256];
        if (cancel) // PQcancel connects to the server: not under the lock
            PQcancel(cancel.get(), buffer, sizeof buffer);
    };
}

void Database::requestCancel()
{
    if (const std::function<void()> send = canceller())
        send();
}

void Database::setCancelRequestsAllowed(bool allowed)
{
    m_cancelTarget->allowed.store(allowed);
}

QString Database::quoteIdentifier(const QString &identifier) const
{
    if (m_conn) {
        const QByteArray utf8 = identifier.toUtf8();
        char *q = PQescapeIdentifier(m_conn, utf8.constData(), size_t(utf8.size()));
        if (q) {
            const QString s = QString::fromUtf8(q);
            PQfreemem(q);
            return s;
        }
    }
    QString s = identifier;
    s.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + s + QLatin1Char('"');
}

QString Database::qualifiedName(const QString &schema, const QString &name) const
{
    return quoteIdentifier(schema) + QLatin1Char('.') + quoteIdentifier(name);
}

} // namespace bfs
