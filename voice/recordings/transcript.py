"""What is kept of what was said when the caller objected to recording (the shop's setting *When a
caller objects to recording*): the written transcript, only the summary and outcome, or nothing.

Applied once the call has ended, never mid-call (the live conversation still needs its context):
- `call_records_complete(call_id=…)` is the engine's last write. It queues the summary, except when the
  shop keeps nothing: then what was said is removed at once and never sent to the LLM.
- When the shop keeps the summary, the summary task removes the words once it has summarised (or given
  up): `call_transcript_policy_apply(call_id=…)`.
- `calls_transcript_sweep()` (hourly, with the recordings' beat task) removes what a lost task left.

The call keeps its metadata, outcome, tool calls, bookings, messages and consent state; each turn keeps
its place and timings (the latency figures), without its words.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
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
    """After the summary (made, not needed, or given up): remove what the policy does not keep.
    True when something was removed."""
    call = Call.objects.filter(pk=call_id).first()
    if call is None or call.transcript_removed_at is not None:
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


SWEEP_AFTER = timedelta(hours=1)


def calls_transcript_sweep(*, now: datetime | None = None) -> int:
    """Apply the policy to calls a lost summary task left with their words: objected to, over
    SWEEP_AFTER old, not yet removed. Returns how many were removed."""
    now = now or timezone.now()
    if shop_get().recording_objection_keeps == KEEP_TRANSCRIPT:
        return 0
    ids = list(
        Call.objects.filter(
            recording_consent=Call.RecordingConsent.DECLINED,
            transcript_removed_at__isnull=True,
            created_at__lt=now - SWEEP_AFTER,
        ).values_list("pk", flat=True)[:100]
    )
    return sum(call_transcript_policy_apply(call_id=call_id) for call_id in ids)
