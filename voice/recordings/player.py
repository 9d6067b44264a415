"""The call page's recording: the audio served by our server, with byte ranges so the player can seek.
An admin view (CallAdmin.get_urls wraps it in admin_view: staff only)."""

import logging
from collections.abc import Iterator
from typing import IO

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)

from dealership.core.parsing import small_int
from voice.recordings.ranges import ByteRange, UnsatisfiableRange, byte_range
from voice.recordings.services import recording_playable

logger = logging.getLogger(__name__)

LISTEN = "voice.listen_recording"
CHUNK = 64 * 1024


def _chunks(audio: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        audio.seek(start)
        left = length
        while left > 0:
            chunk = audio.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        audio.close()


def recording_audio(request: HttpRequest, object_id: str) -> HttpResponseBase:
    """GET/HEAD the call's recording: 200 with the whole file, 206 with `Content-Range` for a range,
    416 for a range outside it; only for staff with voice.listen_recording."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not request.user.has_perm(LISTEN):
        return HttpResponseForbidden("You may not listen to call recordings.")
    call_id = small_int(object_id)
    recording = recording_playable(call_id=call_id) if call_id is not None else None
    if recording is None:
        raise Http404("This call has no recording to play.")
    storage, name = recording.file.storage, recording.file.name
    try:
        size = storage.size(name)
    except OSError:
        logger.error("call id %s: recording %s is missing from storage", call_id, recording.recording_sid)
        raise Http404("The recording's audio is missing from storage.") from None
    try:
        wanted = byte_range(request.headers.get("Range"), size)
    except UnsatisfiableRange:
        response = HttpResponse("Range Not Satisfiable", status=416, content_type="text/plain")
        response["Content-Range"] = f"bytes */{size}"
        return response
    part = wanted or ByteRange(0, size - 1)
    if request.method == "HEAD" or size == 0:
        response: HttpResponseBase = HttpResponse(status=206 if wanted else 200)
    else:
        response = StreamingHttpResponse(
            _chunks(storage.open(name, "rb"), part.start, part.length), status=206 if wanted else 200
        )
    response["Content-Type"] = recording.content_type or "audio/wav"
    response["Content-Length"] = str(part.length if size else 0)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = f'inline; filename="{recording.recording_sid}.wav"'
    if wanted:
        response["Content-Range"] = part.content_range(size)
    return response
