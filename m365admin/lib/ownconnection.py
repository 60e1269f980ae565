"""A PostgreSQL session of its own, outside Django's pool, for work that must not share one:
an advisory lock held for a process's life, or a statement that refuses to run in a
transaction and may be cancelled by its backend PID."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection


def own_connection(**params: Any) -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit connection to the default database, `params` overriding its settings
    (application_name, dbname …)."""
    settings = connection.get_connection_params()
    settings.pop("cursor_factory", None)  # Django's own cursor class, not for plain psycopg
    return psycopg.connect(**{**settings, **params}, autocommit=True)
