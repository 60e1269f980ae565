"""m365admin.lib.env: typed readers that name the variable they failed on."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from m365admin.lib.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
    secret_in_var,
)

NAME = "M365ADMIN_TEST_VALUE"


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)

    def set_value(value: str, name: str = NAME) -> None:
        monkeypatch.setenv(name, value)

    return set_value


def test_env_str_treats_empty_as_unset(env):
    assert env_str(NAME) is None
    assert env_str(NAME, "fallback") == "fallback"
    env("")
    assert env_str(NAME, "fallback") == "fallback"
    env(" kept as given ")
    assert env_str(NAME) == " kept as given "


@pytest.mark.parametrize("value, expected", [("True", True), ("False", False)])
def test_env_bool_reads_true_and_false(env, value, expected):
    env(value)
    assert env_bool(NAME, not expected) is expected


def test_env_bool_falls_back_when_unset_or_empty(env):
    assert env_bool(NAME, True) is True
    env("")
    assert env_bool(NAME, False) is False


@pytest.mark.parametrize("value", ["yes", "1", "on", "true", "FALSE", " True"])
def test_env_bool_refuses_anything_else(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be True or False"):
        env_bool(NAME, False)


def test_env_int_reads_whole_numbers_and_defaults(env):
    assert env_int(NAME, 7) == 7
    env("42")
    assert env_int(NAME, 7, minimum=42) == 42


@pytest.mark.parametrize("value", ["abc", "1.5", "1e3", "twelve"])
def test_env_int_refuses_what_is_not_a_whole_number(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be a whole number"):
        env_int(NAME, 1)


def test_env_int_enforces_the_minimum(env):
    env("0")
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be at least 1, not 0"):
        env_int(NAME, 5, minimum=1)


def test_env_float_reads_numbers_and_enforces_the_minimum(env):
    assert env_float(NAME, 2.5) == 2.5
    env("0.25")
    assert env_float(NAME, 1.0, minimum=0.1) == 0.25
    env("0.05")
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be at least 0.1"):
        env_float(NAME, 1.0, minimum=0.1)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "abc"])
def test_env_float_refuses_what_is_not_a_finite_number(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be a (finite )?number"):
        env_float(NAME, 1.0)


def test_env_list_splits_on_commas_and_drops_blanks(env):
    assert env_list(NAME, ["a"]) == ["a"]
    env("  ")
    assert env_list(NAME, ["a"]) == ["a"]
    env("example.com, .example.org,,  ")
    assert env_list(NAME, []) == ["example.com", ".example.org"]


def test_env_secret_prefers_the_file(env, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    env("from-env")
    assert env_secret(NAME) == "from-env"
    env(str(secret_file), f"{NAME}_FILE")
    assert env_secret(NAME) == "from-file"


def test_env_secret_names_the_file_variable_it_cannot_read(env, tmp_path):
    env(str(tmp_path / "missing"), f"{NAME}_FILE")
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME}_FILE: cannot read .*missing"):
        env_secret(NAME)


def test_secret_in_var_generates_once_with_mode_0600(env, tmp_path):
    var_dir = tmp_path / "var"
    calls = []

    def generate() -> str:
        calls.append(1)
        return f"generated-{len(calls)}"

    assert secret_in_var(NAME, var_dir, "thing", generate) == "generated-1"
    assert secret_in_var(NAME, var_dir, "thing", generate) == "generated-1"
    assert calls == [1]
    assert stat.S_IMODE((var_dir / "thing").stat().st_mode) == 0o600


def test_secret_in_var_ignores_a_permissive_umask(env, tmp_path):
    old = os.umask(0)
    try:
        secret_in_var(NAME, tmp_path, "thing", lambda: "value")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "thing").stat().st_mode) == 0o600


def test_secret_in_var_prefers_the_environment_and_writes_nothing(env, tmp_path):
    env("pinned")
    assert secret_in_var(NAME, tmp_path, "thing", lambda: "generated") == "pinned"
    assert not (tmp_path / "thing").exists()


def test_secret_in_var_says_what_to_do_when_var_is_not_writable(env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")  # a file where the folder should be
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} is not set and .* cannot be created"):
        secret_in_var(NAME, blocker / "var", "thing", lambda: "generated")
