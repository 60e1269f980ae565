"""Blocking database or cache work from async code that may run beside other such work.

channels' `database_sync_to_async` is thread-sensitive by default: outside an HTTP request,
every call in a process waits its turn for one shared thread. When a thousand dashboards
reconnect at once (after a deploy), their handshakes' queries queued one behind another
there, and that queue was most of the storm's time (bench/fanout.py, README). Work wrapped
here runs in the event loop's thread pool instead, so one socket's query waits on the
database while another's runs. It must keep no state in its thread between calls: each call
takes a pooled connection and gives it back (channels closes it before and after).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def in_thread_pool(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    return database_sync_to_async(func, thread_sensitive=False)
