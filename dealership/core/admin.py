"""Third-party admin pages, tightened. django-celery-beat's task actions (enable, disable, toggle, run)
ship without a permission check, so anyone allowed to *view* the schedule could run the reminder
dispatcher; here each needs change permission on periodic tasks."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask


def _needs_change(name: str) -> Callable[..., Any]:
    action = getattr(PeriodicTaskAdmin, name)

    def guarded(model_admin: admin.ModelAdmin, request: Any, queryset: Any) -> Any:
        return action(model_admin, request, queryset)

    guarded.__name__ = name
    return admin.action(description=action.short_description, permissions=["change"])(guarded)


class GuardedPeriodicTaskAdmin(PeriodicTaskAdmin):
    enable_tasks = _needs_change("enable_tasks")
    disable_tasks = _needs_change("disable_tasks")
    toggle_tasks = _needs_change("toggle_tasks")
    run_tasks = _needs_change("run_tasks")


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, GuardedPeriodicTaskAdmin)
