"""The host's metrics, read with psutil (the only module that imports it).

`Sampler.sample()` reads everything in a few milliseconds without blocking: CPU and I/O
figures are deltas since the previous call. A metric this platform cannot read is reported
as unavailable (null, and named in `unavailable`), and the sampler keeps going.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import timedelta
from pathlib import Path

import psutil
from django.conf import settings
from django.db import connection
from django.utils import timezone

from m365admin import partitions
from monitoring.messages import Disk, Metrics
from monitoring.models import MetricSample

logger = logging.getLogger(__name__)

METRICS = partitions.register(partitions.PartitionedTable(
    "monitoring_metricsample", partitions.DAILY,
    ahead=lambda: 2,
    retention=lambda: timedelta(hours=settings.METRICS_RETENTION_HOURS),
))

MANAGE_PY = str(settings.BASE_DIR / "manage.py")


class Sampler:
    def __init__(self) -> None:
        self._previous_io: dict[str, tuple[float, tuple[int, int]]] = {}
        self._processes: dict[int, psutil.Process] = {}
        self._warned: set[str] = set()
        self._unavailable: list[str] = []
        # Prime the CPU counters: psutil's first non-blocking reading is meaningless.
        self._read("cpu", lambda: psutil.cpu_percent(percpu=True))

    def sample(self) -> MetricSample:
        """One reading (not saved)."""
        self._unavailable = []
        per_core = self._read("cpu", lambda: psutil.cpu_percent(percpu=True)) or []
        load = self._read("load", psutil.getloadavg) or (None, None, None)
        app = self._read("app", self._app_usage) or (None, None, 0)
        sample = MetricSample(
            created=timezone.now(),
            host=socket.gethostname(),
            cpu_percent=round(sum(per_core) / len(per_core), 2) if per_core else None,
            cpu_per_core=per_core,
            load_1=load[0], load_5=load[1], load_15=load[2],
            memory_percent=self._read("memory", lambda: psutil.virtual_memory().percent),
            swap_percent=self._read("swap", lambda: psutil.swap_memory().percent),
            disks=self._disks(),
            app_rss_bytes=app[0], app_cpu_percent=app[1], app_processes=app[2],
        )
        sample.disk_read_bps, sample.disk_write_bps = self._rate(
            "disk_io", lambda: _pair(psutil.disk_io_counters(), "read_bytes", "write_bytes")
        )
        sample.net_in_bps, sample.net_out_bps = self._rate(
            "network", lambda: _pair(psutil.net_io_counters(), "bytes_recv", "bytes_sent")
        )
        sample.unavailable = self._unavailable
        return sample

    def _read(self, name: str, read):
        try:
            return read()
        except (psutil.Error, OSError, NotImplementedError, AttributeError, RuntimeError) as exc:
            self._unavailable.append(name)
            if name not in self._warned:
                self._warned.add(name)
                logger.warning("metric unavailable on this platform name=%s reason=%s", name, exc)
            return None

    def _rate(self, name: str, read) -> tuple[float | None, float | None]:
        """Bytes per second since the previous sample, from cumulative counters."""
        counters = self._read(name, read)
        if counters is None:
            return None, None
        now = time.monotonic()
        previous = self._previous_io.get(name)
        self._previous_io[name] = (now, counters)
        if previous is None or now <= previous[0]:
            return None, None
        elapsed = now - previous[0]
        # Counters go backwards when a device or interface disappears: no rate this time.
        return tuple(
            round(max(0, new - old) / elapsed, 1) for new, old in zip(counters, previous[1])
        )

    def _disks(self) -> dict[str, dict]:
        disks = {}
        for label, path in (("database", database_path()), ("var", settings.VAR_DIR)):
            if path is None:
                self._unavailable.append(f"disk:{label}")
                continue
            percent = self._read(f"disk:{label}", lambda p=path: psutil.disk_usage(str(p)).percent)
            if percent is not None:
                disks[label] = {"path": str(path), "percent": percent}
        return disks

    def _app_usage(self) -> tuple[int, float, int]:
        """RSS and CPU % of this app's processes on this host (manage.py in this checkout)."""
        seen: dict[int, psutil.Process] = {}
        for process in psutil.process_iter(["cmdline", "cwd"]):
            if process.pid == os.getpid() or _is_ours(process.info):
                # Keep the same Process objects: cpu_percent() measures since their last call.
                seen[process.pid] = self._processes.get(process.pid, process)
        self._processes = seen
        rss = cpu = 0.0
        for process in seen.values():
            try:
                with process.oneshot():
                    rss += process.memory_info().rss
                    cpu += process.cpu_percent()
            except psutil.Error:
                continue  # it exited between the listing and the reading
        return int(rss), round(cpu, 2), len(seen)


