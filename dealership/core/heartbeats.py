"""Heartbeats of the background processes, written to the database (readiness reads them).

- "worker": a daemon thread in each Celery worker writes every WORKER_INTERVAL seconds, whether or not
  beat is running or tasks arrive (started from celery's worker_ready signal, dealership/celery.py).
- "beat": a task beat schedules every minute (migration core 0002); a worker running it proves beat,
  the broker and a worker together.
A heartbeat older than its bound (dealership.core.checks) counts as a dead process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

WORKER_INTERVAL = 30.0  # seconds between worker heartbeats


def heartbeat_record(*, name: str) -> None:
    """Write `name`'s heartbeat as now (one upsert)."""
    from dealership.core.models import Heartbeat

    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"at": timezone.now(), "detail": f"{socket.gethostname()} pid {os.getpid()}"[:200]},
    )


def _worker_heartbeats(stop: threading.Event) -> None:
    failing = False
    while not stop.is_set():
        try:
            close_old_connections()
            heartbeat_record(name="worker")
            if failing:
                logger.info("worker heartbeat: the database answers again")
            failing = False
        except DatabaseError as error:
            if not failing:  # once per outage, not every 30 s
                logger.error("worker heartbeat: cannot write to the database: %s", error)
            failing = True
        finally:
            connection.close()
        stop.wait(WORKER_INTERVAL)


_stop = threading.Event()


def worker_heartbeats_start(**_: object) -> None:
    """celery worker_ready handler: start the heartbeat thread (a daemon: it dies with the worker)."""
    _stop.clear()
    threading.Thread(target=_worker_heartbeats, args=(_stop,), name="worker-heartbeat", daemon=True).start()


def worker_heartbeats_stop(**_: object) -> None:
    _stop.set()
