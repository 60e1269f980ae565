"""Websocket fan-out: one tick to N dashboard clients on daphne, against a bare consumer.

Starts `manage.py serve --no-scheduler` on a fresh PostgreSQL database with the Redis channel
layer, and beside it plain daphne serving bench/bare_asgi.py (the ceiling: a consumer that
joins a group and forwards the text). The N websocket clients live in this process (asyncio +
websockets), signed in with one session cookie. The tick is a real one: `Ticker().tick()`
with the API check answered by that serve and one tenant synced from the Graph simulator.

Each round sends the tick once through `monitoring.push.send_tick` (the bare consumer gets
the same bytes through the same layer) and times the send to the last client receiving it.
Ours and bare alternate round by round, so load from elsewhere on the machine hits both
alike. Then two serve processes share the N clients. Prints, over the rounds, median and p95
time to the last client, the ratio ours / bare, and CPU per delivered message of the daphne
processes (psutil) and of this process (the clients and the send), which competes with
daphne and Redis for the same cores.

Then the reconnect storm, as after a deploy: all N clients connect at once (AT_ONCE in
flight) and leave, ours and bare alternating, --storms times; the median time to connect all.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/fanout.py --clients 1000 --rounds 30

DATABASE_URL names the server: each run makes a fresh database there and drops it.
A trial run: --clients 50 --rounds 5. It uses a Redis database of its own (--redis-url), so
no other process's ticks reach these clients.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import common
import psutil
from websockets.asyncio.client import ClientConnection, connect

WARM_UP = 3
ROUND_TIMEOUT = 60.0
# Clients connecting or closing at once: Twisted listens with a backlog of 50, and
# channels_redis's pool (redis-py's default, 100 connections a process) raises, rather than
# waits, when a group_add or group_discard finds it full.
AT_ONCE = 50


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000, help="websocket clients (1000)")
    parser.add_argument("--rounds", type=int, default=30,
                        help=f"measured ticks per setup, after {WARM_UP} warm-up ones (30)")
    parser.add_argument("--storms", type=int, default=5,
                        help="reconnect storms per setup, ours and bare alternating (5)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15",
                        help="the channel layer and cache: a Redis database of this "
                             "benchmark's own, as the app's keys there are deleted before and "
                             "after (redis://127.0.0.1:6379/15)")
    args = parser.parse_args()
    common.raise_fd_limit(2 * args.clients + 200)
    with common.live_site(REDIS_URL=args.redis_url) as site:
        from tests.live import login_cookie

        base = site.serve("--no-scheduler")
        ours_pid = site.processes[-1].pid
        text = _real_tick(site, base)
        bare_url, bare_pid = _start_bare(site)
        cookie = login_cookie(base)
        bench = Bench(site, text, {"Cookie": cookie, "Origin": base}, args.clients, args.rounds,
                      args.storms)
        asyncio.run(bench.run(base, ours_pid, bare_url, bare_pid))
        errors = _server_errors(site)
    _report(bench, args.clients, args.rounds, len(text.encode()))
    _report_storms(bench.storm_figures, args.clients)
    for line in errors:
        print(f"server error (the figures above may be off): {line}")


def _real_tick(site, base: str) -> str:
    """One tick as the scheduler pushes it, after an hour of history. It also leaves its
    snapshot in the cache, as the scheduler does, for clients to get on connecting."""
    from django.conf import settings

    from monitoring.tick import Ticker, encode

    settings.HEALTH_API_URL = f"{base}/healthz"
    common.seed_history()
    with common.simulated_tenant(str(site.var_dir / "simulator"), seed=1, users=50, signins=2000):
        return encode(asyncio.run(Ticker().tick()))


def _start_bare(site) -> tuple[str, int]:
    port = common.start_server(site, lambda port: [
        # -v 0: no access log, as `serve` runs daphne.
        sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
        "bench.bare_asgi:application",
    ], "bare.log")
    return f"ws://127.0.0.1:{port}/", site.processes[-1].pid


class Fleet:
    """Websocket clients that note when the last of them has received the tick text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sockets: list[ClientConnection] = []
        self._tasks: list[asyncio.Task] = []
        self._waiting = 0
        self._done = asyncio.Event()
        self._last = 0.0

    async def connect(self, url: str, count: int, headers: dict[str, str]) -> float:
        """Connects count more clients; returns the seconds it took."""
        gate = asyncio.Semaphore(AT_ONCE)

        async def one() -> None:
            async with gate:
                client = await connect(url, additional_headers=headers, compression=None,
                                       proxy=None, ping_interval=None, max_size=None,
                                       open_timeout=120)
            self.sockets.append(client)
            self._tasks.append(asyncio.create_task(self._listen(client)))

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return time.perf_counter() - started

    async def _listen(self, client: ClientConnection) -> None:
        async for message in client:
            # The snapshot sent on connecting is not the tick.
            if message == self.text:
                self._waiting -= 1
                if self._waiting == 0:
                    self._last = time.perf_counter()
                    self._done.set()

    async def deliver(self, send: Callable[[], Awaitable[None]]) -> float:
        """Seconds from send() to the last client receiving the text."""
        self._waiting = len(self.sockets)
        self._done.clear()
        started = time.perf_counter()
        await send()
        try:
            await asyncio.wait_for(self._done.wait(), ROUND_TIMEOUT)
        except TimeoutError:
            sys.exit(f"{self._waiting} of {len(self.sockets)} clients had no tick after "
                     f"{ROUND_TIMEOUT:.0f} s")
        return self._last - started

    async def close(self) -> None:
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(client: ClientConnection) -> None:
            async with gate:
                await client.close()

        await asyncio.gather(*(one(client) for client in self.sockets))
        await asyncio.gather(*self._tasks)


