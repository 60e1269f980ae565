"""The alert-source registry: each source's function found beside its app's code, in
AlertSource order, and a loud failure when a source has none or two."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from m365admin.choices import AlertSource
from m365admin.registry.alert_sources import Observation, alert_source, in_order, sources


def _nothing() -> list[Observation]:
    return []


def test_every_source_but_the_ticks_is_registered_by_the_app_whose_data_it_reads():
    assert [f"{source.__module__}.{source.__name__}" for source in sources()] == [
        "collectors.alert_sources.sync_failures",
        "monitoring.alert_sources.service_health",
        "monitoring.alert_sources.channels",
        "security.alert_sources.security_events",
        "monitoring.alert_sources.subscriptions",
        "monitoring.alert_sources.client_secrets",
    ]


def test_a_source_without_a_function_fails_loudly():
    registered = {f"{s.__module__}": s for s in sources()}  # keyed wrongly: nothing matches
    with pytest.raises(ImproperlyConfigured, match="no alert source registered for sync, "):
        in_order(registered)


def test_a_second_function_for_a_source_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="two alert sources for 'security'"):
        alert_source(AlertSource.SECURITY)(_nothing)


def test_the_ticks_own_sources_cannot_be_registered():
    with pytest.raises(ImproperlyConfigured, match="'metric' observations come from the tick"):
        alert_source(AlertSource.METRIC)(_nothing)
