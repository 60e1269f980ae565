"""`make run` twice in a row: the second demo start finds its saved Graph links pointing at the
first start's simulator port, drops them and syncs everything afresh."""

from __future__ import annotations

import time
import urllib.request

from tests.live import free_port


def serve_demo_until_up(site) -> None:
    port = free_port()
    process = site.start("demo", "--port", str(port), log=f"demo-{port}.log")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, site.log(f"demo-{port}.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        raise AssertionError(f"demo did not answer:\n{site.log(f'demo-{port}.log')}")
    site.stop_processes()


def test_the_demo_starts_twice_in_a_row_with_every_collector_succeeding(live_site):
    live_site.env.update({"DEMO_USERS": "15", "DEMO_SIGNINS": "300"})
    serve_demo_until_up(live_site)
    first = live_site.query("SELECT max(id) FROM m365admin_syncrun")[0][0]
    serve_demo_until_up(live_site)
    runs = live_site.query(
        f"SELECT collector, status, error FROM m365admin_syncrun WHERE id > {first}")
    assert runs
    assert [run for run in runs if run[1] not in ("succeeded", "skipped")] == []
    users = [run for run in runs if run[0] == "users"]
    assert len(users) == 2 and {status for _, status, _ in users} == {"succeeded"}
