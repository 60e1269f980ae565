"""manage.py serve (and demo) refuse a port in use in one line, before doing anything else."""

from __future__ import annotations

import socket
import subprocess

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command


@pytest.fixture
def busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_port_in_use_is_refused_in_one_line(busy_port):
    with pytest.raises(CommandError) as error:
        call_command("serve", port=busy_port)
    assert str(error.value) == (
        f"cannot listen on 127.0.0.1:{busy_port} (Address already in use): "
        "stop what uses it or pass --port"
    )


def test_the_demo_refusal_says_how_to_pick_a_port_with_make_run(busy_port):
    with pytest.raises(CommandError) as error:
        call_command("demo", port=busy_port)
    assert str(error.value) == (
        f"cannot listen on 127.0.0.1:{busy_port} (Address already in use): "
        f"stop what uses it or use `make run PORT={busy_port + 1}` (or --port)"
    )


@pytest.mark.parametrize("arguments, port", [([], "8000"), (["PORT=8010"], "8010")])
def test_make_run_passes_its_port_to_the_demo(arguments, port):
    # --dry-run prints the recipe without installing or serving anything.
    done = subprocess.run(["make", "--dry-run", "run", *arguments], cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.splitlines()[-1].endswith(f"manage.py demo --port {port}")
