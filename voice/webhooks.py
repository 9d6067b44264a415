"""Twilio voice webhooks: answer an inbound call with a media stream, and record call status.

Views only check the request, call one service and render TwiML.
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from voice import twiml
from voice.engines import UnknownEngine, engine_for_number, get_engine
from voice.services import call_record_error, call_record_inbound, call_status_callback
from voice.signatures import twilio_request_is_authentic
from voice.streams import stream_twiml

logger = logging.getLogger(__name__)

TWIML = "text/xml; charset=utf-8"


def _twiml(document: str) -> HttpResponse:
    return HttpResponse(document, content_type=TWIML)


def _fallback() -> HttpResponse:
    return _twiml(
        twiml.say_and_hangup(f"{twiml.FALLBACK_MESSAGE} {twiml.CALL_BACK_MESSAGE}")
        if not settings.TRANSFER_PHONE_NUMBER
        else twiml.dial(
            settings.TRANSFER_PHONE_NUMBER, message=f"{twiml.FALLBACK_MESSAGE} {twiml.TRANSFER_MESSAGE}"
        )
    )


def _call_sid(request: HttpRequest) -> str:
    return request.POST.get("CallSid", "").strip()[:64]


@csrf_exempt
@require_POST
def inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's voice webhook for our number: record the call and connect it to the live agent."""
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    call_sid = _call_sid(request)
    if not call_sid:
        return HttpResponseBadRequest(
            "Missing CallSid: this URL is Twilio's voice webhook for incoming calls."
        )
    engine = engine_for_number(request.POST.get("To", ""))
    try:
        call = call_record_inbound(
            call_sid=call_sid,
            from_number=request.POST.get("From", ""),
            to_number=request.POST.get("To", ""),
            engine=engine,
        )
    except DatabaseError:
        # The caller is on the line now: apologise and transfer rather than answer with a 500.
        logger.exception("call=%s could not be recorded; answering with the fallback", call_sid)
        return _fallback()
    try:
        get_engine(call.engine or engine)
    except UnknownEngine as exc:
        logger.error("call=%s %s", call_sid, exc.message)
        call_record_error(call_id=call.pk, error=exc.message)
        return _fallback()
    return _twiml(stream_twiml(request, call))


@csrf_exempt
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback: the call rang, was answered, or ended (with duration and AMD)."""
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    call_sid = _call_sid(request)
    if not call_sid:
        return HttpResponseBadRequest("Missing CallSid: this URL is Twilio's call status callback.")
    duration = request.POST.get("CallDuration", "")
    try:
        call = call_status_callback(
            call_sid=call_sid,
            twilio_status=request.POST.get("CallStatus", ""),
            duration_seconds=int(duration) if duration.isdigit() else None,
            answered_by=request.POST.get("AnsweredBy", ""),
        )
    except DatabaseError:
        logger.exception("call=%s status could not be recorded", call_sid)
        return HttpResponse("The call status could not be recorded; try again.", status=503)
    if call is None:
        logger.info("call=%s status callback for a call we have no record of", call_sid)
    return _twiml(twiml.empty())
