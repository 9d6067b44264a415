"""Google Calendar sync: appointments go out as events; Google-only busy time comes back as BusyBlocks.

The appointment book is the source of truth and never waits on Google: a change commits, then
`calendar_push_enqueue` (an after_change_hook, registered in SchedulingConfig.ready) queues a Celery task
that makes the event match the appointment as it is by then. The push is idempotent — the event id is
derived from our appointment id, so a retried insert answers 409 and becomes a patch. A periodic task pulls
Google's changes with a sync token. Everything is a no-op while Google Calendar is not configured.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dealership.core.queue import task_enqueue
from integrations.calendar import (
    CalendarClient,
    EventExists,
    EventNotFound,
    SyncTokenExpired,
    calendar_is_configured,
)
from integrations.errors import ProviderError
from scheduling.models import Appointment, BusyBlock, CalendarSyncState, CalendarSyncStatus
from scheduling.shop import shop_get

logger = logging.getLogger(__name__)

APPOINTMENT_PROPERTY = "dealership_appointment_id"
GOOGLE_SOURCE = "google"
FULL_SYNC_LOOKBACK = timedelta(days=1)
STALE_PENDING = timedelta(minutes=5)
MAX_PUSH_ROUNDS = 3
# Callers dictate numbers into notes; the calendar must not carry them.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


@dataclass(frozen=True)
class PullResult:
    full: bool
    saved: int
    removed: int


def calendar_sync_enabled() -> bool:
    return calendar_is_configured()


def calendar_event_id_for(appointment_id: int) -> str:
    """Stable Google event id for an appointment: hex is valid base32hex, and the calendar id is mixed in
    so two shops sharing a test calendar don't collide."""
    key = f"{settings.GOOGLE_CALENDAR_ID}|dealership-appointment|{appointment_id}"
    return hashlib.sha256(key.encode()).hexdigest()


def calendar_event_body(appointment: Appointment, *, zone: ZoneInfo) -> dict[str, Any]:
    """The event for an appointment: service and "First L." only — no phone numbers or addresses."""
    description = [f"Appointment #{appointment.pk} ({appointment.get_transport_display()})"]
    if appointment.vehicle_id:
        description.append(f"Vehicle: {appointment.vehicle}")
    if appointment.notes.strip():
        description.append("Notes: " + _PHONE_LIKE.sub("[number removed]", appointment.notes.strip()))
    return {
        "summary": f"{appointment.service_type.name.capitalize()} — {_short_name(appointment.customer.name)}",
        "description": "\n".join(description),
        "start": {"dateTime": appointment.start.astimezone(zone).isoformat(), "timeZone": zone.key},
        "end": {"dateTime": appointment.end.astimezone(zone).isoformat(), "timeZone": zone.key},
        "status": "confirmed",  # revives an event id that was deleted earlier
        "extendedProperties": {"private": {APPOINTMENT_PROPERTY: str(appointment.pk)}},
    }


def _short_name(name: str) -> str:
    parts = name.split()
    if not parts:
        return "customer"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0].upper()}."


# --- push -------------------------------------------------------------------------------------------------


def calendar_push_enqueue(appointment: Appointment, event: str) -> None:
    """after_change_hooks entry, run on commit: mark the appointment pending and queue its push.
    Never raises and never waits on Google (a dead broker costs one bounded connection attempt).
    A test booking (made on the back office's test call) stays off the shop's real calendar."""
    if calendar_sync_enabled() and not appointment.is_test:
        calendar_push_queue(appointment_ids=[appointment.pk])


def calendar_push_queue(*, appointment_ids: Iterable[int]) -> int:
    """Queue a push per appointment; a broker failure is recorded on the appointment instead of raised."""
    from scheduling.tasks import calendar_push_appointment  # the tasks module imports this one

    queued = 0
    for appointment_id in appointment_ids:
        Appointment.objects.filter(pk=appointment_id).update(calendar_sync_status=CalendarSyncStatus.PENDING)
        if task_enqueue(calendar_push_appointment, appointment_id):  # never raises: the booking stands
            queued += 1
        else:
            _record(appointment_id, failed="Couldn't queue the Google Calendar update; it will be retried.")
    return queued