def _pair(counters, first: str, second: str) -> tuple[int, int]:
    if counters is None:  # psutil returns None where the kernel exposes no counters
        raise NotImplementedError("no counters")
    return getattr(counters, first), getattr(counters, second)


def _is_ours(info: dict) -> bool:
    cmdline = info.get("cmdline") or []
    for arg in cmdline[1:3]:
        if arg == MANAGE_PY:
            return True
        if arg.endswith("manage.py") and info.get("cwd") == str(settings.BASE_DIR):
            return True
    return False


def database_path() -> Path | None:
    """The folder holding the database, when it is on this host and we may know it."""
    if connection.vendor == "sqlite":
        return Path(connection.settings_dict["NAME"]).resolve().parent
    try:
        with connection.cursor() as cursor:
            # Readable by superusers and pg_read_all_settings members only.
            cursor.execute("SELECT current_setting('data_directory')")
            path = Path(cursor.fetchone()[0])
    except Exception:
        return None
    return path if path.exists() else None


def store(sample: MetricSample) -> MetricSample:
    METRICS.ensure_for([sample.created])
    sample.save(force_insert=True)
    return sample


def latest(since: timedelta) -> MetricSample | None:
    """The newest sample of the last `since` (a bounded range, so partitions are pruned)."""
    now = timezone.now()
    return MetricSample.objects.between(now - since, now + timedelta(seconds=1)).order_by(
        "-created").first()


def as_message(sample: MetricSample) -> Metrics:
    disks = {label: Disk(path=disk["path"], percent=disk["percent"])
             for label, disk in sample.disks.items()}
    return Metrics(
        cpu=sample.cpu_percent,
        cpu_cores=sample.cpu_per_core,
        load=[sample.load_1, sample.load_5, sample.load_15],
        memory=sample.memory_percent,
        swap=sample.swap_percent,
        disks=disks,
        disk=max((disk.percent for disk in disks.values()), default=None),
        disk_read=sample.disk_read_bps,
        disk_write=sample.disk_write_bps,
        net_in=sample.net_in_bps,
        net_out=sample.net_out_bps,
        app_rss=sample.app_rss_bytes,
        app_cpu=sample.app_cpu_percent,
        app_processes=sample.app_processes,
        unavailable=sample.unavailable,
    )


HISTORY_COLUMNS = {
    "cpu": "cpu_percent", "memory": "memory_percent", "swap": "swap_percent",
    "disk_read": "disk_read_bps", "disk_write": "disk_write_bps",
    "net_in": "net_in_bps", "net_out": "net_out_bps",
    "app_rss": "app_rss_bytes", "app_cpu": "app_cpu_percent",
}


def history(since, until, max_points: int = 720) -> dict[str, list]:
    """Chart columns for [since, until), oldest first, thinned to about max_points."""
    fields = ["created", "disks", *HISTORY_COLUMNS.values()]
    rows = list(MetricSample.objects.between(since, until).order_by("created").values_list(*fields))
    step = max(1, -(-len(rows) // max_points))
    columns: dict[str, list] = {"t": [], "disk": [], **{name: [] for name in HISTORY_COLUMNS}}
    for row in rows[::step]:
        columns["t"].append(row[0].timestamp())
        columns["disk"].append(max((d["percent"] for d in row[1].values()), default=None))
        for name, value in zip(HISTORY_COLUMNS, row[2:]):
            columns[name].append(value)
    return columns
