"""The two staff groups the product ships with, and the migration operation that gives them permissions.

"Owner" holds every permission on our apps' models. "Service advisor" runs the desk: customers, vehicles,
service history, appointments, callback messages and reminders (sending included); calls, the consent
record and the shop's settings are read-only to them. A migration that adds a model or a custom
permission gives it to the groups with `grant(...)`; `dealership/core/tests/test_staff_groups.py` fails
until it does.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

OWNER = "Owner"
SERVICE_ADVISOR = "Service advisor"
OUR_APPS = ("crm", "scheduling", "voice", "reminders")


def _ensure_permissions(apps: Any, using: str, app_labels: Iterable[str]) -> None:
    """Permissions are normally created after `migrate` finishes; create them now so a fresh database
    can be granted them in the same run."""
    for label in app_labels:
        config = apps.get_app_config(label)
        # A migration's app config is a stub without models_module, which create_permissions requires.
        models_module = getattr(config, "models_module", None)
        config.models_module = models_module or True
        create_permissions(config, verbosity=0, using=using, apps=apps)
        config.models_module = models_module


def grant(
    *, group: str, permissions: Iterable[str] = (), all_of_apps: Iterable[str] = ()
) -> migrations.RunPython:
    """A migration operation adding `permissions` ("app_label.codename") and every permission of the
    apps `all_of_apps` to `group`, created if missing. Idempotent; reversing it takes them away again."""
    wanted, whole_apps = tuple(permissions), tuple(all_of_apps)

    def _selected(apps: Any, using: str) -> Any:
        Permission = apps.get_model("auth", "Permission")
        _ensure_permissions(apps, using, {*whole_apps, *(p.split(".")[0] for p in wanted)})
        chosen = Permission.objects.using(using).filter(content_type__app_label__in=whole_apps)
        for perm in wanted:
            app_label, codename = perm.split(".")
            found = Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename=codename
            )
            if not found.exists():
                raise LookupError(f"No permission {perm} to give to {group}")
            chosen = chosen | found
        return chosen

    def forward(apps: Any, schema_editor: Any) -> None:
        using = schema_editor.connection.alias
        staff_group, _ = apps.get_model("auth", "Group").objects.using(using).get_or_create(name=group)
        staff_group.permissions.add(*_selected(apps, using))

    def backward(apps: Any, schema_editor: Any) -> None:
        using = schema_editor.connection.alias
        staff_group = apps.get_model("auth", "Group").objects.using(using).filter(name=group).first()
        if staff_group is not None:
            staff_group.permissions.remove(*_selected(apps, using))

    return migrations.RunPython(forward, backward)