def appointment_calendar_unsynced(*, now: datetime | None = None, limit: int = 20) -> list[int]:
    """Upcoming appointments whose push failed, or stayed pending too long (lost task): to push again."""
    now = now or timezone.now()
    stuck = Q(calendar_sync_status=CalendarSyncStatus.FAILED) | Q(
        calendar_sync_status=CalendarSyncStatus.PENDING, updated_at__lt=now - STALE_PENDING
    )
    rows = Appointment.objects.filter(stuck, end__gte=now - timedelta(days=1)).order_by("start")
    return list(rows.values_list("pk", flat=True)[:limit])


def appointment_calendar_push(*, appointment_id: int, client: CalendarClient | None = None) -> str:
    """Make Google match the appointment as it is now: create or move its event, or delete it once the
    appointment is cancelled (or gone). Safe to repeat. Returns what happened ("created", "updated",
    "deleted", "already deleted", "off").

    Raises ProviderError after recording it on the appointment, so the task can retry transient ones."""
    if not calendar_sync_enabled():
        return "off"
    owned = client is None
    try:
        client = client or CalendarClient()
        return _push_until_current(client, appointment_id)
    except ProviderError as error:
        logger.warning("calendar push for appointment %s failed: %s", appointment_id, error.message)
        _record(appointment_id, failed=error.message)
        raise
    finally:
        if owned and client is not None:
            client.close()


def _push_until_current(client: CalendarClient, appointment_id: int) -> str:
    """Push, then re-read: a change that committed while we talked to Google is pushed too, so a slow
    earlier task can never leave an older time on the calendar."""
    zone = shop_get().zone
    pushed: dict[str, Any] | bool | None = False
    outcome = "unchanged"
    for _ in range(MAX_PUSH_ROUNDS):
        appointment = (
            Appointment.objects.select_related("customer", "vehicle", "service_type")
            .filter(pk=appointment_id)
            .first()
        )
        cancelled = appointment is None or appointment.status == Appointment.Status.CANCELLED
        desired = None if cancelled else calendar_event_body(appointment, zone=zone)
        if desired == pushed:
            break
        known_id = appointment.calendar_event_id if appointment is not None else ""
        event_id = known_id or calendar_event_id_for(appointment_id)
        outcome = _apply(client, event_id, desired, known=bool(known_id))
        pushed = desired
        _record(appointment_id, event_id=event_id if desired is not None else None)
    logger.info("calendar push for appointment %s: %s", appointment_id, outcome)
    return outcome


def _apply(client: CalendarClient, event_id: str, desired: dict[str, Any] | None, *, known: bool) -> str:
    if desired is None:
        return "deleted" if client.delete_event(event_id) else "already deleted"
    if known:
        try:
            client.patch_event(event_id, desired)
            return "updated"
        except EventNotFound:
            pass
    try:
        client.insert_event({"id": event_id, **desired})
        return "created"
    except EventExists:
        # An earlier attempt got through although we never saw the answer (or the id was used before).
        client.patch_event(event_id, desired)
        return "updated"


def _record(appointment_id: int, *, event_id: str | None = None, failed: str = "") -> None:
    """Sync bookkeeping via update(): it must not bump updated_at (which means "the booking changed")."""
    if failed:
        fields: dict[str, Any] = {"calendar_sync_status": CalendarSyncStatus.FAILED}
        fields["calendar_sync_error"] = failed[:500]
    else:
        fields = {"calendar_sync_status": CalendarSyncStatus.SYNCED, "calendar_sync_error": ""}
        fields["calendar_synced_at"] = timezone.now()
        if event_id:
            fields["calendar_event_id"] = event_id
    Appointment.objects.filter(pk=appointment_id).update(**fields)


# --- pull -------------------------------------------------------------------------------------------------


def calendar_sync_reset() -> int:
    """Forget the sync token so the next pull lists everything again and replaces Google busy blocks."""
    return CalendarSyncState.objects.update(sync_token="")


