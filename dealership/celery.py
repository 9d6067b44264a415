"""Celery application (DESIGN.md §1): `celery -A dealership worker` and `celery -A dealership beat`.

The broker is Redis when REDIS_URL is set; otherwise kombu's filesystem transport in a local directory
(settings.CELERY_FILESYSTEM_BROKER_DIR), which needs no server, so `bash scripts/run` runs reminders
with an embedded `worker --beat`. Periodic tasks live in django-celery-beat's database schedule.
"""

import contextlib
import os
import time
from datetime import datetime
from typing import Any

from celery import Celery, signals
from celery.signals import worker_ready, worker_shutting_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")

app = Celery("dealership")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _start_worker_heartbeats(**kwargs: object) -> None:
    from dealership.core.heartbeats import worker_heartbeats_start

    worker_heartbeats_start()


@worker_shutting_down.connect
def _stop_worker_heartbeats(**kwargs: object) -> None:
    from dealership.core.heartbeats import worker_heartbeats_stop

    worker_heartbeats_stop()


# --- metrics (dealership.metrics): queue delay, and per-process cleanup in multiprocess mode ---------

PUBLISHED_AT = "dealership_published_at"


@signals.before_task_publish.connect
def _stamp_publication(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None:
        headers[PUBLISHED_AT] = time.time()


@signals.task_prerun.connect
def _observe_queue_delay(task: Any = None, **_: Any) -> None:
    """How long the task waited for a worker: from publication, or from its ETA when it had one (a
    retry's countdown is not delay). Eager tasks (never published) are not counted."""
    from dealership import metrics

    request = getattr(task, "request", None)
    published = getattr(request, PUBLISHED_AT, None)
    if not isinstance(published, int | float):
        return
    due = published
    eta = getattr(request, "eta", None)
    if eta:
        with contextlib.suppress(TypeError, ValueError):
            due = max(due, (eta if isinstance(eta, datetime) else datetime.fromisoformat(eta)).timestamp())
    metrics.CELERY_QUEUE_DELAY.labels(task=task.name).observe(max(0.0, time.time() - due))


@signals.worker_process_shutdown.connect
def _forget_process(**_: Any) -> None:
    from dealership import metrics

    metrics.process_exited()
