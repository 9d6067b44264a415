"""Reminder lifecycle driven by the appointment book: booked → timed, moved → re-timed, cancelled → void.

`reminder_on_appointment_change` is registered in scheduling.services.after_change_hooks (see
reminders/apps.py); hooks run after the booking transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reminders import policy
from reminders.models import Reminder
from reminders.selectors import appointment_is_remindable, closed_days, contact_rules
from reminders.services.plan import Plan, first_plan, moved_plan
from reminders.services.queue import reminder_queue_delivery_on_commit
from reminders.services.waiting import telephony_required
from scheduling.models import Appointment
from scheduling.shop import shop_get

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

    An appointment that is no longer upcoming voids its reminder. Returns None for an unknown id, and for
    a test booking (booked on a browser test call: no reminder at all).
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_related("customer").filter(pk=appointment_id).first()
        if appointment is None or appointment.is_test:
            return None  # a test call's booking (voice.browser_calls) must never call or text the customer
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


# A customer's local day can start or end this far from the shop's (US zones differ by up to ~6 h).
ZONE_MARGIN = timedelta(hours=12)
HOLIDAY_MOVED = "A holiday was added on the day it was due."


def reminder_retime_for_closures(*, now: datetime | None = None) -> int:
    """Pending calls due on a shop holiday added after they were timed move to the nearest earlier
    allowed time (or become a text), before they fall due. Returns how many moved.

    Cheap when there is nothing to do: one query for holidays in the next days, and only reminders
    due within half a day of one of them are looked at.
    """
    now = now or timezone.now()
    shop = shop_get()
    today = now.astimezone(shop.zone).date()
    holidays = closed_days(first=today, last=today + timedelta(days=policy.MAX_DAYS_EARLIER + 2))
    if not holidays:
        return 0
    near = Q()
    for day in holidays:
        starts = datetime.combine(day, time(0), tzinfo=shop.zone)
        near |= Q(due_at__gte=starts - ZONE_MARGIN, due_at__lt=starts + timedelta(days=1) + ZONE_MARGIN)
    candidates = Reminder.objects.filter(
        near, status=Reminder.Status.PENDING, channel=Reminder.Channel.CALL, due_at__gt=now
    ).select_related("appointment__customer")
    moved = 0
    for reminder in candidates:
        rules, _ = contact_rules(
            customer=reminder.appointment.customer,
            shop=shop,
            channel=Reminder.Channel.CALL,
            now=now,
            until=reminder.appointment.start,
        )
        if policy.is_allowed(rules, reminder.due_at):
            continue
        moved += _retime_one(reminder.pk, due_at=reminder.due_at, now=now)
    return moved


def _retime_one(reminder_id: int, *, due_at: datetime, now: datetime) -> int:
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("appointment__customer")
            .filter(pk=reminder_id, status=Reminder.Status.PENDING, due_at=due_at)
            .first()
        )
        if reminder is None:  # claimed or re-timed meanwhile
            return 0
        plan = moved_plan(reminder=reminder, now=now, why=HOLIDAY_MOVED)
        fields = reminder_apply_plan(reminder, plan, now=now)
        reminder.save(update_fields=[*fields, "updated_at"])
    logger.info("reminder %s: due on a holiday, now %s %s", reminder_id, reminder.channel, reminder.due_at)
    return 1


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


@dataclass(frozen=True)
class SendNow:
    """What "send now" did: `queued` is False when the task queue refused it (the reminder stays due
    and the next dispatch sends it), None when queueing waits for an outer transaction's commit."""

    reminder: Reminder
    queued: bool | None

    @property
    def status(self) -> str:
        return self.reminder.status


def reminder_send_now(*, reminder_id: int, user: Any = None, now: datetime | None = None) -> SendNow:
    """An advisor's "send now": make the reminder due at once on its current channel and queue it.

    A reminder that is being sent, or whose call is still up, is left alone; any other (delivered,
    skipped, failed, under review) goes out again. The customer's opt-outs still apply at send time,
    and a call attempt still in doubt (a worker killed while dialling, a create whose answer was lost)
    is first settled with Twilio's Calls list: a call found there is adopted, not dialled again.
    Without a working task queue it stays due, and the every-minute dispatcher sends it. Raises
    ApplicationError (nothing changed) while telephony is not configured.
    """
    telephony_required()  # refuses with the reason rather than queue something bound to wait
    now = now or timezone.now()
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().select_related("appointment").get(pk=reminder_id)
        if reminder.status in (Reminder.Status.SENDING, Reminder.Status.CALLING):
            return SendNow(reminder, queued=None)
        who = getattr(user, "username", "") or "an advisor"
        reminder.status, reminder.due_at = Reminder.Status.PENDING, now
        reminder.status_reason = f"Send now by {who}."[:300]
        reminder.claim_token = reminder.claimed_at = None
        reminder.calls_placed = min(reminder.calls_placed, 1)
        reminder.provider_errors = 0
        reminder.save()
    logger.info("reminder %s: send now requested by %s", reminder.pk, who)
    # After the commit: the task reads the row. Outside any transaction this runs at once.
    queued = reminder_queue_delivery_on_commit(reminder.pk)
    return SendNow(reminder, queued=queued())
