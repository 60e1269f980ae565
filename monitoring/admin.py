"""Measurements are read-only; alerts move only through actions; rules and silences are edited."""

from __future__ import annotations

import copy
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from m365admin.choices import AlertSource
from m365admin.lib.adminsecrets import WriteOnlySecretForm, WriteOnlySecretsAdmin
from m365admin.lib.readonlyadmin import ReadOnlyAdmin
from m365admin.registry import notifiers
from monitoring import notifiers as _kinds  # noqa: F401 — registers every kind before the form
from monitoring import notify
from monitoring.alerts import moves
from monitoring.choices import DeliveryStatus
from monitoring.forms import AlertNoteForm
from monitoring.models import (
    Alert,
    AlertRule,
    AlertTransition,
    ComponentHealth,
    DatabaseAction,
    Delivery,
    DeliveryAttempt,
    MetricSample,
    NotificationChannel,
    RequestStat,
    Silence,
)


class MeasuredAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ComponentHealth)
class ComponentHealthAdmin(MeasuredAdmin):
    list_display = ["component", "status", "latency_ms", "reason_text", "since", "checked"]
    list_filter = ["status"]
    exclude = ["reason", "reason_message"]
    readonly_fields = ["reason_text"]

    @admin.display(description=_("reason"))
    def reason_text(self, health: ComponentHealth) -> str:
        return health.localized_reason()


@admin.register(MetricSample)
class MetricSampleAdmin(MeasuredAdmin):
    list_display = ["created", "host", "cpu_percent", "memory_percent", "swap_percent",
                    "app_rss_bytes", "app_cpu_percent"]
    list_filter = ["host"]
    date_hierarchy = "created"
    show_full_result_count = False  # a count over every partition, on each page view


@admin.register(RequestStat)
class RequestStatAdmin(MeasuredAdmin):
    list_display = ["interval_start", "route", "process", "count", "errors", "refused", "max_ms"]
    list_filter = ["route"]
    search_fields = ["route"]
    date_hierarchy = "interval_start"


# Alerts


