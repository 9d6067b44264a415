"""The recording records: what the live call started, what the caller decided, what Twilio reported,
and who deleted what. Copying and deleting the audio itself is in voice.recordings.store."""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone

from dealership.core.queue import task_enqueue
from scheduling.shop import shop_get
from voice.models import Call, Recording
from voice.receipts import Kind, webhook_receipt_record

logger = logging.getLogger(__name__)

RECORDING_PATH = "/voice/recording/"


@dataclass(frozen=True)
class RecordingPolicy:
    """The shop's recording settings as the live call needs them."""

    enabled: bool
    ask_first: bool


def recording_policy() -> RecordingPolicy:
    shop = shop_get()
    return RecordingPolicy(enabled=shop.recording_enabled, ask_first=shop.recording_consent_required)


def recording_callback_url(origin: str = "") -> str:
    """Where Twilio posts the recording status: PUBLIC_BASE_URL (or the origin the call's webhook was
    reached at) + /voice/recording/. Empty when neither is known."""
    base = (settings.PUBLIC_BASE_URL or origin).rstrip("/")
    return base + RECORDING_PATH if base.startswith(("https://", "http://")) else ""


# --- the live call ------------------------------------------------------------------------------------


def recording_started(*, call_id: int, recording_sid: str) -> Recording:
    """Twilio is recording the call: keep the recording's SID (the callback may have made the row)."""
    recording, _ = Recording.objects.get_or_create(
        recording_sid=recording_sid, defaults={"call_id": call_id, "channels": 2}
    )
    return recording


def recording_consent_declined(*, call_id: int) -> list[int]:
    """The caller objected: the call is marked so, and every recording of it is discarded (Twilio's copy
    and ours are deleted by a task). Returns the recordings being discarded."""
    with transaction.atomic():
        Call.objects.filter(pk=call_id).update(
            recording_consent=Call.RecordingConsent.DECLINED, updated_at=timezone.now()
        )
        ids = list(
            Recording.objects.select_for_update()
            .filter(call_id=call_id)
            .exclude(status__in=(Recording.Status.DISCARDED, Recording.Status.DELETED))
            .values_list("pk", flat=True)
        )
        Recording.objects.filter(pk__in=ids).update(
            status=Recording.Status.DISCARDED, deleted_at=timezone.now(), deleted_reason="caller objected"
        )
        for recording_id in ids:
            _queue_after_commit("discard", recording_id, off_thread=True)
    return ids


# --- Twilio's recording status callback ---------------------------------------------------------------


def recording_status_callback(
    *, recording_sid: str, call_sid: str, status: str, duration_seconds: int | None, channels: int | None
) -> Recording | None:
    """Act once on Twilio's report about a recording: a completed one is copied to the shop's storage
    (or deleted, when the caller had objected). None for a call we have no record of, or a replay."""
    with transaction.atomic():
        call = Call.objects.filter(call_sid=call_sid).first()
        if call is None:
            return None
        if not webhook_receipt_record(kind=Kind.RECORDING, key=f"{recording_sid}:{status}"):
            logger.info("call=%s recording %s %s: already acted on", call_sid, recording_sid, status)
            return None
        recording, _ = Recording.objects.select_for_update().get_or_create(
            recording_sid=recording_sid, defaults={"call": call, "channels": channels}
        )
        if recording.call_id != call.pk:
            logger.warning("call=%s recording %s belongs to another call", call_sid, recording_sid)
            return None
        recording.duration_seconds = duration_seconds
        recording.channels = channels or recording.channels
        if call.recording_consent == Call.RecordingConsent.DECLINED and recording.status not in (
            Recording.Status.DISCARDED,
            Recording.Status.DELETED,
        ):
            recording.status = Recording.Status.DISCARDED
            recording.deleted_at = timezone.now()
            recording.deleted_reason = "caller objected"
        if status == "completed":
            if recording.status == Recording.Status.RECORDING:
                recording.status = Recording.Status.PROCESSING
                _queue_after_commit("store", recording.pk)
            elif recording.status in (Recording.Status.DISCARDED, Recording.Status.DELETED):
                # Stopped mid-call, Twilio's copy only now exists as a whole: delete it (again).
                recording.deleted_at_twilio = False
                _queue_after_commit("discard", recording.pk)
        elif status == "absent" and recording.status == Recording.Status.RECORDING:
            # Twilio kept nothing (silence, or stopped at once): there is nothing to copy.
            recording.status = Recording.Status.DELETED
            recording.deleted_at = timezone.now()
            recording.deleted_reason = "Twilio recorded nothing"
        recording.save()
    logger.info("call=%s recording %s is %s at Twilio", call_sid, recording_sid, status)
    return recording


