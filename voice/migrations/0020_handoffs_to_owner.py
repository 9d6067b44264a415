from django.db import migrations

from dealership.core.groups import OWNER, grant


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0019_webhook_receipt_kinds_of_handoff_and_recording"),
        ("core", "0001_staff_groups"),
    ]

    # The warm hand-off's model (0011) was never granted: the Owner holds every permission on our apps.
    # Advisors see a call's transfers on the call page, which needs only view_call.
    operations = [
        grant(
            group=OWNER, permissions=[f"voice.{verb}_handoff" for verb in ("view", "add", "change", "delete")]
        )
    ]
