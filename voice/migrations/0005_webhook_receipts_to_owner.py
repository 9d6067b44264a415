from django.db import migrations

from dealership.core.groups import OWNER, grant


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0004_webhook_receipts"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        grant(
            group=OWNER,
            permissions=[f"voice.{verb}_webhookreceipt" for verb in ("view", "add", "change", "delete")],
        ),
    ]
