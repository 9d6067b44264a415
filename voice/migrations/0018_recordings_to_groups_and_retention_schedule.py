from django.db import migrations

from dealership.core.beat import periodic_task
from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

RECORDING = [f"voice.{verb}_recording" for verb in ("view", "add", "change", "delete")]


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0017_call_recordings"),
        ("core", "0001_staff_groups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        grant(group=OWNER, permissions=[*RECORDING, "voice.listen_recording"]),
        # Advisors listen to calls they follow up; deleting a recording by hand stays with the owner.
        grant(group=SERVICE_ADVISOR, permissions=["voice.view_recording", "voice.listen_recording"]),
        periodic_task(
            name="Recordings: delete after the retention",
            task="voice.recordings.tasks.recordings_expire",
            every_minutes=60,
            expire_seconds=3000,
            description="Deletes call recordings older than the shop's retention (Shop settings).",
        ),
    ]
