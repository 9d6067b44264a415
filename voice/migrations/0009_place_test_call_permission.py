from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0008_test_call_flags"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="call",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("place_test_call", "Can talk to the receptionist from the browser (test calls)")
                ],
            },
        ),
        # Owners try the receptionist; advisors too (a test call has no side effects on customers).
        grant(group=OWNER, permissions=["voice.place_test_call"]),
        grant(group=SERVICE_ADVISOR, permissions=["voice.place_test_call"]),
    ]
