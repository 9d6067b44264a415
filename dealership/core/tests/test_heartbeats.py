import os
import time
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from dealership.core.checks import checks_run
from dealership.core.heartbeats import worker_heartbeats_start, worker_heartbeats_stop
from dealership.core.models import Heartbeat
from dealership.core.tasks import BEAT_HEARTBEAT_TASK
from reminders.tests.test_tasks import ROOT, celery_worker, wait_until


@pytest.mark.django_db(transaction=True)
def test_a_worker_beats_from_the_moment_it_is_ready():
    worker_heartbeats_start()  # what celery's worker_ready signal runs (dealership/celery.py)
    try:
        deadline = time.monotonic() + 10
        while not Heartbeat.objects.filter(name="worker").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker_heartbeats_stop()

    beat = Heartbeat.objects.get(name="worker")
    assert "pid" in beat.detail


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_with_beat_reports_both_heartbeats(tmp_path):
    """scripts/run's `worker --beat`: the worker's thread and beat's every-minute task both report."""
    [operation] = import_module(
        "dealership.core.migrations.0003_beat_heartbeat_schedule"
    ).Migration.operations
    operation.code(apps, None)  # transactional tests empty every table; put the schedule back
    PeriodicTask.objects.filter(task=BEAT_HEARTBEAT_TASK).update(
        last_run_at=timezone.now() - timedelta(minutes=5)  # due at beat's first look
    )
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "broker"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    beat = ("--beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler")
    log = tmp_path / "worker.log"

    with celery_worker(*beat, "--schedule", str(tmp_path / "beat"), env=env, log=log) as worker:
        wait_until(lambda: Heartbeat.objects.filter(name__in=["worker", "beat"]).count() == 2, worker, log)

    states = {check.name: check.state for check in checks_run()}
    assert states["worker"] == "ok" and states["beat"] == "ok"
