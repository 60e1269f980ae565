"""What the scheduler measures: system metrics, component health, and request statistics."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Component, HealthStatus
from m365admin.texts import render


class MetricSampleQuerySet(models.QuerySet["MetricSample"]):
    def between(self, start, end) -> MetricSampleQuerySet:
        """Always bound the time range, so PostgreSQL prunes the daily partitions."""
        return self.filter(created__gte=start, created__lt=end)


class MetricSample(models.Model):
    """One psutil reading of the host the scheduler runs on (daily partitions on PostgreSQL).

    A metric this platform cannot read is null and named in `unavailable`.
    """

    created = models.DateTimeField(_("time"), default=timezone.now)
    host = models.CharField(_("host"), max_length=255)
    cpu_percent = models.FloatField(_("CPU %"), null=True)
    cpu_per_core = models.JSONField(_("CPU % per core"), default=list)
    load_1 = models.FloatField(_("load (1 min)"), null=True)
    load_5 = models.FloatField(_("load (5 min)"), null=True)
    load_15 = models.FloatField(_("load (15 min)"), null=True)
    memory_percent = models.FloatField(_("memory %"), null=True)
    swap_percent = models.FloatField(_("swap %"), null=True)
    # {"database": {"path": …, "percent": …}, "var": {…}}: the volumes we write to.
    disks = models.JSONField(_("disks"), default=dict)
    disk_read_bps = models.FloatField(_("disk read (bytes/s)"), null=True)
    disk_write_bps = models.FloatField(_("disk write (bytes/s)"), null=True)
    net_in_bps = models.FloatField(_("network in (bytes/s)"), null=True)
    net_out_bps = models.FloatField(_("network out (bytes/s)"), null=True)
    app_rss_bytes = models.BigIntegerField(_("app memory (bytes)"), null=True)
    app_cpu_percent = models.FloatField(_("app CPU %"), null=True)
    app_processes = models.PositiveSmallIntegerField(_("app processes"), default=0)
    unavailable = models.JSONField(_("unavailable metrics"), default=list, blank=True)

    objects = MetricSampleQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("metric sample")
        verbose_name_plural = _("metric samples")
        indexes = [
            # The charts: the samples of the last hour / 6 h / 24 h, newest first.
            models.Index(fields=["-created", "-id"], name="metricsample_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.created:%Y-%m-%d %H:%M:%S}"


class ComponentHealth(models.Model):
    """The latest check of one component; one row per component, updated every tick."""

    component = models.CharField(_("component"), max_length=16, choices=Component, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=HealthStatus)
    latency_ms = models.FloatField(_("latency (ms)"), null=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)  # in English
    # The reason as a language-neutral message (m365admin/texts.py): null in rows from before.
    reason_message = models.JSONField(_("reason message"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    checked = models.DateTimeField(_("checked"), default=timezone.now)
    # When the status last changed, so "down for 5 minutes" needs no history table.
    since = models.DateTimeField(_("in this status since"), default=timezone.now)

    class Meta:
        ordering = ["component"]
        verbose_name = _("component health")
        verbose_name_plural = _("component health")

    def __str__(self) -> str:
        return f"{self.get_component_display()}: {self.get_status_display()}"

    def localized_reason(self) -> str:
        """The reason in the active language; an older row's English line as it was stored."""
        return render(self.reason_message, self.reason)


class RequestStat(models.Model):
    """One web process's requests to one route during one interval.

    Latencies are kept as a fixed-bucket histogram (monitoring.requeststats.BUCKETS_MS), so
    intervals and processes merge by adding counts and percentiles stay honest across them.
    """

    interval_start = models.DateTimeField(_("interval start"))
    process = models.CharField(_("process"), max_length=100)
    route = models.CharField(_("route"), max_length=200)
    count = models.PositiveIntegerField(_("requests"))
    errors = models.PositiveIntegerField(_("server errors"))
    refused = models.PositiveIntegerField(_("refused (4xx)"), default=0)
    total_ms = models.FloatField(_("total time (ms)"))
    max_ms = models.FloatField(_("slowest (ms)"))
    buckets = models.JSONField(_("latency histogram"))

    class Meta:
        ordering = ["-interval_start", "route"]
        verbose_name = _("request statistic")
        verbose_name_plural = _("request statistics")
        indexes = [
            # The tick and the performance API: the rows of the last interval(s).
            models.Index(fields=["interval_start"], name="requeststat_interval"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.interval_start:%H:%M:%S} ×{self.count}"
