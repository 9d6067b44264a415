"""Twilio webhooks of outbound reminder calls (placed by reminders.services.delivery).

- POST /voice/outbound/reminder/<appointment id>/         the call was answered: voicemail or live agent
- POST /voice/outbound/reminder/<appointment id>/status/  status callback: retry, text, or done
- POST /voice/outbound/reminder/<appointment id>/amd/     asynchronous answering-machine result

Each URL carries `?attempt=<id>` (part of what Twilio signs). Views check the signature, call one
service and render TwiML; a database failure is answered without a 500 where the caller would hear it.
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealership.core.parsing import clean_text, small_int
from reminders.script import SCRIPT_VERSION
from reminders.services import reminder_call_answered, reminder_machine_detected, reminder_status_callback
from voice import twiml
from voice.signatures import twilio_request_is_authentic
from voice.streams import stream_twiml

logger = logging.getLogger(__name__)

TWIML = "text/xml; charset=utf-8"
# Said when we cannot tell what this call is about: never leave an answered call in silence.
GENERIC_HANGUP = (
    "Hello, this is an automated reminder service. Sorry, this call is no longer needed. Goodbye."
)
# Said when we cannot look the call up (the database is down): apologise, then transfer or ask for a call.
TROUBLE_HELLO = f"Hello, this is an automated appointment reminder. {twiml.FALLBACK_MESSAGE}"


def _twiml(document: str) -> HttpResponse:
    return HttpResponse(document, content_type=TWIML)


def _attempt_id(request: HttpRequest) -> int | None:
    return small_int(request.GET.get("attempt"), max_digits=18)


def _call_sid(request: HttpRequest) -> str:
    return clean_text(request.POST.get("CallSid"), limit=64)


def _checked(request: HttpRequest) -> HttpResponse | None:
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    if not _call_sid(request):
        return HttpResponseBadRequest("Missing CallSid: this URL is for Twilio reminder-call callbacks.")
    return None


@csrf_exempt
@require_POST
def reminder_answer(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The reminder call was answered (AnsweredBy present when machine detection is synchronous)."""
    if refusal := _checked(request):
        return refusal
    call_sid = _call_sid(request)
    try:
        answer = reminder_call_answered(
            appointment_id=appointment_id,
            attempt_id=_attempt_id(request),
            call_sid=call_sid,
            answered_by=clean_text(request.POST.get("AnsweredBy")),
        )
    except DatabaseError:
        logger.exception("call=%s reminder answer could not be handled", call_sid)
        return _twiml(twiml.fallback(transfer_number=settings.TRANSFER_PHONE_NUMBER, message=TROUBLE_HELLO))
    if answer is None or answer.call is None:
        logger.warning("call=%s answered, but it is not a reminder call we placed", call_sid)
        return _twiml(twiml.say_and_hangup(GENERIC_HANGUP))
    if answer.kind != "conversation":
        return _twiml(twiml.say_and_hangup(answer.text, answer.language))
    return _twiml(
        stream_twiml(
            request,
            answer.call,
            purpose="reminder",
            appointment_id=str(appointment_id),
            reminder_attempt_id=str(_attempt_id(request) or ""),
            script_version=SCRIPT_VERSION,
        )
    )


@csrf_exempt
@require_POST
def reminder_status(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Status callback of a reminder call: answered, or ended (completed, busy, no-answer, failed)."""
    if refusal := _checked(request):
        return refusal
    try:
        reminder_status_callback(
            attempt_id=_attempt_id(request),
            call_sid=_call_sid(request),
            twilio_status=clean_text(request.POST.get("CallStatus")),
            answered_by=clean_text(request.POST.get("AnsweredBy")),
            duration_seconds=small_int(request.POST.get("CallDuration")),
        )
    except DatabaseError:
        # 503 makes Twilio retry the callback later; nothing is lost.
        logger.exception("call=%s reminder status could not be recorded", _call_sid(request))
        return HttpResponse("The call status could not be recorded; try again.", status=503)
    return _twiml(twiml.empty())


@csrf_exempt
@require_POST
def reminder_amd(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Asynchronous machine detection finished: a machine gets the voicemail after its beep."""
    if refusal := _checked(request):
        return refusal
    try:
        reminder_machine_detected(
            attempt_id=_attempt_id(request),
            call_sid=_call_sid(request),
            answered_by=clean_text(request.POST.get("AnsweredBy")),
        )
    except DatabaseError:
        logger.exception("call=%s machine-detection result could not be recorded", _call_sid(request))
        return HttpResponse("The result could not be recorded; try again.", status=503)
    return _twiml(twiml.empty())
