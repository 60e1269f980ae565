"""The steps that follow a collector's run: registered by their app, run for their collector."""

from __future__ import annotations

from m365admin.choices import Collector
from m365admin.models import SyncRun
from m365admin.registry import sync_steps


def test_a_step_follows_the_runs_of_its_collector_only(monkeypatch):
    monkeypatch.setattr(sync_steps, "_STEPS", {})
    followed = []
    step = sync_steps.after_sync(Collector.USERS)(followed.append)
    sync_steps.after_sync(Collector.USERS)(step)  # imported again: still one step

    users, teams = SyncRun(collector=Collector.USERS), SyncRun(collector=Collector.TEAMS)
    sync_steps.follow(users)
    sync_steps.follow(teams)

    assert followed == [users]


def test_the_sign_in_detections_are_registered_after_the_sign_in_collector():
    from security.detections import trigger

    assert trigger.enqueue_after_signin_sync in sync_steps._STEPS[Collector.SIGNINS]