class AlertAgeFilter(admin.SimpleListFilter):
    """How long ago the alert was first seen."""

    title = _("age")
    parameter_name = "age"

    _RECENT = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}

    def lookups(self, request, model_admin):
        return [("1h", _("Last hour")), ("24h", _("Last 24 hours")), ("7d", _("Last 7 days")),
                ("older", _("Older"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() in self._RECENT:
            return queryset.filter(first_seen__gte=now - self._RECENT[self.value()])
        if self.value() == "older":
            return queryset.filter(first_seen__lt=now - self._RECENT["7d"])
        return queryset


class AlertTransitionInline(admin.TabularInline):
    """The alert's history: read-only, written only by the alert's own methods."""

    model = AlertTransition
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["summary_text", "severity", "status", "tenant", "count", "first_seen",
                    "last_seen", "silenced"]
    list_filter = ["severity", "status", "rule__source", "tenant", AlertAgeFilter]
    search_fields = ["summary"]
    list_select_related = ["tenant", "rule"]
    fields = ["code", "summary_text", "rule", "tenant", "labels", "severity", "status", "value",
              "count", "first_seen", "last_seen", "fired", "acknowledged", "acknowledged_by",
              "resolved", "resolved_by", "silenced", "inhibited_by", "fingerprint"]
    readonly_fields = fields
    inlines = [AlertTransitionInline]
    actions = ["acknowledge", "resolve"]

    @admin.display(description=_("summary"), ordering="summary")
    def summary_text(self, alert: Alert) -> str:
        return alert.title  # the stored summary in the reader's language

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The change page is view-only; `change_alert` is what the actions check (obj=None).
        return obj is None and super().has_change_permission(request)

    @admin.action(description=_("Acknowledge selected alerts"), permissions=["change"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet):
        return self._move(request, queryset, "acknowledge", _("Acknowledge alerts"))

    @admin.action(description=_("Resolve selected alerts"), permissions=["change"])
    def resolve(self, request: HttpRequest, queryset: QuerySet):
        return self._move(request, queryset, "resolve", _("Resolve alerts"))

    def _move(self, request, queryset, name, title):
        """The note form first (an intermediate page), then the move, alert by alert."""
        form = AlertNoteForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(request, "admin/monitoring/alert_note.html", {
                **self.admin_site.each_context(request),
                "title": title, "opts": self.model._meta, "action": name, "form": form,
                "alerts": queryset, "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            })
        text, conflicted = moves.apply(
            name, queryset.select_related(None).only("pk", "status"), request.user,
            form.cleaned_data["note"])
        self.message_user(request, text, messages.WARNING if conflicted else messages.SUCCESS)
        return None


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    # Saving runs AlertRule.clean (metric per source, percentages 0–100); errors show on the form.
    list_display = ["name_text", "source", "metric_name", "comparison", "threshold", "for_seconds",
                    "severity", "tenant", "enabled"]
    list_filter = ["source", "severity", "enabled", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "metric"]
    readonly_fields = ["code", "created"]

    @admin.display(description=_("name"), ordering="name")
    def name_text(self, rule: AlertRule) -> str:
        return rule.title  # a seeded rule's name in the reader's language

    @admin.display(description=_("metric"), ordering="metric")
    def metric_name(self, rule: AlertRule) -> str:
        return format_html("<code>{}</code>", rule.metric)  # a name to type, not a word


class SilenceStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("upcoming", _("Not started")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "active": lambda: queryset.filter(starts__lte=now, ends__gt=now),
            "upcoming": lambda: queryset.filter(starts__gt=now),
            "expired": lambda: queryset.filter(ends__lte=now),
        }.get(self.value(), lambda: queryset)()


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ["reason", "rule", "matchers", "starts", "ends", "is_active", "author"]
    list_filter = [SilenceStateFilter, "rule"]
    list_select_related = ["rule", "author"]
    search_fields = ["reason"]
    fields = ["rule", "matchers", "starts", "ends", "reason", "author", "created"]
    readonly_fields = ["author", "created"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        now = timezone.now()
        return super().get_queryset(request).annotate(active=ExpressionWrapper(
            Q(starts__lte=now, ends__gt=now), output_field=BooleanField()
        ))

    @admin.display(description=_("active"), boolean=True, ordering="active")
    def is_active(self, obj: Silence) -> bool:
        return obj.active

    def save_model(self, request: HttpRequest, obj: Silence, form, change: bool) -> None:
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


# Notifications


def _for_kinds(help_text: str, labels: list[str]) -> str:
    used_by = gettext("Used by: %(kinds)s.") % {"kinds": ", ".join(map(str, labels))}
    return f"{help_text} {used_by}" if help_text else used_by


def _config_fields() -> dict[str, forms.Field]:
    """Every kind's config fields (monitoring/notifiers/), each once, saying which kinds use
    it: the form shows fields, never the stored JSON."""
    fields: dict[str, forms.Field] = {}
    labels: dict[str, list[str]] = {}
    kinds: dict[str, list[str]] = {}
    for kind, notifier in notifiers.NOTIFIERS.items():
        for name, field in notifier.form_fields.items():
            fields.setdefault(name, copy.deepcopy(field))
            labels.setdefault(name, []).append(notifier.label)
            kinds.setdefault(name, []).append(kind)
    for name, field in fields.items():
        field.help_text = lazy(_for_kinds, str)(field.help_text, labels[name])
        # static/js/admin/notificationchannel.js shows only the chosen kind's fields.
        field.widget.attrs["data-kinds"] = " ".join(kinds[name])
    return fields


class NotificationChannelForm(WriteOnlySecretForm):
    sources = forms.MultipleChoiceField(
        label=_("sources"), choices=AlertSource.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The alert sources this channel receives; none ticked for all."),
    )
    # Write-only, like a tenant's client secret: never rendered back.
    secret = forms.CharField(
        label=_("signing secret"), required=False, strip=True, min_length=16, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Webhooks only: the key for the X-Signature HMAC-SHA256 over the timestamp "
                    "and the body, shared with the receiver. Stored encrypted. Leave blank to "
                    "keep the current secret."),
    )

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "enabled", "min_severity", "sources", "tenant"]

    class Media:
        js = ["js/admin/notificationchannel.js"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secret"].widget.attrs["data-kinds"] = " ".join(
            kind for kind, notifier in notifiers.NOTIFIERS.items() if notifier.secret_required)
        for name in CONFIG_FIELDS:
            if name in self.instance.config:
                self.initial[name] = self.instance.config[name]

    def clean(self):
        """The chosen kind's fields become the channel's config (checked by its notifier in
        NotificationChannel.clean, errors shown on these fields); the other kinds' are
        ignored."""
        cleaned = super().clean()
        notifier = notifiers.NOTIFIERS.get(cleaned.get("kind", ""))
        if notifier is None:
            return cleaned
        # A blank number is left out, so the config class's default applies.
        self.instance.config = {name: cleaned[name] for name in notifier.form_fields
                                if cleaned.get(name) is not None}
        if (notifier.secret_required and not cleaned.get("secret")
                and not self.instance.secret_encrypted):
            self.add_error("secret", notifier.secret_required)
        return cleaned


# The config fields are built from the registry, so a new kind's fields need no edit here.
CONFIG_FIELDS = _config_fields()
NotificationChannelForm.declared_fields.update(CONFIG_FIELDS)
NotificationChannelForm.base_fields.update(CONFIG_FIELDS)


@admin.register(NotificationChannel)
class NotificationChannelAdmin(WriteOnlySecretsAdmin):
    # Saving runs NotificationChannel.clean: the kind's notifier checks its config (email
    # addresses; a URL's scheme and target address against SSRF); errors show on the form.
    form = NotificationChannelForm
    write_only_fields = ("secret",)
    list_display = ["name", "kind", "enabled", "min_severity", "tenant", "failing", "created"]
    list_filter = ["kind", "enabled", "failing", "min_severity", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "config"]
    readonly_fields = ["code", "failing", "created"]
    actions = ["send_test"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields
        # A reader's page renders each field from the model, which has no attribute per config
        # field: the kind's settings are shown as one read-only value instead.
        return [name for name in fields if name not in CONFIG_FIELDS] + ["settings"]

    @admin.display(description=_("settings"))
    def settings(self, channel: NotificationChannel) -> str:
        kind = notifiers.NOTIFIERS.get(channel.kind)
        labels = {name: field.label for name, field in (kind.form_fields if kind else {}).items()}
        return format_html_join(mark_safe("<br>"), "{}: {}", [
            (labels.get(name, name), ", ".join(map(str, value)) if isinstance(value, list)
             else value) for name, value in channel.config.items()])

    @admin.action(description=_("Send a test message to the selected channels"),
                  permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Now, through each channel's own transport; the outcome per channel, and a row in
        the delivery log."""
        for channel in queryset:
            delivery = notify.send_test(channel)
            if delivery.status == DeliveryStatus.SENT:
                self.message_user(request, _("%(channel)s: test message sent.") % {
                    "channel": channel}, messages.SUCCESS)
            else:
                self.message_user(request, _("%(channel)s: the test message failed (%(error)s).")
                                  % {"channel": channel, "error": delivery.error},
                                  messages.ERROR)


class DeliveryAttemptInline(admin.TabularInline):
    """Every try at sending the delivery, oldest first: written by the scheduler only."""

    model = DeliveryAttempt
    fields = ["at", "status_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: written by the scheduler only; a failed or cancelled delivery can be
    sent again (its earlier attempts stay in its history)."""

    list_display = ["created", "channel", "event", "alert_count", "status", "attempts",
                    "status_code", "duration_ms", "error", "sent"]
    list_filter = ["status", "event", "channel"]
    list_select_related = ["channel"]
    search_fields = ["error", "channel__name"]
    date_hierarchy = "created"
    fields = ["channel", "event", "alerts", "status", "due", "attempts", "status_code", "error",
              "duration_ms", "created", "sent"]
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(alert_total=Count("alerts"))

    @admin.display(description=_("alerts"), ordering="alert_total")
    def alert_count(self, obj: Delivery) -> int:
        return obj.alert_total

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.action(description=_("Send the selected failed or cancelled deliveries again"),
                  permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        """A new round of attempts, added to the history (not replacing it); deliveries of a
        disabled channel stay cancelled."""
        requeued = queryset.filter(
            status__in=[DeliveryStatus.FAILED, DeliveryStatus.CANCELLED], channel__enabled=True,
        ).update(status=DeliveryStatus.QUEUED, due=timezone.now(), claimed=None,
                 attempts_before_resend=F("attempts"))
        self.message_user(request, ngettext(
            "%(count)d delivery queued again.", "%(count)d deliveries queued again.", requeued,
        ) % {"count": requeued}, messages.SUCCESS if requeued else messages.WARNING)


@admin.register(DatabaseAction)
class DatabaseActionAdmin(ReadOnlyAdmin):
    """The record of every database action: started and cancelled on the database console
    (its SQL is shown and confirmed there), only viewed here."""

    list_display = ["requested", "kind", "target", "state", "requested_by", "started",
                    "finished"]
    list_filter = ["state", "kind"]
    list_select_related = ["requested_by"]
    search_fields = ["target", "result"]
    date_hierarchy = "requested"
    fields = ["kind", "target", "column", "statements", "state", "requested_by", "requested",
              "started", "finished", "backend_pid", "progress", "cancel_requested_by",
              "result"]
