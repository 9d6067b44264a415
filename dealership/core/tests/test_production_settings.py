"""Production defaults, each checked in a fresh process started with the environment under test (settings
are read once, at start-up)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
KEY = "production-like-signing-key-" + "0123456789abcdefghijklmnopqrstuvwxyz"
ORIGIN = "https://receptionist.example.com"
PRODUCTION = {
    "DJANGO_SECRET_KEY": KEY,
    "PUBLIC_BASE_URL": ORIGIN,
    "DJANGO_ALLOWED_HOSTS": "receptionist.example.com",
}


@pytest.fixture
def run(tmp_path, settings):
    """Runs `args` (after the Python interpreter) with only the given environment, like a fresh server."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        base = {
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "dealership.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "celery"),
        }
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_without_a_secret_key_it_refuses_to_start_outside_debug(run):
    result = run("manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_refuses_a_short_secret_key_outside_debug(run):
    result = run("manage.py", "check", DJANGO_SECRET_KEY="changeme")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is 8 characters long" in result.stderr


def test_the_local_demo_starts_without_a_key(run):
    result = run("manage.py", "check", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_it_refuses_a_tools_api_key_under_32_characters(run):
    result = run("manage.py", "check", DJANGO_DEBUG="1", TOOLS_API_KEY="k" * 31)
    assert result.returncode != 0
    assert "ImproperlyConfigured: TOOLS_API_KEY is 31 characters long" in result.stderr
    assert run("manage.py", "check", DJANGO_DEBUG="1", TOOLS_API_KEY="k" * 32).returncode == 0


DEPLOY_CHECKS = """
import json, django
django.setup()
from django.core import checks
messages = checks.run_checks(include_deployment_checks=True)
print(json.dumps([f"{m.id}: {m.msg}" for m in messages if not m.is_silenced()]))
"""


def test_the_deploy_checks_find_nothing_with_production_settings(run):
    result = run("-c", DEPLOY_CHECKS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


BEHIND_HTTPS = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
host = {"HTTP_HOST": "receptionist.example.com"}
client = Client()
# /tools/ reads no database (no key configured: 503), so the test database stays as it was.
plain = client.get("/tools/", **host)
secure = client.get("/tools/", **host, HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "health": client.get("/health/", **host).status_code,
    "ready": client.get("/health/ready/", **host).status_code,
    "secure": secure.status_code,
    "hsts": secure.get("Strict-Transport-Security"),
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
}))
"""


def test_behind_https_it_redirects_plain_http_except_health_and_sends_secure_cookies_and_hsts(run):
    result = run("-c", BEHIND_HTTPS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, f"{ORIGIN}/tools/"]
    assert seen["health"] == 200  # load balancers probe over plain HTTP on the private network
    assert seen["ready"] != 301
    assert seen["secure"] == 503  # X-Forwarded-Proto from the TLS proxy: served, not redirected
    assert seen["hsts"] == "max-age=31536000; includeSubDomains"
    assert seen["cookies_secure"] == [True, True]
    assert seen["trusted_origins"] == [ORIGIN]


def test_without_https_the_local_demo_keeps_plain_http(run):
    script = BEHIND_HTTPS.replace("receptionist.example.com", "127.0.0.1")
    result = run("-c", script, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [503, None]
    assert seen["hsts"] is None and seen["cookies_secure"] == [False, False]
