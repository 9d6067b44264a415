"""The every-minute reminder dispatcher in django-celery-beat's database schedule (editable in the admin).

Idempotent: an existing task of the same name, possibly edited by an advisor, is left as it is.
"""

from django.db import migrations

TASK_NAME = "Reminders: dispatch due reminders"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    _, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "reminders.tasks.reminders_dispatch",
            "interval": every_minute,
            "enabled": True,
            # A tick nobody ran within its minute is superseded by the next one.
            "expire_seconds": 55,
            "description": "Claims due reminder calls and texts and queues them for delivery.",
        },
    )
    if created:
        # Tell a running beat to reload its schedule (what PeriodicTask's save signal does).
        from django.utils import timezone

        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
