"""Pull Google Calendar changes every five minutes (django-celery-beat, editable in the admin)."""

from django.db import migrations

from dealership.core.beat import periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_calendar_sync"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task(
            name="Calendar: pull Google Calendar changes",
            task="scheduling.tasks.calendar_pull_changes",
            every_minutes=5,
            expire_seconds=240,
            description="Pulls busy time from Google Calendar; re-pushes appointments that failed to sync."
            " Off while calendar sync is not configured.",
        )
    ]
