#pragma once

#include <QString>

// Small helpers for the command line front end.
namespace Terminal {

bool stdinIsTerminal();
// Asks on the terminal without echo; returns a null string when there is no terminal.
QString readPassword(const QString &prompt);
void out(const QString &text);
void err(const QString &text);

} // namespace Terminal