@dataclass
class Setup:
    name: str
    fleet: Fleet
    send: Callable[[], Awaitable[None]]
    daphnes: list[psutil.Process]
    urls: list[str]
    headers: dict[str, str]
    connect_seconds: float = 0.0
    times_ms: list[float] = field(default_factory=list)
    daphne_cpu: float = 0.0
    bench_cpu: float = 0.0


class Bench:
    def __init__(self, site, text: str, headers: dict[str, str], clients: int, rounds: int,
                 storms: int):
        self.site, self.text, self.headers = site, text, headers
        self.clients, self.rounds, self.storm_count = clients, rounds, storms
        self.setups: list[Setup] = []
        self.storm_figures: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}

    async def run(self, base: str, ours_pid: int, bare_url: str, bare_pid: int) -> None:
        import bare_asgi
        from channels.layers import get_channel_layer

        from monitoring import push

        layer = get_channel_layer()

        async def send_ours() -> None:
            await push.send_tick(self.text)

        async def send_bare() -> None:
            await layer.group_send(bare_asgi.GROUP, {"type": bare_asgi.MESSAGE_TYPE,
                                                     "text": self.text})

        ours = await self._setup("ours, 1 daphne", send_ours, [ours_pid], [_ws(base)], self.headers)
        bare = await self._setup("bare consumer, 1 daphne", send_bare, [bare_pid], [bare_url], {})
        await self._measure([ours, bare])
        await ours.fleet.close()
        await bare.fleet.close()
        await self._storms(ours, bare)

        second = await asyncio.to_thread(self.site.serve, "--no-scheduler")
        two = await self._setup("ours, 2 daphnes", send_ours,
                                [ours_pid, self.site.processes[-1].pid],
                                [_ws(base), _ws(second)], self.headers)
        await self._measure([two])
        await two.fleet.close()

    async def _storms(self, ours: Setup, bare: Setup) -> None:
        """Per storm, ours and bare alternately: seconds to connect every client, and the
        daphne process's CPU seconds meanwhile."""
        for _ in range(self.storm_count):
            for name, setup in (("ours", ours), ("bare", bare)):
                fleet, cpu = Fleet(self.text), _cpu(setup.daphnes)
                seconds = await fleet.connect(setup.urls[0], self.clients, setup.headers)
                self.storm_figures[name].append((seconds, _cpu(setup.daphnes) - cpu))
                await fleet.close()

    async def _setup(self, name, send, pids, urls, headers) -> Setup:
        setup = Setup(name, Fleet(self.text), send, [psutil.Process(pid) for pid in pids], urls,
                      headers)
        for index, url in enumerate(urls):
            # An even split; the first server takes the odd one.
            count = self.clients // len(urls) + (index < self.clients % len(urls))
            setup.connect_seconds += await setup.fleet.connect(url, count, headers)
        self.setups.append(setup)
        return setup

    async def _measure(self, setups: list[Setup]) -> None:
        for round_ in range(WARM_UP + self.rounds):
            for setup in setups:
                daphne_cpu, bench_cpu = _cpu(setup.daphnes), time.process_time()
                seconds = await setup.fleet.deliver(setup.send)
                await asyncio.sleep(0.1)  # the servers' last writes, before reading their CPU
                if round_ >= WARM_UP:
                    setup.times_ms.append(seconds * 1000)
                    setup.daphne_cpu += _cpu(setup.daphnes) - daphne_cpu
                    setup.bench_cpu += time.process_time() - bench_cpu


