"""The supervisor of `serve --production`, with real child processes: a failed start stops
everything, a later death is started again, and SIGTERM stops everything."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time

from m365admin.lib import supervisor
from m365admin.lib.supervisor import Program, Supervisor
from tests.live import ROOT


def program(name: str, code: str) -> Program:
    return Program(name, [sys.executable, "-c", code], dict(os.environ))


SLEEPER = "import time; print('sleeping', flush=True); time.sleep(60)"


def test_a_program_failing_as_it_starts_stops_everything():
    out = io.StringIO()
    sleeper = program("sleeper", SLEEPER)
    runner = Supervisor([sleeper, program("broken", "import sys; sys.exit(3)")],
                        cwd=ROOT, out=out)

    assert runner.run() == 1

    assert "broken exited with code 3 as it started; stopping everything" in out.getvalue()
    assert sleeper.process.poll() is not None  # stopped with it


def test_a_program_dying_later_is_started_again_and_sigterm_stops_everything(monkeypatch):
    monkeypatch.setattr(supervisor, "START_GRACE_SECONDS", 0.5)
    monkeypatch.setattr(supervisor, "RESTART_DELAY_SECONDS", 0.3)
    out = io.StringIO()
    sleeper = program("sleeper", SLEEPER)
    runner = Supervisor([sleeper, program("brief", "import time; time.sleep(1)")],
                        cwd=ROOT, out=out)

    def terminate_once_restarted() -> None:
        deadline = time.monotonic() + 30
        while out.getvalue().count("brief started") < 2:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    handler = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=terminate_once_restarted, daemon=True).start()
    assert runner.run() == 0

    lines = out.getvalue().splitlines()
    assert "sleeper    | sleeping" in lines
    assert "supervisor | brief exited with code 0; starting it again in 0.3 s" in lines
    assert sum(line.startswith("supervisor | brief started pid=") for line in lines) == 2
    assert lines[-1] == "supervisor | stopping"
    assert sleeper.process.poll() is not None
    assert signal.getsignal(signal.SIGTERM) == handler  # its own handler is gone with it


def test_a_program_killed_by_a_signal_as_it_starts_is_started_again(monkeypatch):
    monkeypatch.setattr(supervisor, "RESTART_DELAY_SECONDS", 0.3)
    out = io.StringIO()
    victim = program("victim", SLEEPER)
    runner = Supervisor([victim], cwd=ROOT, out=out)

    def kill_then_terminate() -> None:
        deadline = time.monotonic() + 30
        while victim.process is None or "| sleeping" not in out.getvalue():
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        os.kill(victim.process.pid, signal.SIGKILL)  # well within the start grace
        while out.getvalue().count("victim started") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=kill_then_terminate, daemon=True).start()
    assert runner.run() == 0
    lines = out.getvalue().splitlines()
    assert "supervisor | victim exited with code -9; starting it again in 0.3 s" in lines
    assert sum(line.startswith("supervisor | victim started pid=") for line in lines) == 2
