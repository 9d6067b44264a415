"""Beat sends the alerts that are due (after quiet hours, or a retry's backoff) every minute."""

from django.db import migrations

from dealership.core.beat import periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_alerts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task(
            name="Alerts: send those due",
            task="dealership.core.alerts.tasks.alerts_send_due",
            every_minutes=1,
            expire_seconds=55,
            description="Sends alerts held by quiet hours or waiting to be retried.",
        )
    ]
