"""Celery tasks for calls: thin wrappers that own the retry policy."""

import logging
import random
from datetime import timedelta

from celery import Task, shared_task

from integrations.errors import ProviderError
from voice.handoffs import handoff_callback_text_send
from voice.models import Call
from voice.summaries import SUMMARY_TIMEOUT_SECONDS, call_summarise

logger = logging.getLogger(__name__)

SUMMARY_MAX_RETRIES = 5
SUMMARY_BACKOFF_SECONDS = 30  # doubled per attempt, with jitter, up to SUMMARY_BACKOFF_MAX
SUMMARY_BACKOFF_MAX = 900


def call_summary_retry_window() -> timedelta:
    """The longest a summary task takes from its first attempt to giving up: every attempt's LLM
    deadline plus the longest wait before each retry. The transcript sweep waits this long after a call
    ends before it retries a summary that has not come (voice.recordings.transcript)."""
    waits = sum(
        min(SUMMARY_BACKOFF_MAX, SUMMARY_BACKOFF_SECONDS * 2**retry) for retry in range(SUMMARY_MAX_RETRIES)
    )
    return timedelta(seconds=waits + (SUMMARY_MAX_RETRIES + 1) * SUMMARY_TIMEOUT_SECONDS)


@shared_task(bind=True, name="voice.tasks.call_summarise", max_retries=SUMMARY_MAX_RETRIES)
def call_summarise_task(self: Task, call_id: int) -> str:
    """Summarise an ended call. A transient LLM failure (5xx, timeout, rate limit, off-schema JSON) is
    retried with exponential backoff, a bounded number of times; a permanent one (no key, a 4xx such as
    a bad key, a refusal) is not retried: asking again cannot mend it. Either way the call then simply
    stays without a summary."""
    try:
        return call_summarise(call_id=call_id)
    except ProviderError as error:
        call_sid = Call.objects.filter(pk=call_id).values_list("call_sid", flat=True).first()
        attempt = self.request.retries + 1
        if error.permanent:
            # Noted on the call (voice.summaries): the hourly sweep does not ask again either.
            logger.error("call=%s no summary, not retried: %s", call_sid, error.message)
            return "failed"
        if self.request.retries >= SUMMARY_MAX_RETRIES:
            # The words stay: the hourly sweep retries the summary and removes them once it is written,
            # or after TRANSCRIPT_KEPT_FOR_SUMMARY at the latest (voice.recordings.transcript).
            logger.error("call=%s no summary after %d attempts: %s", call_sid, attempt, error.message)
            return "failed"
        delay = min(SUMMARY_BACKOFF_MAX, SUMMARY_BACKOFF_SECONDS * 2**self.request.retries)
        delay = random.uniform(delay / 2, delay)
        logger.warning(
            "call=%s summary attempt %d failed (%s); again in %.0f s", call_sid, attempt, error.message, delay
        )
        raise self.retry(exc=error, countdown=delay) from None


CALLBACK_TEXT_RETRIES = 3


@shared_task(bind=True, name="voice.tasks.handoff_callback_text", max_retries=CALLBACK_TEXT_RETRIES)
def handoff_callback_text(self: Task, handoff_id: int) -> str:
    """Text the caller of a warm transfer nobody took that the shop will call back (sent once)."""
    try:
        return handoff_callback_text_send(handoff_id=handoff_id)
    except ProviderError as error:
        if self.request.retries >= CALLBACK_TEXT_RETRIES:
            logger.error("hand-off %s: callback text gave up: %s", handoff_id, error.message)
            return "failed"
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from None


# Registered with the worker here: autodiscovery looks at each app's `tasks` module only.
from voice.recordings import tasks as recording_tasks  # noqa: E402, F401
