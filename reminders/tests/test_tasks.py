"""Real Celery workers, started the way Procfile and scripts/run start them, dispatch and dial.

Transactional tests: the worker is another process on another connection, so the rows it reads must
be committed. The worker's clock is set to a Tuesday morning (see worker_settings.py).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from reminders.models import Reminder, ReminderAttempt
from reminders.services import reminder_schedule
from reminders.tasks import reminders_dispatch

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
ROOT = Path(__file__).resolve().parents[2]


def worker_env(fake, *, minutes_after: int = 5, **overrides: str | None) -> dict[str, str]:
    db = settings.DATABASES["default"]
    auth = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reminders.tests.worker_settings",
        "WORKER_FROZEN_AT": (TUESDAY_9 + timedelta(minutes=minutes_after)).isoformat(),
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_PHONE_NUMBER": settings.TWILIO_PHONE_NUMBER,
        "TWILIO_API_BASE_URL": fake.http_url,
        "PUBLIC_BASE_URL": "https://shop.example.com",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("OUTBOUND_CALL_ALLOWLIST", None)
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


@contextmanager
def celery_worker(*args: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dealership", "worker", "-l", "info", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)  # warm shutdown, as on Ctrl-C or a deploy
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen, log: Path, within: float = 60.0
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        assert process.poll() is None, log.read_text()[-3000:]
        time.sleep(0.2)
    raise AssertionError("timed out; worker log:\n" + log.read_text()[-3000:])


@contextmanager
def twilio_that_never_answers() -> Iterator[str]:
    """A server that accepts connections and never replies: a worker calling it hangs in create_call."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for conn in held:
            conn.close()


def wait_for_call(fake, process: subprocess.Popen, log: Path, within: float = 60.0) -> list:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if calls := fake.requests_to("/Calls.json"):
            return calls
        assert process.poll() is None, log.read_text()[-3000:]
        time.sleep(0.2)
    raise AssertionError("no call was placed; worker log:\n" + log.read_text()[-3000:])


@pytest.fixture
def due_reminder(shop, customer, make_appointment) -> Reminder:
    appointment = make_appointment(customer, TUESDAY_9 + timedelta(days=1, hours=1))
    reminder = reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))
    assert reminder.due_at == TUESDAY_9
    return reminder


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_runs_the_dispatcher_and_places_the_call(due_reminder, telephony, tmp_path):
    assert connection.vendor == "postgresql" and settings.REDIS_URL.startswith("redis://")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # no stale messages from earlier runs
    env = worker_env(telephony, REDIS_URL=settings.REDIS_URL)

    with celery_worker("--pool", "solo", env=env, log=tmp_path / "worker.log") as worker:
        reminders_dispatch.delay()
        [call] = wait_for_call(telephony, worker, tmp_path / "worker.log")

    assert call.value("To") == "+13125550147"
    assert call.value("MachineDetection") == "DetectMessageEnd"
    due_reminder.refresh_from_db()
    assert due_reminder.status == Reminder.Status.CALLING


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_with_beat_runs_reminders_without_redis(due_reminder, telephony, tmp_path):
    """scripts/run's command: `worker --beat` with the database scheduler and the filesystem broker."""
    # Transactional tests empty every table; put the schedule back the way migration 0002 makes it.
    [operation] = import_module("reminders.migrations.0002_dispatch_schedule").Migration.operations
    operation.code(apps, None)
    task = PeriodicTask.objects.get(task="reminders.tasks.reminders_dispatch")
    assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.MINUTES)
    task.last_run_at = TUESDAY_9  # so beat's first look (at 9:05 on the worker's clock) finds it due
    task.save()
    env = worker_env(telephony, REDIS_URL=None, CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"))
    beat = ("--beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "--concurrency", "2")

    with celery_worker(
        *beat, "--schedule", str(tmp_path / "beat"), env=env, log=tmp_path / "worker.log"
    ) as worker:
        [call] = wait_for_call(telephony, worker, tmp_path / "worker.log")

    assert call.value("To") == "+13125550147"
    assert "filesystem" in (tmp_path / "worker.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_dialling_is_not_redialled_by_the_next_one(due_reminder, telephony, tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    in_flight = ReminderAttempt.objects.filter(reminder=due_reminder, outcome="sending")

    with twilio_that_never_answers() as hanging_url:
        env = worker_env(telephony, REDIS_URL=settings.REDIS_URL, TWILIO_API_BASE_URL=hanging_url)
        with celery_worker("--pool", "solo", env=env, log=tmp_path / "first.log") as first:
            reminders_dispatch.delay()
            wait_until(in_flight.exists, first, tmp_path / "first.log")
            first.kill()  # SIGKILL inside create_call: no cleanup runs
            first.wait()

    # A new worker, minutes later (past REMINDER_CLAIM_STALE_SECONDS), with a Twilio that works.
    env = worker_env(telephony, minutes_after=12, REDIS_URL=settings.REDIS_URL)
    with celery_worker("--pool", "solo", env=env, log=tmp_path / "second.log") as second:
        reminders_dispatch.delay()
        reminders_dispatch.delay()
        wait_until(
            lambda: Reminder.objects.filter(pk=due_reminder.pk, status=Reminder.Status.REVIEW).exists(),
            second,
            tmp_path / "second.log",
        )
        log = tmp_path / "second.log"
        dispatched = re.compile(r"reminders_dispatch\[[^]]+\] succeeded")
        wait_until(lambda: len(dispatched.findall(log.read_text())) == 2, second, log)

    assert telephony.requests_to("/Calls.json") == []
    assert in_flight.count() == 0
    assert ReminderAttempt.objects.get(reminder=due_reminder).outcome == ReminderAttempt.Outcome.UNKNOWN
