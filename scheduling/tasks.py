"""Celery tasks for Google Calendar sync and the ready-for-pickup text: thin wrappers that own the
retry policy.

Only transient ProviderErrors (timeouts, 5xx, rate limits) are retried, with exponential backoff; a
permanent one (bad credentials, calendar not shared) is already recorded for the admin and retrying
cannot help, so the task ends.
"""

import logging

from celery import shared_task

from integrations.errors import ProviderError
from scheduling.calendar_sync import (
    appointment_calendar_push,
    appointment_calendar_unsynced,
    calendar_changes_pull,
    calendar_push_queue,
    calendar_sync_enabled,
)
from scheduling.work_status import appointment_ready_text_gave_up, appointment_ready_text_send

logger = logging.getLogger(__name__)

RETRY_POLICY = {
    "autoretry_for": (ProviderError,),
    "retry_backoff": 15,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


@shared_task(name="scheduling.tasks.calendar_push_appointment", max_retries=8, **RETRY_POLICY)
def calendar_push_appointment(appointment_id: int) -> str:
    """Create, move or delete the appointment's Google event to match the appointment book."""
    try:
        return appointment_calendar_push(appointment_id=appointment_id)
    except ProviderError as error:
        if error.permanent:
            return "failed"
        raise


@shared_task(name="scheduling.tasks.calendar_pull_changes", max_retries=2, **RETRY_POLICY)
def calendar_pull_changes() -> str:
    """Periodic (every few minutes): re-queue stuck pushes, then pull Google's changes into busy blocks."""
    if not calendar_sync_enabled():
        return "off"
    requeued = calendar_push_queue(appointment_ids=appointment_calendar_unsynced())
    try:
        result = calendar_changes_pull()
    except ProviderError as error:
        if error.permanent:
            return "failed"
        raise
    if result is None:
        return f"pull skipped; {requeued} pushes re-queued"
    kind = "full" if result.full else "incremental"
    return f"{kind} pull: {result.saved} saved, {result.removed} removed; {requeued} pushes re-queued"


READY_TEXT_RETRIES = 3


@shared_task(bind=True, name="scheduling.tasks.appointment_ready_text", max_retries=READY_TEXT_RETRIES)
def appointment_ready_text(self, appointment_id: int) -> str:  # type: ignore[no-untyped-def]
    """Text the customer that their car is ready for pickup (once; see scheduling.work_status)."""
    try:
        return appointment_ready_text_send(appointment_id=appointment_id)
    except ProviderError as error:  # only transient ones reach here
        if self.request.retries >= READY_TEXT_RETRIES:
            appointment_ready_text_gave_up(appointment_id=appointment_id, reason=error.message)
            return "failed"
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
