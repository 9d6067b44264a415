"""Twilio's callbacks during a warm hand-off (voice.handoffs): the advisor's whisper and keypad, and
the <Dial action> result. Signature-checked; each only parses, calls one service and renders TwiML."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealership.core.parsing import clean_text
from voice import twiml
from voice.agent.lines import line
from voice.handoffs import handoff_dial_result_twiml, handoff_keypad_twiml, handoff_whisper_twiml
from voice.signatures import twilio_request_is_authentic
from voice.webhooks import TWIML

logger = logging.getLogger(__name__)


def _token(request: HttpRequest) -> str:
    return clean_text(request.GET.get("handoff"), limit=64)


def _twiml(document: str) -> HttpResponse:
    return HttpResponse(document, content_type=TWIML)


@csrf_exempt
@require_POST
def whisper(request: HttpRequest) -> HttpResponse:
    """The advisor's leg: the whisper (summary, press 1), or with `Digits` the key they pressed."""
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    token = _token(request)
    if not token:
        return HttpResponseBadRequest("Missing handoff: this URL is the whisper of a warm transfer.")
    try:
        if "Digits" in request.POST:
            digits = clean_text(request.POST["Digits"], limit=8)
            return _twiml(handoff_keypad_twiml(token=token, digits=digits))
        return _twiml(handoff_whisper_twiml(token=token))
    except DatabaseError:
        logger.exception("warm hand-off whisper failed; the advisor's leg is hung up")
        return _twiml(twiml.hangup())


@csrf_exempt
@require_POST
def result(request: HttpRequest) -> HttpResponse:
    """The <Dial action>: connected, or the caller hears that nobody is free and gets a call back."""
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    token = _token(request)
    if not token:
        return HttpResponseBadRequest("Missing handoff: this URL is the result of a warm transfer.")
    status = clean_text(request.POST.get("DialCallStatus"), limit=20)
    try:
        return _twiml(handoff_dial_result_twiml(token=token, dial_status=status))
    except DatabaseError:
        # The caller is still on the line: never leave them in silence, even without a record.
        call_sid = clean_text(request.POST.get("CallSid"), limit=64)
        logger.exception("call=%s transfer result could not be recorded", call_sid)
        return _twiml(twiml.say_and_hangup(line("transfer_nobody_free")))
