#pragma once

#include <QThreadPool>

namespace bfs {

// A pool of one thread for one kind of wait on disk or network (a stat on a share that does not
// answer, a journal folder on one): such a wait holds up no other work. Keep it in a static and
// never delete it, so that quitting does not wait for a stuck call either.
inline QThreadPool *newSingleThreadPool()
{
    auto *pool = new QThreadPool;
    pool->setMaxThreadCount(1);
    return pool;
}

} // namespace bfs
