"""The "Owner" and "Service advisor" staff groups (see dealership/core/groups.py)."""

from django.db import migrations

from dealership.core.groups import OWNER, SERVICE_ADVISOR, grant

VIEW_ADD_CHANGE = ("view", "add", "change")
SERVICE_ADVISOR_PERMISSIONS: tuple[str, ...] = (
    *(
        f"crm.{verb}_{model}"
        for model in ("customer", "vehicle", "servicerecord")
        for verb in VIEW_ADD_CHANGE
    ),
    *(f"scheduling.{verb}_appointment" for verb in VIEW_ADD_CHANGE),
    "scheduling.view_appointmentchange",
    # Shop settings: read-only.
    *(f"scheduling.view_{model}" for model in ("shop", "businesshours", "closure", "servicetype")),
    # Busy time outside the book ("lift out of service 2–4"): advisors add and remove manual blocks.
    *(f"scheduling.{verb}_busyblock" for verb in ("view", "add", "change", "delete")),
    "scheduling.view_calendarsyncstate",
    "scheduling.view_appointmentcalendarsync",
    "voice.view_call",
    *(f"voice.{verb}_callbackrequest" for verb in VIEW_ADD_CHANGE),
    *(f"reminders.{verb}_reminder" for verb in VIEW_ADD_CHANGE),
    "reminders.send_reminder",
    "reminders.view_reminderattempt",
    "reminders.view_consentevent",
)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0003_search_indexes"),
        ("scheduling", "0005_sync_calendar_permission"),
        ("voice", "0002_turns_tool_calls_callbacks"),
        ("reminders", "0003_send_reminder_permission"),
    ]

    operations = [
        grant(group=OWNER, all_of_apps=("crm", "scheduling", "voice", "reminders")),
        grant(group=SERVICE_ADVISOR, permissions=SERVICE_ADVISOR_PERMISSIONS),
    ]
