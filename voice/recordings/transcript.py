"""What is kept of what was said when the caller objected to recording (the shop's setting *When a
caller objects to recording*): the written transcript, only the summary and outcome, or nothing.

Applied once the call has ended, never mid-call (the live conversation still needs its context):
- `call_records_complete(call_id=…)` is the engine's last write. It queues the summary, except when the
  shop keeps nothing: then what was said is removed at once and never sent to the LLM.
- When the shop keeps the summary, the summary task removes the words once it has summarised:
  `call_transcript_policy_apply(call_id=…)`. A task that gives up (the LLM down through its retries)
  leaves them, so the summary can still be written.
- `calls_transcript_sweep()` (hourly, with the recordings' beat task) finishes the job on ended calls
  only: it removes the words of a summarised call at once; for a call with no summary it queues the
  summary again once its last request is older than the summary task's whole retry window, unless the
  LLM refused it for good or it was asked SUMMARY_MAX_REQUESTS times already; it removes the words
  without a summary once the call ended TRANSCRIPT_KEPT_FOR_SUMMARY ago.

The call keeps its metadata, outcome, tool calls, bookings, messages and consent state; each turn keeps
its place and timings (the latency figures), without its words.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from scheduling.shop import shop_get
from voice.models import Call, Handoff, Turn

logger = logging.getLogger(__name__)

KEEP_TRANSCRIPT = "transcript"
KEEP_SUMMARY = "summary"
KEEP_NOTHING = "nothing"

REASON = "the caller asked not to be recorded"
# Text fields the summary fills with what the call was about, cleared when nothing may be kept.
_SUMMARY_TEXTS = ("summary", "reason_for_calling", "vehicle_mentioned", "service_wanted", "follow_up_reason")


def transcript_policy(*, call: Call) -> str:
    """What may be kept of this call's words: KEEP_TRANSCRIPT unless the caller objected, else the
    shop's setting."""
    if call.recording_consent != Call.RecordingConsent.DECLINED:
        return KEEP_TRANSCRIPT
    return shop_get().recording_objection_keeps or KEEP_SUMMARY


def call_records_complete(*, call_id: int) -> None:
    """The call's records are all written (voice.agent.records): queue its summary, or, when the caller
    objected and the shop keeps nothing, remove what was said now and send nothing to the LLM."""
    from voice.summaries import call_summary_queue  # summaries imports this module

    call = Call.objects.filter(pk=call_id).first()
    if call is None:
        return
    if transcript_policy(call=call) == KEEP_NOTHING:
        call_transcript_remove(call_id=call_id, keep_summary=False)
        return
    call_summary_queue(call_id=call_id)


def call_transcript_policy_apply(*, call_id: int) -> bool:
    """After the summary (made or not needed): remove what the policy does not keep. True when the
    policy removes words. Safe to repeat: a call already cleared is cleared again, which catches any
    turn written after the first removal."""
    call = Call.objects.filter(pk=call_id).first()
    if call is None:
        return False
    policy = transcript_policy(call=call)
    if policy == KEEP_TRANSCRIPT:
        return False
    return call_transcript_remove(call_id=call_id, keep_summary=policy == KEEP_SUMMARY)


def call_transcript_remove(*, call_id: int, keep_summary: bool) -> bool:
    """Remove the words said on the call (turn texts, what was heard, the advisor's whisper; the
    summary's texts too unless `keep_summary`) and note on the call when and why. Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            return False
        Turn.objects.filter(call_id=call_id).update(text="", heard_text="")
        fields = ["transcript_removed_at", "transcript_removed_reason", "updated_at"]
        if not keep_summary:
            for field in _SUMMARY_TEXTS:
                setattr(call, field, "")
            fields += list(_SUMMARY_TEXTS)
            Handoff.objects.filter(call_id=call_id).update(summary="")
        what = "only the summary and outcome are kept" if keep_summary else "nothing of what was said is kept"
        call.transcript_removed_at = call.transcript_removed_at or now
        call.transcript_removed_reason = f"{REASON}; {what}"
        call.save(update_fields=fields)
    logger.info("call=%s transcript removed: caller objected to recording", call.call_sid)
    return True


# How long the words of an objected-to call wait for a summary that does not come (the LLM down for
# hours, the task lost again and again): then they go without one.
TRANSCRIPT_KEPT_FOR_SUMMARY = timedelta(hours=24)
# How many times in all a call's summary is queued (at hang-up, then by the sweep), each with the task's
# own retries: enough for a lost task or an LLM down an hour or two, without asking all day.
SUMMARY_MAX_REQUESTS = 3
SWEEP_BATCH = 100


def calls_transcript_sweep(*, now: datetime | None = None) -> int:
    """Finish what the summary task left on ended calls whose caller objected and that still have words:
    remove them once the call is summarised, or once it ended TRANSCRIPT_KEPT_FOR_SUMMARY ago. In
    between, queue the summary again when its last request is older than the summary task's whole retry
    window, the LLM has not refused it for good and it was asked fewer than SUMMARY_MAX_REQUESTS times;
    otherwise the call waits for the day's end. A call still going is never touched: ended is Twilio's
    final status (`ended_at`), or a summary, which is written only after the engine's last record, or,
    when Twilio's final status never came, a call older than any call can last. Returns how many calls
    had their words removed."""
    from voice.summaries import call_summary_queue  # summaries imports this module
    from voice.tasks import call_summary_retry_window  # so does tasks

    now = now or timezone.now()
    if shop_get().recording_objection_keeps == KEEP_TRANSCRIPT:
        return 0
    window = call_summary_retry_window()
    longest_call = timedelta(seconds=settings.VOICE_MAX_CALL_SECONDS)
    give_up = now - TRANSCRIPT_KEPT_FOR_SUMMARY
    # Ended long enough ago that the summary task queued at hang-up has finished, one way or the other.
    # A call Twilio never reported ended (a lost status callback) counts once past any call's length.
    ended_a_while = Q(ended_at__lt=now - window) | Q(
        ended_at__isnull=True, created_at__lt=now - longest_call - window
    )
    removable = (
        Q(summarized_at__isnull=False)  # summarised only once the engine wrote its last record
        | Q(ended_at__lt=give_up)
        | Q(ended_at__isnull=True, created_at__lt=give_up - longest_call)
    )
    ask_again = (
        ended_a_while
        & Q(summary_failed_permanently=False, summary_attempts__lt=SUMMARY_MAX_REQUESTS)
        & (Q(summary_requested_at__isnull=True) | Q(summary_requested_at__lt=now - window))
    )
    words = Turn.objects.filter(call=OuterRef("pk")).exclude(text="", heard_text="")
    calls = (
        Call.objects.filter(recording_consent=Call.RecordingConsent.DECLINED)
        .filter(removable | ask_again)
        .filter(Exists(words))
        .annotate(removable=ExpressionWrapper(removable, output_field=BooleanField()))
        .order_by("created_at")
        .values_list("pk", "removable")[:SWEEP_BATCH]
    )
    removed = 0
    for call_id, is_removable in calls:
        if is_removable:
            removed += call_transcript_policy_apply(call_id=call_id)
        else:
            call_summary_queue(call_id=call_id)  # the summary task removes the words once it has written it
    return removed
