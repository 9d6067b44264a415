"""Reminder knobs, read from Django settings at use time (so tests and deployments can change them).

Shop-specific facts (the calling window) live on scheduling.Shop; these are operational limits.
"""

from datetime import time, timedelta
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # A reminder later than this before the appointment is pointless.
    "REMINDER_MIN_LEAD_MINUTES": 60,
    # The one retry after no answer / busy comes at least this long after the first call.
    "REMINDER_RETRY_DELAY_MINUTES": 120,
    # Texts use a wider courtesy window, any day (calls use Shop.reminder_window_*, never Sundays).
    "REMINDER_SMS_WINDOW_START": time(8, 0),
    "REMINDER_SMS_WINDOW_END": time(21, 0),
    # A reminder claimed this long ago by a worker that never finished is looked at again.
    "REMINDER_CLAIM_STALE_SECONDS": 300,
    # A placed call with no final status callback after this long needs a person to look.
    "REMINDER_CALL_OUTCOME_TIMEOUT_MINUTES": 60,
    # Twilio answering-machine detection: True = result posted to a callback while the agent talks
    # (humans hear no pause); False = Twilio waits for the result before fetching our TwiML.
    "REMINDER_ASYNC_AMD": True,
    # domain.md: an opt-out by any means applies at once across calls and texts.
    "REMINDER_OPT_OUT_ALL_CHANNELS": True,
    # Transient provider failures tolerated before the channel is given up.
    "REMINDER_MAX_PROVIDER_ERRORS": 3,
    "REMINDER_DISPATCH_BATCH": 200,
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def minutes(name: str) -> timedelta:
    return timedelta(minutes=conf(name))
