from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

DUTY_SHIFT = [f"voice.{verb}_dutyshift" for verb in ("view", "add", "change", "delete")]


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0022_duty_shift"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        # The owner keeps the rota; an advisor sees their own shifts (the admin shows them no one else's).
        grant(group=OWNER, permissions=DUTY_SHIFT),
        grant(group=SERVICE_ADVISOR, permissions=["voice.view_dutyshift"]),
    ]
