"""Reminder lifecycle driven by the appointment book: booked → timed, moved → re-timed, cancelled → void.

`reminder_on_appointment_change` is registered in scheduling.services.after_change_hooks (see
reminders/apps.py); hooks run after the booking transaction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from reminders.models import Reminder
from reminders.selectors import appointment_is_remindable
from reminders.services.plan import Plan, first_plan
from scheduling.models import Appointment

logger = logging.getLogger(__name__)

# A customer we just reached (or are talking to) is not called again about the same appointment
# moved to within this long: typically they moved it on the reminder call itself.
RECENT_CONTACT = timedelta(hours=24)


def reminder_apply_plan(reminder: Reminder, plan: Plan, *, now: datetime) -> list[str]:
    """Set the reminder's next step from `plan` (pending at a time, or skipped with the reason).
    Returns the changed field names; the caller saves (so it can guard the write)."""
    reminder.status_reason = plan.reason
    if plan.zones is not None:
        reminder.customer_zone = plan.zones.label[:120]
        reminder.zone_source = plan.zones.source
    if plan.channel is None:
        reminder.status, reminder.due_at = Reminder.Status.SKIPPED, None
    else:
        reminder.status, reminder.channel, reminder.due_at = Reminder.Status.PENDING, plan.channel, plan.at
    reminder.claim_token = reminder.claimed_at = None
    return [
        "status",
        "status_reason",
        "customer_zone",
        "zone_source",
        "channel",
        "due_at",
        "claim_token",
        "claimed_at",
    ]


def _contacted_recently(reminder: Reminder, now: datetime) -> bool:
    if reminder.status in (Reminder.Status.SENDING, Reminder.Status.CALLING):
        return True
    return bool(
        reminder.status == Reminder.Status.DELIVERED
        and reminder.delivered_at
        and now - reminder.delivered_at < RECENT_CONTACT
    )


def reminder_schedule(*, appointment_id: int, now: datetime | None = None) -> Reminder | None:
    """Create or re-time the day-before reminder of an appointment (after booking or rescheduling).

    An appointment that is no longer upcoming voids its reminder. Returns None for an unknown id.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_related("customer").filter(pk=appointment_id).first()
        if appointment is None:
            return None
        reminder, created = Reminder.objects.select_for_update().get_or_create(
            appointment=appointment, kind=Reminder.Kind.DAY_BEFORE
        )
        if not appointment_is_remindable(appointment, now=now):
            return _void(reminder, "The appointment is no longer upcoming.", now=now)
        plan = first_plan(appointment=appointment, now=now)
        if not created and _contacted_recently(reminder, now) and plan.at and plan.at - now < RECENT_CONTACT:
            reminder.status_reason = "Moved after the reminder reached the customer; no second reminder."[
                :300
            ]
            reminder.save(update_fields=["status_reason", "updated_at"])
            return reminder
        fields = reminder_apply_plan(reminder, plan, now=now)
        reminder.calls_placed = reminder.provider_errors = 0
        reminder.delivered_at = None
        reminder.save(
            update_fields=[*fields, "calls_placed", "provider_errors", "delivered_at", "updated_at"]
        )
    logger.debug(
        "reminder %s for appointment %s: %s %s",
        reminder.pk,
        appointment_id,
        reminder.status,
        f"{reminder.channel} at {reminder.due_at.isoformat()}" if reminder.due_at else reminder.status_reason,
    )
    return reminder


def _void(reminder: Reminder, reason: str, *, now: datetime) -> Reminder:
    if reminder.status not in Reminder.FINAL_STATUSES or reminder.status == Reminder.Status.SKIPPED:
        reminder.status, reminder.status_reason, reminder.due_at = Reminder.Status.CANCELLED, reason, None
        reminder.claim_token = None
        reminder.save(update_fields=["status", "status_reason", "due_at", "claim_token", "updated_at"])
    return reminder


def reminder_cancel(*, appointment_id: int, reason: str = "The appointment was cancelled.") -> int:
    """Void every reminder of an appointment that has not gone out. Returns how many there were."""
    now = timezone.now()
    with transaction.atomic():
        reminders = list(Reminder.objects.select_for_update().filter(appointment_id=appointment_id))
        for reminder in reminders:
            _void(reminder, reason, now=now)
    return len(reminders)


def reminder_on_appointment_change(appointment: Appointment, event: str) -> None:
    """after_change_hooks entry: never raises, so a reminder problem can't break a booking."""
    try:
        if event == "cancelled":
            reminder_cancel(appointment_id=appointment.pk)
        else:
            reminder_schedule(appointment_id=appointment.pk)
    except Exception:
        logger.exception("reminder for appointment %s could not be updated after %s", appointment.pk, event)


def reminder_send_now(*, reminder_id: int, user: Any = None, now: datetime | None = None) -> Reminder:
    """An advisor's "send now": make the reminder due at once on its current channel and queue it.

    A reminder that is being sent, or whose call is still up, is left alone; any other (delivered,
    skipped, failed, under review) goes out again. The customer's opt-outs still apply at send time.
    """
    from reminders.tasks import reminder_deliver_task  # tasks import services

    now = now or timezone.now()
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().select_related("appointment").get(pk=reminder_id)
        if reminder.status in (Reminder.Status.SENDING, Reminder.Status.CALLING):
            return reminder
        who = getattr(user, "username", "") or "an advisor"
        reminder.status, reminder.due_at = Reminder.Status.PENDING, now
        reminder.status_reason = f"Send now by {who}."[:300]
        reminder.claim_token = reminder.claimed_at = None
        reminder.calls_placed = min(reminder.calls_placed, 1)
        reminder.provider_errors = 0
        reminder.save()
        transaction.on_commit(lambda: reminder_deliver_task.delay(reminder.pk))
    logger.info("reminder %s: send now requested by %s", reminder.pk, who)
    return reminder
