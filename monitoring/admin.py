"""Measurements are written by the scheduler and web processes: readable here, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from monitoring.models import ComponentHealth, MetricSample, RequestStat


class MeasuredAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ComponentHealth)
class ComponentHealthAdmin(MeasuredAdmin):
    list_display = ["component", "status", "latency_ms", "reason", "since", "checked"]
    list_filter = ["status"]


@admin.register(MetricSample)
class MetricSampleAdmin(MeasuredAdmin):
    list_display = ["created", "host", "cpu_percent", "memory_percent", "swap_percent",
                    "app_rss_bytes", "app_cpu_percent"]
    list_filter = ["host"]
    date_hierarchy = "created"
    show_full_result_count = False  # a count over every partition, on each page view


@admin.register(RequestStat)
class RequestStatAdmin(MeasuredAdmin):
    list_display = ["interval_start", "route", "process", "count", "errors", "max_ms"]
    list_filter = ["route"]
    search_fields = ["route"]
    date_hierarchy = "interval_start"
