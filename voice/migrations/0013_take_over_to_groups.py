from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

CRUD = ("view", "add", "change", "delete")
NEW = [
    *(f"voice.{verb}_{model}" for model in ("callcontrol", "transfernumber", "staffprofile") for verb in CRUD),
    "voice.take_over_call",
]


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0012_take_over_controls"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        grant(group=OWNER, permissions=NEW),
        # Advisors take over live calls and keep their own phone number (the admin shows each advisor
        # only their own profile); the list of numbers a call may be sent to stays with the owner.
        grant(
            group=SERVICE_ADVISOR,
            permissions=[
                "voice.take_over_call",
                "voice.view_callcontrol",
                "voice.view_transfernumber",
                "voice.view_staffprofile",
                "voice.add_staffprofile",
                "voice.change_staffprofile",
            ],
        ),
    ]
