"""Beat's heartbeat task every minute in django-celery-beat's database schedule."""

from django.db import migrations

from dealership.core.beat import periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task(
            name="Health: beat heartbeat",
            task="dealership.core.tasks.beat_heartbeat",
            every_minutes=1,
            expire_seconds=55,
            description="Records that beat is scheduling tasks (read by /health/ready/).",
        )
    ]
