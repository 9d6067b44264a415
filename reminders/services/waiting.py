"""Reminders held while telephony is not configured ("waiting for telephony"), and their release.

A fresh install has no Twilio credentials: a reminder that falls due then is held, visibly, instead of
failing. Once telephony is configured the dispatcher releases every held reminder to pending with its
own due time, so it goes out at once if it is still in time; delivery checks the rules again (an
appointment already past is skipped, a closed calling window moves the call or falls back to a text).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from dealership.core.errors import ApplicationError
from integrations.telephony import telephony_is_configured
from reminders.models import Reminder

logger = logging.getLogger(__name__)

TELEPHONY_OFF = (
    "Waiting for telephony: Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
    "TWILIO_PHONE_NUMBER). It goes out once it is, if still in time."
)
RELEASED = "Telephony is configured now; going out if still in time."


def reminder_release_waiting(*, now: datetime | None = None) -> int:
    """Back to pending, every reminder held for telephony, once telephony is configured. Returns how
    many (0 while it is still not configured)."""
    if not telephony_is_configured():
        return 0
    now = now or timezone.now()
    held = Reminder.objects.filter(status=Reminder.Status.WAITING)
    released = held.filter(due_at__isnull=False).update(
        status=Reminder.Status.PENDING, status_reason=RELEASED, updated_at=now
    )
    released += held.filter(due_at__isnull=True).update(
        status=Reminder.Status.PENDING, status_reason=RELEASED, due_at=now, updated_at=now
    )
    if released:
        logger.info("reminders: %s released now that telephony is configured", released)
    return released


def telephony_required() -> None:
    """Raise the reason nothing can be sent, for an advisor's Send now, while telephony is off."""
    if not telephony_is_configured():
        raise ApplicationError(
            "Nothing can be sent: telephony is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
            "TWILIO_PHONE_NUMBER). Reminders wait and go out once it is.",
            code="telephony_off",
        )
