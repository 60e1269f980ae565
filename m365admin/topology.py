"""The production topology on one host: what `manage.py serve --production` starts.

Caddy terminates TLS and serves the static files; HTTP goes to granian's WSGI interface
(several times daphne's requests/s for the same Django view: README "Benchmarks"), `/ws/` to
one daphne process, and two schedulers run beside them (an advisory lock keeps one active).
deploy/Caddyfile is the proxy's configuration, shipped for a service manager of your own too.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from m365admin.lib.supervisor import Program

CADDYFILE = Path(settings.BASE_DIR) / "deploy" / "Caddyfile"
SCHEDULERS = 2
# Task workers (collector runs, detections): more run on other hosts with `manage.py worker`.
TASK_WORKERS = 2


@dataclass(frozen=True)
class Ports:
    https: int
    http: int  # only redirects to https
    wsgi: int
    daphne: int


def check_requirements() -> str:
    """Everything the topology needs, each missing piece as one line; returns Caddy's path."""
    if connection.vendor != "postgresql":
        raise CommandError("serve --production needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not settings.REDIS_URL:
        raise CommandError("serve --production needs Redis: set REDIS_URL=redis://…")
    caddy = shutil.which("caddy")
    if caddy is None:
        raise CommandError("serve --production needs Caddy on PATH (apt-get install caddy)")
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        raise CommandError(f"no static files in {settings.STATIC_ROOT}: "
                           "run manage.py collectstatic --no-input first")
    return caddy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, made once into `folder` (for trying the
    topology locally; production passes --cert and --key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "m365admin self-signed")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key.touch(mode=0o600)
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


def app_environment(ports: Ports) -> dict[str, str]:
    """The app's processes sit behind Caddy on loopback: they believe its X-Forwarded-For and
    -Proto, send secure cookies and HSTS, and leave redirecting plain HTTP to Caddy, so the
    scheduler's API check can ask a WSGI worker directly. An operator's own values win."""
    env = dict(os.environ)
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1/32")
    env.setdefault("HTTPS", "True")
    env.setdefault("TRUST_X_FORWARDED_PROTO", "True")
    env.setdefault("SECURE_SSL_REDIRECT", "False")
    env.setdefault("HEALTH_API_URL", f"http://127.0.0.1:{ports.wsgi}/healthz")
    env["PYTHONUNBUFFERED"] = "1"  # lines reach the supervisor as they are written
    return env


def wsgi_command(port: int, workers: int, app: str = "m365admin.wsgi:application") -> list[str]:
    """granian serving `app` through its WSGI interface on 127.0.0.1:`port`."""
    # Each WSGI thread can hold a pooled connection, so no request waits for the pool.
    threads = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads),
            "--no-access-log", "--log-level", "warning", "--respawn-failed-workers", app]


def programs(*, caddy: str, host: str, ports: Ports, workers: int, cert: Path,
             key: Path) -> list[Program]:
    env = app_environment(ports)
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    # Only what the Caddyfile reads: the proxy has no use for the app's secrets.
    caddy_env = {
        "PATH": os.environ.get("PATH", ""),
        "M365ADMIN_BIND": host,
        "M365ADMIN_HTTPS_PORT": str(ports.https), "M365ADMIN_HTTP_PORT": str(ports.http),
        "M365ADMIN_TLS_CERT": str(cert), "M365ADMIN_TLS_KEY": str(key),
        "M365ADMIN_STATIC_ROOT": str(settings.STATIC_ROOT),
        "M365ADMIN_WSGI": f"127.0.0.1:{ports.wsgi}",
        "M365ADMIN_DAPHNE": f"127.0.0.1:{ports.daphne}",
        # Caddy keeps its state (locks, an instance id) under these.
        "XDG_DATA_HOME": str(settings.VAR_DIR / "caddy"),
        "XDG_CONFIG_HOME": str(settings.VAR_DIR / "caddy"),
    }
    return [
        Program("wsgi", wsgi_command(ports.wsgi, workers), env),
        Program("daphne", [*manage, "serve", "--no-scheduler", "--port", str(ports.daphne)], env),
        *(Program(f"scheduler.{n}", [*manage, "scheduler"], env)
          for n in range(1, SCHEDULERS + 1)),
        *(Program(f"worker.{n}", [*manage, "worker"], env) for n in range(1, TASK_WORKERS + 1)),
        Program("caddy", [caddy, "run", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
                caddy_env),
    ]


def answers(url: str) -> bool:
    """Whether `url` on loopback answers 200. Our own processes: the certificate (a real one
    names the public host, not 127.0.0.1) proves nothing here."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # No HTTP_PROXY from the environment: the request must reach our process.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
