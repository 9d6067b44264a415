"""Third-party admin pages, in the back office's theme and tightened.

django-celery-beat's task actions (enable, disable, toggle, run) ship without a permission check, so
anyone allowed to *view* the schedule could run the reminder dispatcher; here each needs change
permission on periodic tasks. Users, groups and the Celery schedule are re-registered on django-unfold's
ModelAdmin so their pages look like the rest of the back office (forms from unfold.forms for users).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.views.decorators.http import require_safe
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
    SolarScheduleAdmin,
)
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm


def _needs_change(name: str) -> Callable[..., Any]:
    action = getattr(PeriodicTaskAdmin, name)

    def guarded(model_admin: admin.ModelAdmin, request: Any, queryset: Any) -> Any:
        return action(model_admin, request, queryset)

    guarded.__name__ = name
    return admin.action(description=action.short_description, permissions=["change"])(guarded)


class GuardedPeriodicTaskAdmin(PeriodicTaskAdmin, ModelAdmin):
    enable_tasks = _needs_change("enable_tasks")
    disable_tasks = _needs_change("disable_tasks")
    toggle_tasks = _needs_change("toggle_tasks")
    run_tasks = _needs_change("run_tasks")


class ThemedUserAdmin(UserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


class ThemedGroupAdmin(GroupAdmin, ModelAdmin):
    pass


class ThemedCrontabScheduleAdmin(CrontabScheduleAdmin, ModelAdmin):
    pass


class ThemedClockedScheduleAdmin(ClockedScheduleAdmin, ModelAdmin):
    pass


class ThemedIntervalScheduleAdmin(IntervalScheduleAdmin, ModelAdmin):
    pass


class ThemedSolarScheduleAdmin(SolarScheduleAdmin, ModelAdmin):
    pass


for model, model_admin in (
    (User, ThemedUserAdmin),
    (Group, ThemedGroupAdmin),
    (PeriodicTask, GuardedPeriodicTaskAdmin),
    (CrontabSchedule, ThemedCrontabScheduleAdmin),
    (ClockedSchedule, ThemedClockedScheduleAdmin),
    (IntervalSchedule, ThemedIntervalScheduleAdmin),
    (SolarSchedule, ThemedSolarScheduleAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)

admin.site.index_title = "Today"
# The theme's command palette searches the admin's own page list (only what the user may view, like the
# index); it writes nothing, so it answers GET only, as every read-only admin page does.
admin.site.search = require_safe(admin.site.search)
