"""Apply opt-outs kept in the local spool (received while the database was down) every minute."""

from django.db import migrations

from dealership.core.beat import periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0003_send_reminder_permission"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task(
            name="Reminders: apply spooled opt-outs",
            task="reminders.tasks.opt_out_spool_apply_task",
            every_minutes=1,
            expire_seconds=55,
            description=(
                "Records opt-outs kept on the local disk while the database was down "
                "(only reaches the spool when the worker shares the web process's disk)."
            ),
        )
    ]
