"""Pull Google Calendar changes every five minutes (django-celery-beat, editable in the admin).

Idempotent: an existing task of the same name, possibly edited by an advisor, is left as it is.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Calendar: pull Google Calendar changes"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_five, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    _, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "scheduling.tasks.calendar_pull_changes",
            "interval": every_five,
            "enabled": True,
            "expire_seconds": 240,
            "description": "Pulls busy time from Google Calendar; re-pushes appointments that failed to sync."
            " Off while calendar sync is not configured.",
        },
    )
    if created:
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_calendar_sync"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
