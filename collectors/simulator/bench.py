"""Serving benchmark: `python -m collectors.simulator.bench [--signins N] [--pages N] [--beta]`.

The simulator runs in this process; a client in a separate process pages through
/auditLogs/signIns at $top=1000 over one keep-alive HTTPS connection. Prints wall-clock pages
per second and pages per second of the server process's own CPU time (i.e. on one core).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import requests

from . import GraphSimulator, SimTenant

TENANT = "b3c0ffee-0000-4000-8000-000000000001"


def _client(url: str, token: str, ca_bundle: str, pages: int,
            out: multiprocessing.Queue[Any]) -> None:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    count = items = 0
    next_url: str | None = url
    started = time.perf_counter()
    while next_url and count < pages:
        response = session.get(next_url, headers=headers, verify=ca_bundle, timeout=30)
        response.raise_for_status()
        body = msgspec.json.decode(response.content)
        items += len(body["value"])
        count += 1
        next_url = body.get("@odata.nextLink")
    out.put((count, items, time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signins", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--beta", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        sim = GraphSimulator(state_dir=Path(state))
        started = time.perf_counter()
        sim.add_tenant(SimTenant(TENANT, "bench", "secret", users=args.users,
                                 signins=args.signins))
        built = time.perf_counter() - started
        sim.start()
        version = "beta" if args.beta else "v1.0"
        queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
        client = multiprocessing.Process(target=_client, args=(
            f"{sim.base_url}/{version}/auditLogs/signIns?$top=1000", sim.issue_token(TENANT),
            sim.ca_bundle, args.pages, queue))
        cpu = time.process_time()
        client.start()
        pages, items, elapsed = queue.get()
        cpu = time.process_time() - cpu
        client.join()
        sim.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{version}: tenant ({args.users} users, {args.signins} sign-ins) built in {built:.2f}s; "
          f"{pages} pages / {items} sign-ins in {elapsed:.2f}s = {pages / elapsed:.1f} pages/s "
          f"wall; server CPU {cpu:.2f}s = {pages / cpu:.1f} pages per CPU-second; "
          f"server peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
