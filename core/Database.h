#pragma once

#include "ConnectionProfile.h"
#include "DbError.h"
#include "backfill_core_export.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <memory>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef struct pg_cancel PGcancel;

namespace bfs {

// Rows of one statement, copied out of the libpq result (which is freed at once).
// Values are text as the server sent them; NULL is a null QString.
class BACKFILL_CORE_EXPORT QueryResult
{
public:
    int rowCount() const { return int(m_rows.size()); }
    int columnCount() const { return int(m_columns.size()); }
    const QStringList &columns() const { return m_columns; }
    int column(const QString &name) const { return int(m_columns.indexOf(name)); }
    QString value(int row, int col) const { return m_rows.at(row).at(col); }
    QString value(int row, const QString &col) const;
    bool isNull(int row, const QString &col) const { return value(row, col).isNull(); }
    bool isNull(int row, int col) const { return value(row, col).isNull(); } // (without it, 0 would pass for a column name)
    bool boolValue(int row, const QString &col) const { return value(row, col) == QLatin1String("t"); }
    bool boolValue(int row, int col) const { return value(row, col) == QLatin1String("t"); }
    qint64 intValue(int row, const QString &col, qint64 fallback = 0) const;
    qint64 intValue(int row, int col, qint64 fallback = 0) const;
    QString commandTag;
    // Rows an INSERT, UPDATE or DELETE wrote, from its command tag ("INSERT 0 42" → 42).
    qint64 rowsAffected() const { return commandTag.section(QLatin1Char(' '), -1).toLongLong(); }

private:
    friend class Database;
    QStringList m_columns;
    QList<QStringList> m_rows;
};

// One PostgreSQL connection opened through Qt Sql's QPSQL driver and used through its
// libpq handle, so that every value is a bound parameter (PQexecParams, unnamed
// statements: nothing is left behind in the session) and errors keep their SQLSTATE.
//
// A Database belongs to the thread that opened it. The QSqlDatabase connection has a
// unique name and is removed when the Database is destroyed.
class BACKFILL_CORE_EXPORT Database
{
public:
    explicit Database(ConnectionProfile profile);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    bool open(DbError *error);
    bool isOpen() const;
    void close();

    // Runs one statement; $1, $2 … are bound to params (a null QString is SQL NULL).
    bool exec(const QString &sql, const QStringList &params, QueryResult *result, DbError *error,
              const QString &context = QString());
    bool exec(const QString &sql, QueryResult *result, DbError *error, const QString &context = QString())
    {
        return exec(sql, QStringList(), result, error, context);
    }

    // A named prepared statement: parsed and planned once, then run many times with
    // execPrepared (the engine's per-chunk insert). It lives until deallocate() or the end of
    // the session; a reconnect loses it, so prepare again after open().
    bool prepare(const QString &name, const QString &sql, DbError *error, const QString &context = QString());
    bool execPrepared(const QString &name, const QStringList &params, QueryResult *result, DbError *error,
                      const QString &context = QString());
    void deallocate(const QString &name);

    // One statement of a pipeline: SQL text, or the name of a prepared statement.
    struct Statement
    {
        QString sql;
        QStringList params;
        QString prepared; // when set, sql is ignored and this prepared statement runs
        QString context;
    };
    // Sends the statements together and reads their answers in order: one network round trip
    // instead of one per statement (libpq pipeline mode; one after another with a libpq older
    // than 14). The server stops at the first error and skips the rest. Returns true when all
    // ran; results gets one entry per statement that ran, and *failedAt the index of the
    // failing statement (-1 when none failed or the connection broke before any answer).
    bool execPipeline(const QList<Statement> &statements, QList<QueryResult> *results, DbError *error,
                      int *failedAt = nullptr);

    // Runs several statements without parameters (simple query protocol), e.g. a seed script.
    bool execScript(const QString &sql, DbError *error, const QString &context = QString());

    // COPY … FROM STDIN: begin, send data (blocks while the server's buffers are full,
    // which is the backpressure), end. endCopy(abortReason) aborts the COPY instead.
    bool beginCopy(const QString &sql, DbError *error);
    bool putCopyData(const QByteArray &data, DbError *error);
    bool endCopy(const char *abortReason, qint64 *rows, DbError *error);

    // Asks the server to cancel the running statement; from any thread (not from a signal
    // handler: it takes a lock). It connects to the server: never on the GUI thread.
    void requestCancel();
    // A cancel request that outlives this object and may be sent from any thread
    // (it connects to the server, so never call it on the GUI thread). It reaches the
    // connection open when it is sent, also after a reconnect.
    std::function<void()> canceller() const;
    // While false, requestCancel() and canceller() send nothing: statements that must finish
    // (putting compression and a policy back) cannot be cancelled by a request.
    void setCancelRequestsAllowed(bool allowed);

    QString quoteIdentifier(const QString &identifier) const;
    // A text[] literal for a bound parameter; elements may hold any character (quotes, commas, braces).
    static QString textArray(const QStringList &items);
    QString qualifiedName(const QString &schema, const QString &name) const;
    const ConnectionProfile &profile() const { return m_profile; }
    QString connectionName() const { return m_connectionName; }
    PGconn *handle() const { return m_conn; }
    // True for servers that serve one connection at a time (the PGlite sandbox): a cancel
    // request, which needs a second connection, cannot reach them while this one is open.
    bool isSingleSession() const { return m_singleSession; }
    // SYSTEM_IDENTIFIER/DATABASE: the same for every address of the server (localhost,
    // 127.0.0.1, a proxy); empty when the server does not tell.
    QString serverIdentity() const { return m_serverIdentity; }

private:
    bool finish(PGresult *r, const QString &context, QueryResult *result, DbError *error);

    ConnectionProfile m_profile;
    QString m_connectionName;
    PGconn *m_conn = nullptr;
    struct CancelTarget; // what canceller() sends to: the open connection, the gate
    std::shared_ptr<CancelTarget> m_cancelTarget;
    bool m_singleSession = false; // the WASM sandbox: one connection at a time, no cancel requests
    QString m_serverIdentity;
};

} // namespace bfs
