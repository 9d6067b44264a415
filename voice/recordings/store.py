"""Moving a recording's audio: from Twilio into the shop's storage (Django's default storage: the media
folder, or an S3-compatible bucket through django-storages), and deleting it at either end."""

import logging
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from integrations.errors import ProviderError
from integrations.recording_media import recording_delete, recording_download
from scheduling.shop import shop_get
from voice.models import Recording

logger = logging.getLogger(__name__)

# Kept in memory up to this size, then spilled to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


def recording_store(*, recording_id: int) -> str:
    """Copy a finished recording into the shop's storage, then (by the shop's setting) delete Twilio's
    copy. ProviderError when Twilio fails (the task retries). Returns what happened."""
    recording = Recording.objects.select_related("call").filter(pk=recording_id).first()
    if recording is None or recording.status != Recording.Status.PROCESSING:
        return "nothing to do"
    call_sid = recording.call.call_sid
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as audio:
        content_type, size = recording_download(recording.recording_sid, audio)
        audio.seek(0)
        name = default_storage.save(
            Recording.file.field.generate_filename(recording, f"{call_sid}-{recording.recording_sid}.wav"),
            File(audio),
        )
    with transaction.atomic():
        # The caller may have objected, or someone deleted it, while the audio was on its way.
        updated = Recording.objects.filter(pk=recording_id, status=Recording.Status.PROCESSING).update(
            status=Recording.Status.STORED,
            file=name,
            content_type=content_type,
            size_bytes=size,
            stored_at=timezone.now(),
            last_error="",
        )
    if not updated:
        default_storage.delete(name)
        logger.info(
            "call=%s recording %s changed while copying; copy dropped", call_sid, recording.recording_sid
        )
        return "dropped"
    logger.info("call=%s recording %s stored (%d bytes)", call_sid, recording.recording_sid, size)
    if shop_get().recording_delete_at_twilio:
        try:
            recording_delete(recording.recording_sid)
        except ProviderError as error:
            # Ours is safe; Twilio's copy stays until the retention or a manual delete retries.
            logger.warning(
                "call=%s recording %s not deleted at Twilio: %s", call_sid, recording.recording_sid, error
            )
            return "stored"
        Recording.objects.filter(pk=recording_id).update(deleted_at_twilio=True)
    return "stored"


def recording_discard(*, recording_id: int) -> str:
    """Delete a discarded or deleted recording's audio everywhere: Twilio's copy (ProviderError when
    Twilio fails: the task retries) and the shop's. Returns what happened."""
    recording = Recording.objects.select_related("call").filter(pk=recording_id).first()
    if recording is None or recording.status not in (Recording.Status.DISCARDED, Recording.Status.DELETED):
        return "nothing to do"
    if recording.file:
        default_storage.delete(recording.file.name)
        Recording.objects.filter(pk=recording_id).update(file="", size_bytes=None)
    if not recording.deleted_at_twilio:
        recording_delete(recording.recording_sid)
        Recording.objects.filter(pk=recording_id).update(deleted_at_twilio=True)
    logger.info("call=%s recording %s deleted everywhere", recording.call.call_sid, recording.recording_sid)
    return "deleted"


def recording_failed(*, recording_id: int, error: str) -> None:
    """The copy gave up: keep why, for the admin (Twilio still holds the audio)."""
    Recording.objects.filter(pk=recording_id, status=Recording.Status.PROCESSING).update(
        status=Recording.Status.FAILED, last_error=error[:500]
    )