def calendar_changes_pull(
    *, client: CalendarClient | None = None, now: datetime | None = None
) -> PullResult | None:
    """Bring Google-only busy time into BusyBlocks: incrementally with the stored sync token, or a full
    resync (first run, or Google answered 410). None when sync is off or another pull holds the lock.

    Raises ProviderError after recording it on the CalendarSyncState row."""
    if not calendar_sync_enabled():
        return None
    now = now or timezone.now()
    state, _ = CalendarSyncState.objects.get_or_create(calendar_id=settings.GOOGLE_CALENDAR_ID)
    owned = client is None
    try:
        client = client or CalendarClient()
        return _pull(client, state_id=state.pk, now=now)
    except ProviderError as error:
        logger.warning("calendar pull failed: %s", error.message)
        CalendarSyncState.objects.filter(pk=state.pk).update(last_error=error.message, last_error_at=now)
        raise
    finally:
        if owned and client is not None:
            client.close()


def _pull(client: CalendarClient, *, state_id: int, now: datetime) -> PullResult | None:
    zone = shop_get().zone
    # The row lock makes overlapping pulls skip, and the new token commits together with the blocks.
    with transaction.atomic():
        state = CalendarSyncState.objects.select_for_update(skip_locked=True).filter(pk=state_id).first()
        if state is None:
            return None
        changes = None
        if state.sync_token:
            try:
                changes = client.list_changes(sync_token=state.sync_token)
            except SyncTokenExpired:
                logger.info("calendar sync token expired; full resync")
        full = changes is None
        if changes is None:
            changes = client.list_changes(time_min=now - FULL_SYNC_LOOKBACK)
        saved, removed = _apply_changes(changes.events, zone=zone, replace_all=full)
        state.sync_token = changes.next_sync_token
        state.last_pull_at = now
        state.last_full_sync_at = now if full else state.last_full_sync_at
        state.last_error, state.last_error_at = "", None
        state.save()
    logger.info(
        "calendar pull (%s): %s busy blocks saved, %s removed", "full" if full else "delta", saved, removed
    )
    return PullResult(full=full, saved=saved, removed=removed)


def _apply_changes(events: list[dict[str, Any]], *, zone: ZoneInfo, replace_all: bool) -> tuple[int, int]:
    google_blocks = BusyBlock.objects.filter(source=GOOGLE_SOURCE)
    seen: set[str] = set()
    saved = removed = 0
    for event in events:
        event_id = str(event.get("id") or "")
        if not event_id:
            continue
        interval = _busy_interval(event, zone)
        if interval is None:
            removed += google_blocks.filter(external_id=event_id).delete()[0]
            continue
        seen.add(event_id)
        summary = str(event.get("summary") or "Busy (Google Calendar)")[:200]
        BusyBlock.objects.update_or_create(
            source=GOOGLE_SOURCE,
            external_id=event_id,
            defaults={"start": interval[0], "end": interval[1], "summary": summary},
        )
        saved += 1
    if replace_all:
        removed += google_blocks.exclude(external_id__in=seen).delete()[0]
    return saved, removed


def _busy_interval(event: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """When a Google event blocks the shop; None for cancelled, transparent ("free") and our own events."""
    if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
        return None
    private = (event.get("extendedProperties") or {}).get("private") or {}
    if APPOINTMENT_PROPERTY in private:
        return None  # one of our appointments: the book already counts it
    try:
        start, end = _instant(event["start"], zone), _instant(event["end"], zone)
    except (KeyError, TypeError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        logger.warning("google event %s has unreadable times; ignored", event.get("id"))
        return None
    return (start, end) if start < end else None


def _instant(when: dict[str, str], zone: ZoneInfo) -> datetime:
    if when.get("dateTime"):
        instant = datetime.fromisoformat(when["dateTime"])
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=ZoneInfo(when["timeZone"]) if when.get("timeZone") else zone)
        return instant
    # All-day events carry shop-local dates and the end date is exclusive: busy until that day begins.
    return datetime.combine(date.fromisoformat(when["date"]), time(0), tzinfo=zone)
