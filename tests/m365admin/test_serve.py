"""manage.py serve (and demo) refuse a port in use in one line, before doing anything else."""

from __future__ import annotations

import socket

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_refused_in_one_line(command, busy_port):
    with pytest.raises(CommandError) as error:
        call_command(command, port=busy_port)
    assert str(error.value) == (
        f"cannot listen on 127.0.0.1:{busy_port} (Address already in use): "
        "stop what uses it or pass --port"
    )
