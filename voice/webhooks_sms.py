"""POST /voice/sms/: Twilio's messaging webhook for our number (STOP/START/HELP, C to confirm, anything else).

Signature-checked like every Twilio webhook; answers with messaging TwiML `<Message>`. A failure on our
side still answers the texter (and Twilio gets no 500 to retry into a double opt-out). A MessageSid
already handled (a replay) gets an empty `<Response/>`: nothing changes and nothing is sent.
"""

import logging
from xml.sax.saxutils import escape

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.phones import mask_phone
from reminders.services import sms_reply_handle
from voice import twiml
from voice.signatures import twilio_request_is_authentic

logger = logging.getLogger(__name__)

SORRY = "Sorry, we couldn't process your message just now. Please try again later or give us a call."


def message_twiml(text: str) -> str:
    """Messaging TwiML that replies with one text."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(text)}</Message></Response>'


@csrf_exempt
@require_POST
def sms(request: HttpRequest) -> HttpResponse:
    if not twilio_request_is_authentic(request):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    from_number = request.POST.get("From", "").strip()[:32]
    if not from_number:
        return HttpResponseBadRequest("Missing From: this URL is Twilio's messaging webhook.")
    message_sid = request.POST.get("MessageSid", "").strip()[:64]
    if not message_sid:
        return HttpResponseBadRequest("Missing MessageSid: this URL is Twilio's messaging webhook.")
    try:
        reply = sms_reply_handle(
            from_number=from_number, body=request.POST.get("Body", ""), message_sid=message_sid
        )
    except DatabaseError:
        logger.exception("text %s from %s could not be handled", message_sid, mask_phone(from_number))
        reply = SORRY
    document = twiml.empty() if reply is None else message_twiml(reply)
    return HttpResponse(document, content_type="text/xml; charset=utf-8")
