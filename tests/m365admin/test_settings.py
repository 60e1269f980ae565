"""m365admin.settings as an operator meets it: a bad value stops start-up with one line.

Each case starts a fresh process (settings are read once per process), with M365ADMIN_VAR_DIR
in a temporary folder so the real var/ is never touched.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"
# Variables that would leak the developer's or CI's own configuration into the child.
_INHERITED = ("DATABASE_URL", "SECRET_KEY", "SECRET_KEY_FILE", "FERNET_KEYS", "FERNET_KEYS_FILE",
              "DEBUG", "LOG_LEVEL", "TIME_ZONE", "REDIS_URL")


def _env(var_dir: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED}
    env.update(DJANGO_SETTINGS_MODULE="m365admin.settings", M365ADMIN_VAR_DIR=str(var_dir))
    env.update(variables)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=MANAGE.parent,
                          capture_output=True, text=True, timeout=60)


def _manage_check(var_dir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return _run([str(MANAGE), "check"], _env(var_dir, **variables))


def _settings_of(var_dir: Path, *names: str, **variables: str) -> dict:
    """Settings as a fresh process reads them (cheaper than starting Django)."""
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))")
    done = _run(["-c", code], _env(var_dir, **variables))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


POSTGRES = "postgres://m365admin@127.0.0.1:5432/m365admin"


BAD_VALUES = [
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgres://db.example:notaport/m365admin"}, "DATABASE_URL"),
    ({"DATABASE_URL": "sqlite:////proc/no-such-dir/m365admin.sqlite3"}, "DATABASE_URL"),
    ({"DEBUG": "yes"}, "DEBUG"),
    ({"DB_POOL_MAX": "abc", "DATABASE_URL": POSTGRES}, "DB_POOL_MAX"),
    ({"DB_POOL_MAX": "0", "DATABASE_URL": POSTGRES}, "DB_POOL_MAX"),
    ({"DB_POOL_TIMEOUT": "nan", "DATABASE_URL": POSTGRES}, "DB_POOL_TIMEOUT"),
    ({"FERNET_KEYS": "not-a-key"}, "FERNET_KEYS"),
    ({"FERNET_KEYS_FILE": "/nonexistent"}, "FERNET_KEYS_FILE"),
    ({"SECRET_KEY_FILE": "/nonexistent"}, "SECRET_KEY_FILE"),
    ({"TIME_ZONE": "Mars/Olympus_Mons"}, "TIME_ZONE"),
    ({"TIME_ZONE_DEFAULT": "Mars/Olympus_Mons"}, "TIME_ZONE_DEFAULT"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"RATELIMIT_IP": "lots"}, "RATELIMIT_IP"),
    ({"RATELIMIT_USER": "0/m"}, "RATELIMIT_USER"),
    ({"RATELIMIT_ANONYMOUS": "lots"}, "RATELIMIT_ANONYMOUS"),
    ({"INSPECTION_EVENTS_PER_ADDRESS": "0/m"}, "INSPECTION_EVENTS_PER_ADDRESS"),
    # Believed from anyone, a client could claim HTTPS: it needs the proxies to believe.
    ({"TRUST_X_FORWARDED_PROTO": "True"}, "TRUSTED_PROXIES"),
    # Django 6.1's file backend takes its folder from its own options, not EMAIL_FILE_PATH.
    ({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "EMAIL_FILE_PATH"),
    ({"EMAIL_USE_TLS": "True", "EMAIL_USE_SSL": "True",
      "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}, "EMAIL_USE_SSL"),
    ({"EMAIL_BACKEND": "example.mail.EmailBackend", "EMAIL_OPTIONS": "[1]"}, "EMAIL_OPTIONS"),
]
BAD_IDS = [" ".join(f"{k}={v}" for k, v in variables.items()) for variables, _ in BAD_VALUES]


@pytest.fixture(scope="module")
def bad_value_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every bad-value start-up, side by side (each is a fresh interpreter: mostly import time)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {
            case: pool.submit(_manage_check, tmp_path_factory.mktemp("var"), **variables)
            for case, (variables, _) in zip(BAD_IDS, BAD_VALUES)
        }
    return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize(
    "case, named", [(case, named) for case, (_, named) in zip(BAD_IDS, BAD_VALUES)], ids=BAD_IDS
)
def test_a_bad_value_stops_start_up_with_one_line_naming_it(bad_value_runs, case, named):
    done = bad_value_runs[case]
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("m365admin: configuration error: ")
    assert named in lines[0]
    assert done.stdout == ""


def test_the_error_does_not_echo_a_database_password(tmp_path):
    done = _manage_check(tmp_path, DATABASE_URL="postgres://u:hunter2@db.example:x/m365admin")
    assert done.returncode != 0
    assert "hunter2" not in done.stderr


def test_a_fresh_var_dir_gets_a_secret_key_and_fernet_keys_then_reuses_them(tmp_path):
    var_dir = tmp_path / "var"  # not there yet: start-up creates it
    done = _manage_check(var_dir)
    assert done.returncode == 0, done.stderr
    secret_file, keys_file = var_dir / "secret_key", var_dir / "fernet.keys"
    for path in (secret_file, keys_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    secret, keys = secret_file.read_text().strip(), keys_file.read_text().strip()
    assert len(secret) >= 50
    Fernet(keys)  # a usable key

    read = _settings_of(var_dir, "SECRET_KEY", "FERNET_KEYS")
    assert read == {"SECRET_KEY": secret, "FERNET_KEYS": [keys]}
    assert secret_file.read_text().strip() == secret  # reused, not regenerated


def test_values_from_the_environment_win_and_write_nothing(tmp_path):
    key = Fernet.generate_key().decode()
    read = _settings_of(tmp_path, "SECRET_KEY", "FERNET_KEYS",
                        SECRET_KEY="x" * 50, FERNET_KEYS=f" {key} , ", JWT_SIGNING_KEY="j" * 50)
    assert read == {"SECRET_KEY": "x" * 50, "FERNET_KEYS": [key]}
    assert [path.name for path in tmp_path.iterdir()] == []


def test_secrets_can_come_from_files(tmp_path):
    key = Fernet.generate_key().decode()
    (tmp_path / "sk").write_text("y" * 50 + "\n")
    (tmp_path / "fk").write_text(key + "\n")
    read = _settings_of(tmp_path / "var", "SECRET_KEY", "FERNET_KEYS",
                        SECRET_KEY_FILE=str(tmp_path / "sk"), FERNET_KEYS_FILE=str(tmp_path / "fk"))
    assert read == {"SECRET_KEY": "y" * 50, "FERNET_KEYS": [key]}


def test_options_in_the_database_url_are_kept_beside_the_pool(tmp_path):
    read = _settings_of(tmp_path, "DATABASES", DATABASE_URL=POSTGRES + "?sslmode=require",
                        DB_POOL_MAX="7")
    options = read["DATABASES"]["default"]["OPTIONS"]
    assert options["sslmode"] == "require"
    assert options["pool"]["max_size"] == 7
    assert read["DATABASES"]["default"]["CONN_MAX_AGE"] == 0  # the pool needs it


def test_debug_is_off_unless_asked_for(tmp_path):
    assert _settings_of(tmp_path, "DEBUG") == {"DEBUG": False}
    assert _settings_of(tmp_path, "DEBUG", DEBUG="True") == {"DEBUG": True}


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = _run(
        [str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        _env(tmp_path, HTTPS="True", SECRET_KEY="x" * 20 + "a-long-random-production-key-0123456789"),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_an_email_backend_gets_its_own_options_or_stops_the_check(tmp_path):
    backend = "django.core.mail.backends.filebased.EmailBackend"
    read = _settings_of(tmp_path, "MAILERS", EMAIL_BACKEND=backend,
                        EMAIL_FILE_PATH=str(tmp_path / "mail"))
    assert read == {"MAILERS": {"default": {"BACKEND": backend,
                                            "OPTIONS": {"file_path": str(tmp_path / "mail")}}}}
    done = _manage_check(tmp_path, EMAIL_BACKEND=backend, EMAIL_FILE_PATH="/proc/no-such/mail")
    assert done.returncode != 0
    assert "m365admin.E101" in done.stderr and "/proc/no-such/mail" in done.stderr
