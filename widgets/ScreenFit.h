#pragma once

#include <QScreen>
#include <QSize>
#include <QWidget>

namespace bfs {

// Gives a window its preferred first size, or less on a screen too small for it (a 1366×768
// laptop, a scaled display): at most 90 % of the screen's free area.
inline void resizeToFit(QWidget *window, QSize preferred)
{
    if (const QScreen *screen = window->screen()) {
        const QSize room = screen->availableGeometry().size() * 0.9;
        preferred = preferred.boundedTo(room).expandedTo(window->minimumSizeHint().boundedTo(room));
    }
    window->resize(preferred);
}

} // namespace bfs
