#pragma once

#include "backfill_core_export.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QString>
#include <QTimeZone>

namespace bfs {

// Parses date/time text the way spreadsheets write it, and resolves naive local times in
// a source time zone without guessing: a local time that does not exist (DST gap) is an
// error, one that exists twice (DST overlap) is an error unless an explicit choice is set.
class BACKFILL_CORE_EXPORT DateTimeParser
{
public:
    enum class Overlap { Reject, Earlier, Later };

    struct Result
    {
        bool ok = false;
        QDate date;
        QTime time;          // invalid for date-only input
        // The date as written, for a date column (as PostgreSQL reads it): 24:00 and a leap
        // second (23:59:60) move date and time above into the next minute or day, not this one.
        QDate writtenDate;
        qint64 microsecond = 0; // sub-millisecond part of the fraction (0–999)
        bool hasOffset = false; // the text carried Z or ±hh:mm
        int offsetSeconds = 0;
        QString error;
    };

    // format: "iso" (ISO 8601 with or without T, zone, fraction; also date only),
    // "epoch" (seconds, may have a fraction), "epoch_ms", or a Qt date-time pattern
    // ("dd.MM.yyyy HH:mm", "MM/dd/yyyy h:mm AP", "yyyyMMdd", "MMM-d-yyyy" …).
    explicit DateTimeParser(const QString &format = QStringLiteral("iso"));
    // dd/MM/yyyy HH:mm ↔ MM/dd/yyyy HH:mm: the pattern of the other order (the date's day and
    // month fields trade places).
    static QString swapDayAndMonth(const QString &pattern);

    QString format() const { return m_format; }
    bool isValidFormat(QString *error) const;
    Result parse(QStringView text) const;

    // Result → instant. Naive values are read in `zone`; errors name the gap or overlap.
    // *utc holds whole seconds; the fraction (milliseconds of r.time, then r.microsecond) is
    // left to the caller, so that times before 1970 keep it exact.
    static bool toUtc(const Result &r, const QTimeZone &zone, Overlap overlap, QDateTime *utc, qint64 *micro,
                      QString *error);

    static bool parseIso(QStringView text, Result *r);

private:
    enum class Kind { Iso, Epoch, EpochMs, Pattern };
    QString m_format;
    Kind m_kind = Kind::Iso;
    bool m_patternHasTime = false;
    bool m_patternHasZone = false; // a 't' field: the text names its zone or offset
    bool m_twoDigitYear = false;   // yy without yyyy
    QRegularExpression m_shape; // what the pattern writes, whatever the values (see shapeOf)
};

} // namespace bfs