# --- the back office ------------------------------------------------------------------------------------


def recording_playable(*, call_id: int) -> Recording | None:
    """The call's recording that can be played (the newest stored one), if any."""
    return (
        Recording.objects.filter(call_id=call_id, status=Recording.Status.STORED)
        .exclude(file="")
        .order_by("-created_at")
        .first()
    )


def recordings_delete_by_hand(*, call_ids: list[int], user: Any) -> int:
    """Delete these calls' recordings now (audio in storage and at Twilio), keeping who did it and
    when. Returns how many were deleted."""
    with transaction.atomic():
        ids = list(
            Recording.objects.select_for_update()
            .filter(call_id__in=call_ids)
            .exclude(status__in=(Recording.Status.DISCARDED, Recording.Status.DELETED))
            .values_list("pk", flat=True)
        )
        Recording.objects.filter(pk__in=ids).update(
            status=Recording.Status.DELETED,
            deleted_at=timezone.now(),
            deleted_by=user,
            deleted_reason="by hand",
        )
        for recording_id in ids:
            _queue_after_commit("discard", recording_id)
    logger.info("%d recording(s) deleted by hand by user %s", len(ids), getattr(user, "pk", None))
    return len(ids)


def recordings_expire(*, now: datetime | None = None) -> int:
    """Delete the recordings older than the shop's retention. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=shop_get().recording_retention_days)
    with transaction.atomic():
        ids = list(
            Recording.objects.select_for_update(skip_locked=True)
            .filter(created_at__lt=cutoff)
            .exclude(status__in=(Recording.Status.DISCARDED, Recording.Status.DELETED))
            .values_list("pk", flat=True)
        )
        Recording.objects.filter(pk__in=ids).update(
            status=Recording.Status.DELETED, deleted_at=now, deleted_reason="retention"
        )
        for recording_id in ids:
            _queue_after_commit("discard", recording_id)
    if ids:
        logger.info("%d recording(s) past the %s cutoff deleted", len(ids), cutoff.date())
    return len(ids)


STUCK_AFTER = timedelta(minutes=30)


def recordings_sweep(*, now: datetime | None = None) -> int:
    """Queue again what a lost task left undone (a broker that was down, a worker that died): copies
    waiting for over STUCK_AFTER, and deleted recordings whose audio is still kept somewhere."""
    now = now or timezone.now()
    stuck = list(
        Recording.objects.filter(
            status=Recording.Status.PROCESSING, created_at__lt=now - STUCK_AFTER
        ).values_list("pk", flat=True)[:100]
    )
    for recording_id in stuck:
        _publish("store", recording_id)
    kept = list(
        Recording.objects.filter(
            status__in=(Recording.Status.DISCARDED, Recording.Status.DELETED),
            deleted_at__lt=now - STUCK_AFTER,
        )
        .filter(models.Q(deleted_at_twilio=False) | ~models.Q(file=""))
        .values_list("pk", flat=True)[:100]
    )
    for recording_id in kept:
        _publish("discard", recording_id)
    return len(stuck) + len(kept)


# --- queueing -------------------------------------------------------------------------------------------

# The live call's writes publish on this thread: they run on the calls' database thread, which must
# not wait out a broker timeout while Redis is down (see voice.summaries).
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording-publish")


def _queue_after_commit(what: str, recording_id: int, *, off_thread: bool = False) -> None:
    if off_thread:
        transaction.on_commit(lambda: _publisher.submit(_publish, what, recording_id, True))
    else:
        transaction.on_commit(lambda: _publish(what, recording_id))


def _publish(what: str, recording_id: int, own_thread: bool = False) -> None:
    from voice.recordings import tasks  # the tasks import this module

    task = tasks.recording_store_task if what == "store" else tasks.recording_discard_task
    try:
        task_enqueue(task, recording_id)  # one bounded attempt; False (logged) when the broker is down
    except Exception:
        logger.exception("recording id %s: %s task failed", recording_id, what)
    finally:
        if own_thread:
            connections.close_all()
