from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

IMPORT = "crm.import_customers"


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_email_search_index"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={
                "ordering": ["name"],
                "permissions": [("import_customers", "Can import customers, vehicles and service history")],
            },
        ),
        # Bringing the shop's records in is desk work as well as the owner's.
        grant(group=OWNER, permissions=[IMPORT]),
        grant(group=SERVICE_ADVISOR, permissions=[IMPORT]),
    ]
