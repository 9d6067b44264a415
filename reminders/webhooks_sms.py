"""POST /voice/sms/: Twilio's messaging webhook for our number (STOP/START/HELP, C to confirm, anything else).

Signature-checked like every Twilio webhook; answers with messaging TwiML `<Message>`. A failure on our
side still answers the texter (and Twilio gets no 500 to retry into a double opt-out); an opt-out
received while the database is down is kept in the local spool and applied when it is back. A
MessageSid already handled (a replay) gets an empty `<Response/>`: nothing changes and nothing is sent.
"""

import logging
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealership.core.parsing import clean_text
from reminders.services import sms_receive
from voice import twiml
from voice.signatures import twilio_request_is_authentic
from voice.twiml import xml_text

logger = logging.getLogger(__name__)


def message_twiml(text: str) -> str:
    """Messaging TwiML that replies with one text."""
    message = escape(xml_text(text))
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{message}</Message></Response>'


@csrf_exempt
@require_POST
def sms(request: HttpRequest) -> HttpResponse:
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    from_number = clean_text(request.POST.get("From"), limit=32)
    if not from_number:
        return HttpResponseBadRequest("Missing From: this URL is Twilio's messaging webhook.")
    message_sid = clean_text(request.POST.get("MessageSid"), limit=64)
    if not message_sid:
        return HttpResponseBadRequest("Missing MessageSid: this URL is Twilio's messaging webhook.")
    reply = sms_receive(
        from_number=from_number,
        body=request.POST.get("Body", "").replace("\x00", ""),
        message_sid=message_sid,
    )
    document = twiml.empty() if reply is None else message_twiml(reply)
    return HttpResponse(document, content_type="text/xml; charset=utf-8")
