from django.db import migrations

from dealership.core.groups import OWNER, grant


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0009_place_test_call_permission"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="webhookreceipt",
            options={
                "permissions": [
                    ("configure_telephony", "Can check the set-up and point the Twilio number here")
                ]
            },
        ),
        # The set-up check talks to every provider and can rewrite the number's webhooks: the owner's job.
        grant(group=OWNER, permissions=["voice.configure_telephony"]),
    ]
