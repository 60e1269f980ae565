"""Run several programs as one: output prefixed with each one's name, a program that dies
restarted, and all of them stopped together on SIGINT or SIGTERM.

`serve --production` runs its topology with this. A Procfile runner such as honcho stops
everything when one process exits, so killing the active scheduler (which a standby is there
to survive) would take the whole site down with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

# A program that exits by itself sooner than this after its start is misconfigured, not
# unlucky: restarting it would only repeat its error, so everything stops. One killed by a
# signal (an operator, the OOM killer, a failover drill) was stopped from outside: restarted.
START_GRACE_SECONDS = 10.0
# A program that died later is started again after this pause: a crash loop does not spin,
# and a killed scheduler's standby (which retries every MONITORING_INTERVAL) gets the lock
# before the restarted one could race it for leadership.
RESTART_DELAY_SECONDS = 5.0
# Below the 15 s that tests and service managers commonly give before their own SIGKILL.
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.2


class Output(Protocol):
    """Where the prefixed lines go: a text stream, or a management command's stdout."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


@dataclass
class Program:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    started: float = 0.0
    died: float | None = None  # monotonic(), while waiting to be started again


class Supervisor:
    def __init__(self, programs: list[Program], *, cwd: Path, out: Output = sys.stdout) -> None:
        self.programs = programs
        self.cwd = cwd
        self.out = out
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._width = max(len(program.name) for program in programs)

    def run(self, ready: Callable[[], bool] = lambda: True) -> int:
        """Start every program and supervise them until a signal (0) or a failed start (1).
        `ready` is polled until it is true, then "ready" is announced once."""
        previous = {signum: signal.signal(signum, lambda *_: self._stopping.set())
                    for signum in (signal.SIGINT, signal.SIGTERM)}
        announced = False
        try:
            for program in self.programs:
                self._start(program)
            while not self._stopping.wait(POLL_SECONDS):
                for program in self.programs:
                    if not self._watch(program):
                        return 1
                if not announced and ready():
                    announced = True
                    self.say("ready")
            self.say("stopping")
            return 0
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _watch(self, program: Program) -> bool:
        """Starts it again when it has died (and waited); False when it failed as it started."""
        now = time.monotonic()
        if program.died is not None:
            if now - program.died >= RESTART_DELAY_SECONDS:
                self._start(program)
            return True
        assert program.process is not None  # noqa: S101 — for mypy: started before it is watched
        code = program.process.poll()
        if code is None:
            return True
        if code >= 0 and now - program.started < START_GRACE_SECONDS:
            self.say(f"{program.name} exited with code {code} as it started; "
                     "stopping everything (its last lines are above)")
            return False
        self.say(f"{program.name} exited with code {code}; starting it again "
                 f"in {RESTART_DELAY_SECONDS:g} s")
        program.died = now
        return True

    def say(self, line: str) -> None:
        self._write("supervisor", line)

    def _start(self, program: Program) -> None:
        # A session of its own: Ctrl-C on the terminal reaches only us, and we stop the
        # programs in order; killpg also reaches a program's own workers (granian's).
        program.process = subprocess.Popen(
            program.argv, cwd=self.cwd, env=program.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            text=True, errors="replace", bufsize=1,
        )
        program.started, program.died = time.monotonic(), None
        self.say(f"{program.name} started pid={program.process.pid}")
        threading.Thread(target=self._pump, args=(program.name, program.process.stdout),
                         daemon=True).start()

    def _pump(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self._write(name, line.rstrip("\n"))

    def _write(self, name: str, line: str) -> None:
        with self._write_lock:
            self.out.write(f"{name:<{max(self._width, 10)}} | {line}\n")
            self.out.flush()

    def _stop_all(self) -> None:
        """SIGTERM in reverse order of start (the proxy before what it proxies), then
        SIGKILL whatever has not finished within STOP_TIMEOUT_SECONDS."""
        running = [(p.name, p.process) for p in reversed(self.programs)
                   if p.process and p.process.poll() is None]
        for _name, process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.say(f"{name} did not stop within {STOP_TIMEOUT_SECONDS:g} s; killing it")
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
