"""What every collector shares: the run row, the checkpoint, progress and page bookkeeping.

A collector module exposes `sync(ctx: SyncContext) -> None`. It reads pages through
`ctx.client`, and for each page opens one transaction in which it writes the rows with one bulk
statement, moves the checkpoint and calls `ctx.page_done(...)`. So a run killed anywhere keeps
every committed page and the next run resumes from the last committed checkpoint.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from collectors.graph import GraphClient, GraphLicenseRequired, GraphStats
from m365admin.models import SyncCheckpoint, SyncRun, Tenant
from m365admin.models.sync import GRAPH_COUNTS
from m365admin.texts import Message, english, message

logger = logging.getLogger("collectors.sync")



# The licence Graph asks for before it gives out sign-in data (CONTRACT 1.5, 2.3).
ENTRA_ID_P1 = _("Entra ID P1")


@dataclass(frozen=True)
class Needs:
    """What a collector needs from the tenant: application permissions (admin consent), why,
    and a licence when Graph asks for one. `probe` is the smallest read of the collector's
    endpoint: what the connection test sends to tell whether the collector will work."""

    probe: str
    permissions: tuple[str, ...]
    why: Promise
    licence: Promise | None = None


class SyncSkipped(Exception):
    """The tenant cannot provide this collector's data (licence, permission): not a failure."""

    def __init__(self, text: Message, code: str = "") -> None:
        super().__init__(english(text))
        self.text = text
        self.code = code


@contextmanager
def premium_licence_needed(what: Message) -> Iterator[None]:
    """Turn Graph's licence refusal into a skipped run that says what is missing."""
    try:
        yield
    except GraphLicenseRequired as exc:
        raise SyncSkipped(message("sync.no_premium", what=what), code=exc.code) from None


class Progress:
    """Where a collector reports how far it got; the command renders it (bar or log line)."""

    def start(self, total: float | None, unit: str) -> None:
        """A new stage begins; total is None when it is unknown (delta rounds)."""

    def advance(self, amount: float) -> None:
        """Some of the stage's total was done."""

    def close(self) -> None:
        """The run ended."""


@dataclass
class SyncContext:
    tenant: Tenant
    client: GraphClient
    run: SyncRun
    checkpoint: SyncCheckpoint
    progress: Progress = field(default_factory=Progress)
    # The run's Graph traffic (collectors.graph.stats.counting), saved with each page.
    graph: GraphStats = field(default_factory=GraphStats)

    def on_graph_host(self, link: str) -> bool:
        """Whether a saved link is on the tenant's current Graph host; logs once when not.

        The simulator gets a new port on every restart, and an administrator may change the
        Graph URL: a link to the old host is dropped and the listing starts afresh.
        """
        if self.client.on_graph_host(link):
            return True
        logger.warning("tenant=%s collector=%s saved link is not on the current Graph host; "
                       "starting the listing afresh", self.tenant.tenant_id, self.run.collector)
        return False

    def page_done(self, *, written: int = 0, removed: int = 0, rejected: int = 0) -> None:
        """Count a page into the run and save the checkpoint.

        Call inside the page's transaction, so the counts and the checkpoint commit with the
        rows they describe. Each page is also the run's sign of life.
        """
        self.run.pages += 1
        self.run.written += written
        self.run.removed += removed
        self.run.rejected += rejected
        self.run.heartbeat = timezone.now()
        count_graph(self.run, self.graph)
        self.run.save(update_fields=["pages", "written", "removed", "rejected", "heartbeat",
                                     *GRAPH_COUNTS])
        self.checkpoint.save()
        logger.info(
            "page tenant=%s collector=%s page=%d written=%d removed=%d rejected=%d",
            self.tenant.tenant_id, self.run.collector, self.run.pages, written, removed, rejected,
        )

    def count_removed(self, removed: int) -> None:
        """Count rows removed after a complete listing (not a page of its own)."""
        self.run.removed += removed
        self.run.save(update_fields=["removed"])


def count_graph(run: SyncRun, graph: GraphStats) -> None:
    """The run's Graph counts so far onto the run (and the tenant's totals); in the
    transaction that saves the run."""
    snapshot = graph.snapshot()
    run.count_graph(requests=snapshot.requests, throttled=snapshot.throttled,
                    retries=snapshot.retries)


def prefetch[T](items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` in a background thread, `depth` ahead of the consumer.

    Lets the next Graph page download and parse while the current one is written. An
    exception in the producer is re-raised in the consumer at the point it happened.
    """
    buffer: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, object]) -> bool:
        # Give up once the consumer has gone, instead of blocking on a full buffer forever.
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))

    # In a copy of this context: its Graph requests count into the run's (graph.stats.counting).
    thread = threading.Thread(target=contextvars.copy_context().run, args=(produce,),
                              name="graph-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=5)


def dedupe_by[T](items: Iterable[T], key: Callable[[T], object]) -> list[T]:
    """Keep the last item per key: one statement must not touch the same row twice."""
    return list({key(item): item for item in items}.values())


def upsert(model: type[models.Model], objs: Sequence[models.Model],
           unique_fields: list[str]) -> None:
    """One multi-row INSERT … ON CONFLICT DO UPDATE for a page of a small entity."""
    if not objs:
        return
    update_fields = [
        f.name for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in unique_fields and f.name not in ("tenant", "code")
    ]
    model._default_manager.bulk_create(
        objs, update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields
    )


def remove_unseen(model: type[models.Model], tenant: Tenant, since: datetime) -> int:
    """Snapshot entities (reports, SKUs, teams): rows the latest complete listing lacked."""
    deleted, _ = model._default_manager.filter(tenant=tenant, synced__lt=since).delete()
    return deleted


def sync_snapshot[M: models.Model](
    ctx: SyncContext, path: str, model: type[M],
    to_model: Callable[[SyncContext, dict[str, Any], datetime], M | None],
    unique_fields: list[str],
) -> list[M]:
    """A small listing read whole (every page), then written in one transaction: rows upserted,
    rows it no longer lists removed. Returns the rows written."""
    started = timezone.now()
    items: list[dict[str, Any]] = []
    for page in ctx.client.iter_pages(path):
        items.extend(page.items)
    rows = [row for item in items if (row := to_model(ctx, item, started)) is not None]
    with transaction.atomic():
        upsert(model, rows, unique_fields)
        removed = remove_unseen(model, ctx.tenant, started)
        ctx.page_done(written=len(rows), removed=removed, rejected=len(items) - len(rows))
    return rows
