"""The security feed read by a SIEM, and forwarded to syslog.

Seeds --records feed records (security events with typical fields), then times, over --runs
runs each: reading the whole feed through `/api/v1/feed/security` in pages of --page (Django's
test client, signed in as a Viewer), and forwarding all of it to a syslog receiver on loopback
(tests/syslog_receiver.py, strict parsing) over TCP and over TLS, from the start each run.
Prints the median records per second and the median milliseconds per feed page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/feed.py --records 20000 --runs 3

DATABASE_URL names the server: each run makes a fresh database there and drops it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with common.live_site():
        _seed(args.records)
        reads = [_read(args.page) for _run in range(args.runs)]
        rows = [["feed read (HTTP, NDJSON)", _median([r for r, _ in reads]),
                 f"{statistics.median(ms for _, ms in reads):.1f}"]]
        for transport in ("tcp", "tls"):
            rows.append([f"syslog over {transport.upper()} (JSON)",
                         _median([_forward(transport, args.records) for _run in range(args.runs)]),
                         "—"])
    print(f"{args.records} feed records, median of {args.runs} runs (shared machine)")
    print(common.table(["path", "records/s", f"ms per {args.page}-line page"], rows))


def _median(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f}"


def _seed(count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from m365admin import feed

    for start in range(0, count, 5000):
        with transaction.atomic():
            feed.publish([feed.record(
                "security_event", start + i, time=timezone.now(), severity="warning",
                kind="sql_injection", title="SQL injection attempt", ip_address="203.0.113.7",
                username="", method="GET", path="/users/", location="query:q", blocked=False,
                count=1, details={"pattern": "' OR 1=1 --"},
            ) for i in range(min(5000, count - start))])


def _read(page: int) -> tuple[float, float]:
    """The whole feed, page by page: (records/s, median ms per page)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.live import USERNAME

    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host
    client.force_login(get_user_model().objects.get(username=USERNAME))
    after, total, times = "", 0, []
    while True:
        started = time.perf_counter()
        response = client.get("/api/v1/feed/security", {"after": after, "limit": page})
        assert response.status_code == 200, response.content[:200]
        times.append((time.perf_counter() - started) * 1000)
        lines = response.content.count(b"\n")
        if not lines:
            break
        total += lines
        after = response["Feed-Next-Cursor"]
    return total / (sum(times) / 1000), statistics.median(times[:-1] or times)


def _forward(transport: str, count: int) -> float:
    import tempfile
    from pathlib import Path

    from m365admin import syslog
    from m365admin.lib.syslogconfig import SyslogConfig
    from m365admin.models.feed import FeedDelivery
    from tests.syslog_receiver import SyslogReceiver, server_tls

    FeedDelivery.objects.all().delete()  # from the start
    with tempfile.TemporaryDirectory() as scratch:
        context, ca_file = server_tls(Path(scratch)) if transport == "tls" else (None, None)
        receiver = SyslogReceiver(tls=context).start()
        try:
            config = SyslogConfig(host="127.0.0.1", port=receiver.port, transport=transport,
                                  format="json", ca_file=ca_file, timeout=30.0)
            started = time.perf_counter()
            sent = syslog.Forwarder(config).run()
            elapsed = time.perf_counter() - started
            receiver.wait_for(count, timeout=60)
            assert sent == count == len(receiver.messages) and not receiver.errors
        finally:
            receiver.stop()
    return count / elapsed


if __name__ == "__main__":
    main()
