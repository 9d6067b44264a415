"""Reminders a worker claimed and never finished, and calls Twilio never reported back on.

A claimed reminder with no attempt row was never sent (the attempt is written before the provider is
asked): it is simply pending again. One with an attempt in flight may have rung the customer: it goes
to "review" with its attempt marked unknown, and is not called again unless Twilio's status callback
later says that call never connected (see outcome.reminder_call_status). Send now on it first asks
Twilio's Calls list whether the call went out (delivery: attempts in doubt), like every redial.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from reminders.conf import conf, minutes
from reminders.models import Reminder, ReminderAttempt

logger = logging.getLogger(__name__)

IN_DOUBT = (
    "A worker stopped while sending; the call or text may have gone out. Check, then use Send now if needed."
)
NO_OUTCOME = "Twilio never reported how the call ended. Check the call, then use Send now if needed."


def _release_one(reminder_id: int, *, stale_before: datetime, now: datetime) -> str | None:
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .filter(pk=reminder_id, status=Reminder.Status.SENDING, claimed_at__lt=stale_before)
            .first()
        )
        if reminder is None:  # finished (or released by someone else) meanwhile
            return None
        in_flight = ReminderAttempt.objects.filter(
            reminder=reminder, claim_token=reminder.claim_token, outcome=ReminderAttempt.Outcome.SENDING
        )
        if in_flight.exists():
            in_flight.update(outcome=ReminderAttempt.Outcome.UNKNOWN, detail=IN_DOUBT[:300])
            reminder.status, reminder.status_reason = Reminder.Status.REVIEW, IN_DOUBT
        else:
            reminder.status, reminder.status_reason = (
                Reminder.Status.PENDING,
                "Released after a worker stopped.",
            )
            reminder.claim_token = reminder.claimed_at = None
        reminder.save(update_fields=["status", "status_reason", "claim_token", "claimed_at", "updated_at"])
    logger.warning("reminder %s: stale claim → %s", reminder_id, reminder.status)
    return reminder.status


def reminder_release_stale(*, now: datetime | None = None) -> dict[str, int]:
    """Look again at stuck reminders; returns how many went back to pending or to review."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=conf("REMINDER_CLAIM_STALE_SECONDS"))
    counts = {Reminder.Status.PENDING.value: 0, Reminder.Status.REVIEW.value: 0}
    stuck = Reminder.objects.filter(status=Reminder.Status.SENDING, claimed_at__lt=stale_before)
    for reminder_id in stuck.values_list("pk", flat=True):
        status = _release_one(reminder_id, stale_before=stale_before, now=now)
        if status is not None:
            counts[status] += 1
    silent = Reminder.objects.filter(
        status=Reminder.Status.CALLING, claimed_at__lt=now - minutes("REMINDER_CALL_OUTCOME_TIMEOUT_MINUTES")
    )
    counts[Reminder.Status.REVIEW.value] += silent.update(
        status=Reminder.Status.REVIEW, status_reason=NO_OUTCOME, updated_at=now
    )
    return counts
