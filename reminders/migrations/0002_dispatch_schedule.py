"""The every-minute reminder dispatcher in django-celery-beat's database schedule (editable in the admin)."""

from django.db import migrations

from dealership.core.beat import periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task(
            name="Reminders: dispatch due reminders",
            task="reminders.tasks.reminders_dispatch",
            every_minutes=1,
            expire_seconds=55,
            description="Claims due reminder calls and texts and queues them for delivery.",
        )
    ]
