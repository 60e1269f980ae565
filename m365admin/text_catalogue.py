"""The templates of the language-neutral messages (m365admin/texts.py), by code: component
health reasons, and what collectors and the Graph client say when something fails.

A code is stored in the database: never rename one, add a new one instead.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

SEPARATORS = {"comma": _(", "), "semicolon": _("; ")}

TEMPLATES = {
    # Durations and counts inside other messages.
    "age.seconds": _("%(n)s s"),
    "age.minutes": _("%(n)s min"),
    "age.hours": _("%(n)s h"),
    "age.days": _("%(n)s days"),
    "tenants": ngettext_lazy("%(n)s tenant", "%(n)s tenants", "n"),
    # Component health (the checks registered with m365admin/registry/health.py).
    "health.no_answer": _("no answer within %(seconds)s s"),
    "health.still_running": _("still waiting for the previous check, started %(seconds)s s ago"),
    "health.check_failed": _("check failed: %(error)s"),
    "health.no_tenants": _("no tenants configured"),
    "health.tenant_problems": _("%(tenant)s: %(problems)s"),
    "health.api.up": _("200 in %(ms)s ms"),
    "health.api.slow": _("200 in %(ms)s ms, slower than %(limit)s ms"),
    "health.api.status": _("API answered HTTP %(status)s"),
    "health.api.unreachable": _("API unreachable: %(error)s"),
    "health.database.up": _("SELECT 1 in %(ms)s ms (%(vendor)s)"),
    "health.database.up_pool": _("SELECT 1 in %(ms)s ms (%(vendor)s, pool %(in_use)s/%(max)s "
                                 "in use)"),
    "health.database.slow": _("SELECT 1 took %(ms)s ms, slower than %(limit)s ms"),
    "health.database.pool_exhausted": _("connection pool exhausted: %(size)s of %(max)s "
                                        "connections in use, %(waiting)s request(s) waiting"),
    "health.database.unreachable": _("database unreachable: %(error)s"),
    "health.graph.up": ngettext_lazy("%(tenants)s answers in %(ms)s ms",
                                     "%(tenants)s answer, slowest in %(ms)s ms", "n"),
    "health.graph.throttled_probe": _("Graph throttled the probe (HTTP 429)"),
    "health.graph.status": _("Graph answered HTTP %(status)s"),
    "health.graph.status_code": _("Graph answered HTTP %(status)s %(code)s"),
    "health.graph.breakers": _("circuit breaker open for %(services)s"),
    "health.graph.throttling": _("%(throttled)s throttled requests and %(seconds)s s waiting "
                                 "to retry since the last check"),
    "health.graph.stale": _("stale syncs: %(syncs)s"),
    "health.graph.synced_ago": _("%(collector)s (%(age)s ago)"),
    "health.graph.never_synced": _("%(collector)s (never)"),
    "health.secret_unreadable": _("client secret unreadable: %(error)s"),
    "health.exchange.up": _("operational for %(tenants)s"),
    "health.exchange.not_synced": _("service health not synced yet"),
    "health.exchange.reports": _("Exchange Online reports %(status)s"),
    "health.exchange.stale": _("service health last synced %(age)s ago"),
    "health.auth.up": _("sessions and users answer; %(tokens)s"),
    "health.auth.tokens": _("tokens issued for %(tenants)s"),
    "health.auth.sign_in": _("sign-in unavailable: %(problem)s"),
    "health.auth.session_forgets": _("the session store does not keep what it is given"),
    "health.auth.session_failed": _("session store failed: %(error)s"),
    "health.auth.users_unreadable": _("user table unreadable: %(error)s"),
    "health.cache.up": _("%(cache)s and %(layer)s answer in %(ms)s ms"),
    "health.cache.slow": _("%(cache)s and %(layer)s took %(ms)s ms, slower than %(limit)s ms"),
    "health.cache.forgets": _("cache (%(cache)s): a value just stored could not be read back"),
    "health.cache.unreachable": _("cache (%(cache)s) unreachable: %(error)s"),
    "health.cache.no_layer": _("no channel layer configured: live updates cannot reach "
                               "browsers"),
    "health.layer.no_delivery": _("channel layer (%(layer)s) did not deliver a message within "
                                  "%(seconds)s s"),
    "health.layer.other_message": _("channel layer (%(layer)s): the channel layer returned "
                                    "another message"),
    "health.layer.unreachable": _("channel layer (%(layer)s) unreachable: %(error)s"),
    "health.queue.up": ngettext_lazy(
        "%(n)s due task, the oldest waiting %(age)s; %(workers)s; %(failed)s failed in the "
        "last hour",
        "%(n)s due tasks, the oldest waiting %(age)s; %(workers)s; %(failed)s failed in the "
        "last hour", "n"),
    "health.queue.workers": ngettext_lazy("%(n)s worker alive", "%(n)s workers alive", "n"),
    "health.queue.behind": ngettext_lazy(
        "%(n)s due task has waited %(age)s, longer than one interval (%(limit)s)",
        "the oldest of %(n)s due tasks has waited %(age)s, longer than one interval "
        "(%(limit)s)", "n"),
    "health.queue.no_worker": _("no task worker alive: nothing in the queue runs"),
    "health.queue.no_worker_since": _("no task worker heard from for %(age)s: nothing in the "
                                      "queue runs"),
    # Collectors and the Graph client (collectors/…; SyncRun.error_message).
    "sync.no_premium": _("this tenant has no Entra ID P1/P2 licence (or the app lacks "
                         "AuditLog.Read.All): %(what)s"),
    "sync.no_premium.signins": _("Graph does not give out its sign-in logs"),
    "sync.no_premium.activity": _("last sign-in times are not available"),
    "sync.abandoned": _("abandoned: the process running it (%(owner)s) stopped after "
                        "%(pages)s page(s) and %(rows)s row(s), last seen %(seen)s UTC; the next "
                        "run resumes from the checkpoint"),
    "sync.secret_unreadable": _("client secret: %(error)s"),
    "sync.internal": _("internal error (%(error)s); see the server log"),
    "graph.failure": _("%(message)s (%(details)s)"),
    "graph.resync": _("delta state expired, full resync required: %(message)s"),
    "graph.no_licence": _("tenant has no Entra ID P1/P2 licence for this data: %(message)s"),
    "graph.token_rejected": _("Graph rejected the access token: %(message)s"),
    "graph.throttled": _("still throttled after the last retry: %(message)s"),
    "graph.failing": _("Graph is failing: %(message)s"),
    "graph.no_token": _("cannot get a token for tenant %(tenant)s from %(authority)s: "
                        "%(reason)s"),
    "graph.tls": _("TLS verification failed: %(error)s; check ca_bundle"),
    "graph.unreachable": ngettext_lazy(
        "%(method)s %(service)s failed after %(n)s attempt: %(error)s",
        "%(method)s %(service)s failed after %(n)s attempts: %(error)s", "n"),
    "graph.breaker": _("circuit open for tenant %(tenant)s, service %(service)s after "
                       "%(why)s; next trial in %(seconds)s s"),
    "graph.breaker.trial": _("a trial call is in progress"),
    "graph.breaker.failures": _("%(n)s consecutive failures"),
    "graph.report.no_location": _("report redirect has no Location"),
    "graph.report.not_utf8": _("report is not UTF-8 text: %(error)s"),
    "graph.batch.no_responses": _("batch response has no 'responses' array"),
    "graph.batch.missing_ids": _("batch response lacks ids %(ids)s"),
    "graph.not_json": _("expected JSON, got %(type)s (%(bytes)s bytes)"),
    "graph.no_content_type": _("no content type"),
    "graph.bad_shape": _("unexpected JSON shape: %(error)s"),
    "graph.bad_json": _("truncated or invalid JSON (%(bytes)s bytes): %(error)s"),
}
