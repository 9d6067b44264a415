from django.db import migrations

from dealership.core.groups import OWNER, grant


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0014_dashboard_permission"),
        ("core", "0001_staff_groups"),
    ]

    # The dashboard shows revenue: the owner's, not every advisor's (an owner can add it to a user).
    operations = [grant(group=OWNER, permissions=["voice.view_dashboard"])]
