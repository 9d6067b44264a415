"""Google Calendar sync in the admin: the pull's state (token, last run, last error) and each
appointment's push status, with actions to resync or push again. Read-only otherwise: the sync writes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from scheduling.calendar_sync import calendar_push_queue, calendar_sync_enabled, calendar_sync_reset
from scheduling.models import AppointmentCalendarSync, CalendarSyncState

SYNC_PERMISSION = "scheduling.sync_calendar"
OFF_NOTE = "Google Calendar sync is off (set GOOGLE_CALENDAR_ID and credentials to turn it on)."


class _ReadOnlyAdmin(ModelAdmin):
    def has_sync_permission(self, request: HttpRequest) -> bool:
        """The resync and push-again actions: they rewrite the sync state and call Google."""
        return request.user.has_perm(SYNC_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarSyncState)
class CalendarSyncStateAdmin(_ReadOnlyAdmin):
    list_display = ("calendar_id", "last_pull_at", "last_full_sync_at", "has_sync_token", "last_error")
    fields = ("calendar_id", "last_pull_at", "last_full_sync_at", "last_error_at", "last_error")
    readonly_fields = fields
    actions = ("resync_from_scratch",)

    @admin.display(boolean=True, description="incremental")
    def has_sync_token(self, obj: CalendarSyncState) -> bool:
        return bool(obj.sync_token)

    @admin.action(description="Resync from scratch on the next pull", permissions=["sync"])
    def resync_from_scratch(self, request: HttpRequest, queryset: QuerySet[CalendarSyncState]) -> None:
        calendar_sync_reset()
        messages.success(request, "The next pull lists every Google event again and replaces busy blocks.")

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        if not calendar_sync_enabled():
            messages.info(request, OFF_NOTE)
        return super().changelist_view(request, extra_context)


@admin.register(AppointmentCalendarSync)
class AppointmentCalendarSyncAdmin(_ReadOnlyAdmin):
    list_display = ("__str__", "status", "calendar_sync_status", "calendar_synced_at", "calendar_sync_error")
    list_filter = ("calendar_sync_status", "status")
    date_hierarchy = "start"
    search_fields = ("calendar_event_id", "calendar_sync_error")
    fields = (
        "start",
        "status",
        "calendar_sync_status",
        "calendar_synced_at",
        "calendar_event_id",
        "calendar_sync_error",
    )
    readonly_fields = fields
    actions = ("push_again",)

    @admin.action(description="Push to Google Calendar again", permissions=["sync"])
    def push_again(self, request: HttpRequest, queryset: QuerySet[AppointmentCalendarSync]) -> None:
        if not calendar_sync_enabled():
            messages.error(request, OFF_NOTE)
            return
        queued = calendar_push_queue(appointment_ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{queued} calendar update(s) queued.")
