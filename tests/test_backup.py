"""scripts/backup and scripts/restore: a backup of the database restores into another one, whole."""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from crm.models import Customer

ROOT = Path(__file__).resolve().parent.parent


def database_url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def script(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def count_customers(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("SELECT count(*) FROM crm_customer").fetchone()[0]


@pytest.fixture
def empty_database() -> str:
    """A new, empty database next to the test database; dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = database_url("postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield database_url(name)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)  # the rows must be committed for pg_dump to see them
def test_a_backup_restores_into_another_database_with_the_same_rows(tmp_path, empty_database):
    for n in range(3):
        Customer.objects.create(name=f"Backup Customer {n}", phone=f"+1312555014{n}")
    source = database_url(connection.settings_dict["NAME"])
    archive = tmp_path / "nightly.dump"

    backup = script("scripts/backup", str(archive), DATABASE_URL=source)
    assert backup.returncode == 0, backup.stderr
    assert archive.stat().st_size > 0 and not Path(f"{archive}.partial").exists()

    restore = script("scripts/restore", str(archive), empty_database)
    assert restore.returncode == 0, restore.stderr
    assert count_customers(empty_database) == count_customers(source) == 3


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_already_has_tables(tmp_path, empty_database):
    source = database_url(connection.settings_dict["NAME"])
    archive = tmp_path / "nightly.dump"
    assert script("scripts/backup", str(archive), DATABASE_URL=source).returncode == 0
    assert script("scripts/restore", str(archive), empty_database).returncode == 0

    again = script("scripts/restore", str(archive), empty_database)
    assert again.returncode != 0
    assert "already has" in again.stderr and "restore into an empty one" in again.stderr
