from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

SHOP_ANSWER = [f"scheduling.{verb}_shopanswer" for verb in ("view", "add", "change", "delete")]


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_work_status_and_shop_answers"),
        ("core", "0001_staff_groups"),
    ]

    operations = [
        grant(group=OWNER, permissions=[*SHOP_ANSWER, "scheduling.set_work_status"]),
        # Advisors keep the shop's answers current and tell customers where their car is; deleting an
        # answer stays with the owner (an advisor can switch one off).
        grant(group=SERVICE_ADVISOR, permissions=[*SHOP_ANSWER[:3], "scheduling.set_work_status"]),
    ]
