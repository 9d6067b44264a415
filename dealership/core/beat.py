"""Periodic tasks created by data migrations in django-celery-beat's database schedule.

The schedule lives in the database so advisors can see and edit it in the admin; migrations create the
entries, idempotently: an existing task of the same name, possibly edited since, is left as it is.
"""

from typing import Any

from django.db import migrations
from django.utils import timezone


def periodic_task(
    *, name: str, task: str, every_minutes: int, expire_seconds: int, description: str
) -> migrations.RunPython:
    """A reversible migration operation that schedules `task` every `every_minutes` minutes."""

    def create(apps: Any, schema_editor: Any) -> None:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        interval, _ = IntervalSchedule.objects.get_or_create(every=every_minutes, period="minutes")
        _, created = PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                "enabled": True,
                # A run nobody started within its interval is superseded by the next one.
                "expire_seconds": expire_seconds,
                "description": description,
            },
        )
        if created:
            # Tell a running beat to reload its schedule (what PeriodicTask's save signal does).
            PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
