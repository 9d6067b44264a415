from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

LIFT = "crm.lift_verification_pause"


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_customer_phone_help_and_texts_opt_out_label"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("import_customers", "Can import customers, vehicles and service history"),
                    ("lift_verification_pause", "Can lift a pause on a customer's identity checks"),
                ],
            },
        ),
        # The advisor on the phone with the real customer is the one who knows it was them.
        grant(group=OWNER, permissions=[LIFT]),
        grant(group=SERVICE_ADVISOR, permissions=[LIFT]),
    ]
