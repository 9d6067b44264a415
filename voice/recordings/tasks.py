"""Celery tasks for recordings: thin wrappers that own the retry policy (bounded, with backoff)."""

import logging
import random

from celery import Task, shared_task

from integrations.errors import ProviderError
from voice.recordings.services import recordings_expire, recordings_sweep
from voice.recordings.store import recording_discard, recording_failed, recording_store
from voice.recordings.transcript import calls_transcript_sweep

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
BACKOFF_SECONDS = 30  # doubled per attempt, with jitter, up to BACKOFF_MAX
BACKOFF_MAX = 1800


def _retry_or_give_up(task: Task, error: ProviderError, what: str, recording_id: int) -> bool:
    """Retry a transient failure with backoff; True when it is time to give up."""
    if error.permanent or task.request.retries >= MAX_RETRIES:
        logger.error(
            "recording id %s: %s gave up after %d attempt(s): %s",
            recording_id,
            what,
            task.request.retries + 1,
            error.message,
        )
        return True
    delay = min(BACKOFF_MAX, BACKOFF_SECONDS * 2**task.request.retries)
    delay = random.uniform(delay / 2, delay)
    logger.warning(
        "recording id %s: %s failed (%s); again in %.0f s", recording_id, what, error.message, delay
    )
    raise task.retry(exc=error, countdown=delay) from None


@shared_task(bind=True, name="voice.recordings.tasks.recording_store", max_retries=MAX_RETRIES)
def recording_store_task(self: Task, recording_id: int) -> str:
    """Copy a finished recording from Twilio into the shop's storage (then delete Twilio's, by setting)."""
    try:
        return recording_store(recording_id=recording_id)
    except ProviderError as error:
        _retry_or_give_up(self, error, "copy", recording_id)
        recording_failed(recording_id=recording_id, error=error.message)
        return "failed"


@shared_task(bind=True, name="voice.recordings.tasks.recording_discard", max_retries=MAX_RETRIES)
def recording_discard_task(self: Task, recording_id: int) -> str:
    """Delete a recording's audio at Twilio and in the shop's storage."""
    try:
        return recording_discard(recording_id=recording_id)
    except ProviderError as error:
        _retry_or_give_up(self, error, "delete", recording_id)
        return "failed"


@shared_task(name="voice.recordings.tasks.recordings_expire")
def recordings_expire_task() -> int:
    """Beat: delete recordings older than the shop's retention; queue again what a lost task left, and
    remove the words of objected-to calls a lost summary task left behind."""
    recordings_sweep()
    calls_transcript_sweep()
    return recordings_expire()
