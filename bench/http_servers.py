"""HTTP throughput: daphne (ASGI) against granian's WSGI interface, beside the bare-view ceiling.

(Not bench/http.py: run as a script, a benchmark's folder comes first on sys.path, and a
file of that name there hides the standard library's http package from every benchmark.)

On a fresh PostgreSQL database with Redis (cache, rate-limit counts, sessions' database), one
process of each server, as `serve --production` runs them:

  granian  m365admin.wsgi:application (--blocking-threads DB_POOL_MAX)
  daphne   `manage.py serve --no-scheduler` (the embedded default's server)
  and each serving bench/bare_http.py, a bare Django JSON view: the server's ceiling.

wrk (apt-get install wrk) loads each with --connections for --seconds, per endpoint:
`/healthz`, one page of `/api/v1/sign-ins/` and `/dashboard/`, the last two signed in as a
Viewer (one tenant synced from the Graph simulator, an hour of metric history). Servers
alternate run by run, so load from elsewhere on the machine hits both alike; each figure is
the median of --runs. Rate limits are lifted for the run (they would answer 429).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/http_servers.py --runs 3 --seconds 5

DATABASE_URL names the server: each run makes a fresh database there and drops it. It uses
a Redis database of its own (--redis-url), whose app keys are deleted before and after.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

import common

ENDPOINTS = {"bare view": "/bare", "/healthz": "/healthz",
             "/api/v1/sign-ins/": "/api/v1/sign-ins/", "/dashboard/": "/dashboard/"}
SIGNED_IN = {"/api/v1/sign-ins/", "/dashboard/"}
UNLIMITED = "1000000/s"


@dataclass
class Figures:
    rates: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    failed: int = 0  # non-2xx answers and socket errors, over all runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per server and endpoint (3)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each run (5)")
    parser.add_argument("--connections", type=int, default=100, help="wrk connections (100)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15",
                        help="cache and channel layer: a Redis database of this benchmark's own "
                             "(redis://127.0.0.1:6379/15)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/http_servers.py needs wrk: apt-get install wrk")
    common.raise_fd_limit(4 * args.connections + 200)
    with common.live_site(REDIS_URL=args.redis_url, RATELIMIT_USER=UNLIMITED,
                          RATELIMIT_IP=UNLIMITED) as site:
        from tests.live import login_cookie

        servers = _start_servers(site)
        common.seed_history()
        with common.simulated_tenant(str(site.var_dir / "simulator"), seed=1, users=50,
                                     signins=2000):
            pass  # its sign-ins stay in the database
        cookie = login_cookie(servers["daphne"]["app"])
        figures = _measure(servers, cookie, args)
    _report(figures, args)


def _start_servers(site) -> dict[str, dict[str, str]]:
    from m365admin.topology import wsgi_command

    def daphne(app: str):
        return lambda port: [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1",
                             "-p", str(port), app]

    def url(command, log: str) -> str:
        return f"http://127.0.0.1:{common.start_server(site, command, log)}"

    return {
        "granian (WSGI)": {
            "app": url(lambda port: wsgi_command(port, 1), "granian.log"),
            "bare": url(lambda port: wsgi_command(port, 1, "bench.bare_http:wsgi"),
                        "granian-bare.log"),
        },
        "daphne": {
            "app": site.serve("--no-scheduler"),
            "bare": url(daphne("bench.bare_http:asgi"), "daphne-bare.log"),
        },
    }


def _measure(servers, cookie: str, args) -> dict[tuple[str, str], Figures]:
    figures: dict[tuple[str, str], Figures] = {}
    for name, path in ENDPOINTS.items():
        for _ in range(args.runs):
            for server, urls in servers.items():
                base = urls["bare"] if name == "bare view" else urls["app"]
                headers = {"Cookie": cookie} if name in SIGNED_IN else {}
                one = figures.setdefault((name, server), Figures())
                _wrk(base + path, headers, args, one)
    return figures


def _wrk(url: str, headers: dict[str, str], args, into: Figures) -> None:
    command = ["wrk", "--threads", "2", "--connections", str(args.connections),
               "--duration", f"{args.seconds}s", "--timeout", "10s", "--latency", url]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    into.rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)))
    into.p50_ms.append(_ms(re.search(r"\s50%\s+(\S+)", output).group(1)))
    into.p99_ms.append(_ms(re.search(r"\s99%\s+(\S+)", output).group(1)))
    for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)",
                    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        match = re.search(pattern, output)
        into.failed += sum(int(n) for n in match.groups()) if match else 0


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _report(figures: dict[tuple[str, str], Figures], args) -> None:
    print(f"wrk --threads 2 --connections {args.connections} --duration {args.seconds}s, "
          f"one process per server, median of {args.runs} runs (servers alternating)")
    rows = []
    for (name, server), one in figures.items():
        rows.append([name, server, f"{statistics.median(one.rates):,.0f}",
                     f"{statistics.median(one.p50_ms):.1f}",
                     f"{statistics.median(one.p99_ms):.1f}", one.failed])
    print(common.table(["endpoint", "server", "requests/s", "p50 ms", "p99 ms", "failed"], rows))
    for name in ENDPOINTS:
        rates = {server: statistics.median(one.rates)
                 for (endpoint, server), one in figures.items() if endpoint == name}
        if rates["daphne"]:
            print(f"{name}: granian / daphne {rates['granian (WSGI)'] / rates['daphne']:.1f}x")


if __name__ == "__main__":
    main()
