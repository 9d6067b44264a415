"""The Owner holds every permission on our apps' models (dealership.core.groups): grant the ones of
WebhookReceipt (voice 0004), which arrived without a grant. Advisors get none: it is plumbing."""

from django.db import migrations

from dealership.core.groups import OWNER, grant


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0005_callback_request_urgent"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        grant(
            group=OWNER,
            permissions=[f"voice.{verb}_webhookreceipt" for verb in ("add", "change", "delete", "view")],
        ),
    ]
