#pragma once

#include "DateTimeParser.h"
#include "backfill_core_export.h"

#include <QString>
#include <QStringList>
#include <QTimeZone>

namespace bfs {

// Converts one CSV cell to the text PostgreSQL reads for the target column's type,
// entirely on the client: timestamps become UTC ISO text, numbers use a decimal
// point, booleans t/f. A cell that does not convert gets a reason naming the value.
class BACKFILL_CORE_EXPORT ValueConverter
{
public:
    enum class Type { Text, SmallInt, Integer, BigInt, Numeric, Real, Double, Boolean, TimestampTz, Timestamp, Date, Other };

    struct Options
    {
        // Cells that mean NULL, matched exactly (case too). A quoted cell of a text (or enum,
        // json, …) column is data unless it is empty: "NA" in quotes, a name, stays text.
        QStringList nullTokens{QString(),           QStringLiteral("NULL"), QStringLiteral("null"), QStringLiteral("Null"),
                               QStringLiteral("NA"), QStringLiteral("N/A"),  QStringLiteral("n/a")};
        bool decimalComma = false;
        QString dateTimeFormat = QStringLiteral("iso");
        QTimeZone sourceZone = QTimeZone(QByteArrayLiteral("UTC"));
        DateTimeParser::Overlap overlap = DateTimeParser::Overlap::Reject;
        bool trim = true;
        // The column's type modifiers (setTypeModifiers): a value that breaks them is rejected
        // with its line instead of failing the whole load on the server.
        QString sqlType;        // e.g. numeric(5,2), character varying(20)
        int maxChars = -1;      // varchar(n), char(n)
        int precision = -1;     // numeric(p,s)
        int scale = 0;
    };

    struct Value
    {
        bool ok = true;
        bool isNull = false;
        QString text;      // what the server gets (valid when ok && !isNull) …
        QStringView view;  // … or, when the cell needs no rewriting, a view of the cell itself
        QString error;     // why not (when !ok)

        // The converted text; valid while the cell it came from is.
        QStringView textView() const { return view.isNull() ? QStringView(text) : view; }
        QString toString() const { return view.isNull() ? text : view.toString(); }
    };

    ValueConverter() = default;
    ValueConverter(Type type, const Options &options);

    // Maps a catalog type name (format_type or typname) to a Type.
    static Type typeFromCatalog(const QString &typeName);
    // Reads varchar(n), char(n) and numeric(p,s) from format_type's text into options.
    static void setTypeModifiers(const QString &sqlType, Options *options);
    static QString typeName(Type t);

    Type type() const { return m_type; }
    const Options &options() const { return m_options; }
    // quoted: the cell was quoted in the file, so a text column keeps its spaces and line breaks.
    Value convert(const QString &cell, bool quoted = false) const;

    // Building blocks, public for tests and the sniffer.
    static bool parseNumber(QStringView text, bool decimalComma, QString *normalized);
    static bool parseBool(QStringView text, bool *value);
    static bool isPlainNumber(QStringView text, bool decimalComma);
    enum class IntegerText { Ok, NotInteger, OutOfRange };
    static IntegerText exactInteger(QStringView normalized, qint64 *value);
    static int digitsNotWritten(QStringView normalized, qint64 value);
    static bool isNumericType(Type t)
    {
        return t == Type::SmallInt || t == Type::Integer || t == Type::BigInt || t == Type::Numeric || t == Type::Real || t == Type::Double;
    }

private:
    Value convertTime(QStringView cell) const;
    QString checkModifiers(QStringView text) const; // why the value breaks the type modifiers, or ""


    Type m_type = Type::Text;
    Options m_options;
    DateTimeParser m_parser;
    bool m_utcZone = true;
};

} // namespace bfs
