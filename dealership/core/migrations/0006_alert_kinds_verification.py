from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_alerts_send_due_schedule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("urgent_callback", "urgent callback"),
                    ("safety_call", "safety call"),
                    ("receptionist_failing", "receptionist failing"),
                    ("verification_paused", "identity checks paused"),
                    ("caller_guessing", "a number guessing identities"),
                ],
                max_length=24,
            ),
        ),
    ]