def _server_errors(site) -> list[str]:
    return [
        f"{log.name}: {line}" for log in sorted(site.var_dir.glob("*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if "Error" in line and not line.startswith(" ")
    ]


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws/dashboard/"


def _cpu(processes: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)  # user + system


def _report(bench: Bench, clients: int, rounds: int, size: int) -> None:
    print(f"fan-out of one tick: {clients:,} clients, {size:,}-byte message, "
          f"median of {rounds} rounds per setup (after {WARM_UP} warm-up)")
    rows = []
    for setup in bench.setups:
        messages = len(setup.times_ms) * clients
        rows.append([
            setup.name, f"{statistics.median(setup.times_ms):.1f}",
            f"{common.p95(setup.times_ms):.1f}", f"{1000 * setup.daphne_cpu / messages:.3f}",
            f"{1000 * setup.bench_cpu / messages:.3f}", f"{setup.connect_seconds:.1f}",
        ])
    print(common.table(["setup", "to last client: median ms", "p95 ms", "daphne CPU ms/msg",
                        "bench CPU ms/msg", "connect all s"], rows))
    ours, bare = (statistics.median(s.times_ms) for s in bench.setups[:2])
    print(f"ours / bare, median time to last client: {ours / bare:.2f} (target ≤ 1.2)")
    print("bench CPU: this process, i.e. the clients' reads plus the send; on this machine it "
          "shares the cores with daphne and Redis.")


def _report_storms(storms: dict[str, list[tuple[float, float]]], clients: int) -> None:
    if not storms["ours"]:
        return
    rows = []
    for name in ("ours", "bare"):
        seconds = [run[0] for run in storms[name]]
        cpu_ms = statistics.median(1000 * run[1] / clients for run in storms[name])
        rows.append([name, f"{statistics.median(seconds):.2f}",
                     " · ".join(f"{s:.2f}" for s in seconds), f"{cpu_ms:.2f}"])
    print(f"reconnect storm: {clients:,} signed-in dashboards connecting, "
          f"median of {len(storms['ours'])} (ours and bare alternating)")
    print(common.table(["setup", "connect all s", "runs s", "daphne CPU ms/connect"], rows))
    ours, bare = (statistics.median(run[0] for run in storms[name]) for name in ("ours", "bare"))
    print(f"ours / bare, median time to connect all: {ours / bare:.2f} (target ≤ 2)")


if __name__ == "__main__":
    main()
