"""Celery application (DESIGN.md §1): `celery -A dealership worker` and `celery -A dealership beat`.

The broker is Redis when REDIS_URL is set; otherwise kombu's filesystem transport in a local directory
(settings.CELERY_FILESYSTEM_BROKER_DIR), which needs no server, so `bash scripts/run` runs reminders
with an embedded `worker --beat`. Periodic tasks live in django-celery-beat's database schedule.
"""

import os

from celery import Celery
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
