"""Blocking database or cache work from async code, in a worker thread of the event loop's
pool, each call with a fresh pooled connection given back afterwards.

The scheduler's async jobs use it, and so do websocket handshakes. For those, channels'
`database_sync_to_async` was the bottleneck of a reconnect storm (a thousand dashboards
reconnecting after a deploy, bench/fanout.py): it is thread-sensitive, so outside an HTTP
request every call in a process waits its turn for one shared thread, and its bookkeeping
per call cost more CPU than a plain `asyncio.to_thread`. Work run here keeps no state in its
thread between calls, so calls may run side by side.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from django.db import close_old_connections, connections


def with_db[**P, R](func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call func in this (worker) thread with a fresh connection, returned to the pool after."""
    close_old_connections()
    try:
        return func(*args, **kwargs)
    finally:
        connections.close_all()


async def in_worker_thread[**P, R](func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    # Not asyncio.to_thread: it runs each call in a copy of the caller's context, where
    # Django keeps its cache clients, so every call opened a Redis connection of its own.
    # A pool thread's own context keeps them from one call to the next.
    call = functools.partial(with_db, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(None, call)
