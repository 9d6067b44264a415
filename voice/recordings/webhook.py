"""POST /voice/recording/: Twilio's recording status callback (signature-checked, acted on once)."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealership.core.parsing import clean_text, small_int
from integrations.recording_media import recording_sid_is_valid
from voice.recordings.services import recording_status_callback
from voice.signatures import twilio_request_is_authentic

logger = logging.getLogger(__name__)

STATUSES = frozenset({"in-progress", "completed", "absent", "failed"})


@csrf_exempt
@require_POST
def recording_status(request: HttpRequest) -> HttpResponse:
    """Twilio reports a recording: a completed one is copied to the shop's storage by a task."""
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    recording_sid = clean_text(request.POST.get("RecordingSid"), limit=64)
    call_sid = clean_text(request.POST.get("CallSid"), limit=64)
    status = clean_text(request.POST.get("RecordingStatus"), limit=20)
    if not recording_sid_is_valid(recording_sid) or not call_sid or status not in STATUSES:
        return HttpResponseBadRequest(
            "Expected RecordingSid, CallSid and RecordingStatus: "
            "this URL is Twilio's recording status callback."
        )
    try:
        recording = recording_status_callback(
            recording_sid=recording_sid,
            call_sid=call_sid,
            status=status,
            duration_seconds=small_int(request.POST.get("RecordingDuration"), max_digits=6),
            channels=small_int(request.POST.get("RecordingChannels"), max_digits=1),
        )
    except DatabaseError:
        logger.exception("call=%s recording %s status could not be recorded", call_sid, recording_sid)
        return HttpResponse("The recording status could not be recorded; try again.", status=503)
    if recording is None:
        logger.info("call=%s recording %s: unknown call or already acted on", call_sid, recording_sid)
    return HttpResponse(status=204)
