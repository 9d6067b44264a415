"""Core periodic tasks (django-celery-beat's database schedule, migration core 0002)."""

from celery import shared_task

from dealership.core.heartbeats import heartbeat_record

BEAT_HEARTBEAT_TASK = "dealership.core.tasks.beat_heartbeat"


@shared_task(name=BEAT_HEARTBEAT_TASK, ignore_result=True, soft_time_limit=20, time_limit=30)
def beat_heartbeat() -> None:
    """Scheduled by beat every minute: its run is beat's sign of life."""
    heartbeat_record(name="beat")


# Registered with the worker here: autodiscovery looks at each app's `tasks` module only.
from dealership.core.alerts import tasks as alert_tasks  # noqa: E402, F401
