"""A throw-away PostgreSQL database for a benchmark, and Django pointed at it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """DATABASE_URL (only its server and credentials are used), or the local default server."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if not urlsplit(url).scheme.startswith("postgres"):
        raise SystemExit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    return url


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def recreate(server: str, name: str, *, create: bool) -> str:
    """Drop database `name` (and create it again when `create`); returns the server version."""
    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"


def recreate_skip(server: str) -> str:
    """The server version, for a run on a database kept from before (nothing dropped or created)."""
    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"


def django_setup(url: str) -> None:
    """Configure Django for the database at `url` and migrate it."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dealership.settings"
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory and skews the figures
    # Outside DEBUG the settings refuse to start without a key; a benchmark signs nothing that matters.
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-signing-key-" + "x" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per booking would flood the output
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def close_connections() -> None:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


def analyze() -> None:
    """A live database has planner statistics (autovacuum); freshly bulk-loaded tables do not."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def sql_cost(call: Callable[[int], object], *, runs: int = 20) -> tuple[float, float]:
    """(queries, SQL milliseconds) per call of `call(i)`, timing each statement at the driver."""
    from django.db import connection

    count, seconds = 0, 0.0

    def count_sql(execute: Callable[..., Any], statement: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count, seconds
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            count += 1
            seconds += time.perf_counter() - started

    with connection.execute_wrapper(count_sql):
        for i in range(runs):
            call(i)
    return count / runs, seconds * 1000 / runs
