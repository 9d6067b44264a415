"""Warm hand-off: the advisor hears who is calling and why, and presses a key to take the call.

1. `handoff_start` records a Handoff with a one-sentence summary (the customer's name when the caller
   ID matched or they verified, the reason the agent gave transfer_to_human, "urgent" for an unsafe
   car). The live call's TwiML becomes `warm_dial_twiml`: <Dial action=result><Number url=whisper>.
2. Twilio fetches the whisper for the advisor's leg only (`handoff_whisper_twiml`): the summary and
   "press 1". The key comes back to our own keypad callback (`handoff_keypad_twiml`), which records the
   acceptance; the whisper's TwiML then ends and Twilio bridges the two. No key: the advisor's leg
   hangs up, so the dial ends.
3. Twilio asks the <Dial action> what the caller hears next (`handoff_dial_result_twiml`). Accepted
   and answered: nothing more (hang up when the advisor is done). Anything else (no answer, busy,
   failed, not accepted): the caller hears that nobody is free, a callback request with the summary
   is left for advisors (urgent when the call is), and a text tells them the shop will call back
   (unless they opted out of texts). Acted on once per hand-off: a replayed result changes nothing.

Twilio reaches our URLs through PUBLIC_BASE_URL; without it the agent's transfers stay cold dials.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import Customer
from crm.phones import mask_phone
from crm.selectors import customer_find_by_phone
from dealership.core.display import phone as display_phone
from integrations.errors import ProviderError
from integrations.telephony import send_sms_sync, telephony_is_configured
from scheduling.shop import shop_get
from voice import twiml
from voice.agent.lines import line
from voice.models import Call, Handoff, WebhookReceipt
from voice.receipts import webhook_receipt_record
from voice.services import call_set_outcome, callback_request_create

logger = logging.getLogger(__name__)

WHISPER_PATH = "/voice/transfer/whisper/"
RESULT_PATH = "/voice/transfer/result/"
RING_SECONDS = 20  # then the dial ends as no-answer and the caller hears the fallback
ACCEPT_KEY = "1"
WHISPER_PROMPT = "Press 1 to take the call."
NOT_TAKEN = "The call was not taken. The caller will get a call back. Goodbye."
CONNECTING = "Connecting you now."

# Twilio's DialCallStatus -> what happened, for a dial the advisor did not take.
_NOT_TAKEN = {
    "no-answer": Handoff.Result.NO_ANSWER,
    "busy": Handoff.Result.BUSY,
    "failed": Handoff.Result.FAILED,
    "canceled": Handoff.Result.CANCELED,
}
_ANSWERED = frozenset({"completed", "answered"})


def warm_handoff_available() -> bool:
    """Twilio can reach the whisper and result URLs only through the public origin."""
    return bool(settings.PUBLIC_BASE_URL)


def _url(path: str, token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}?handoff={token}"


def warm_dial_twiml(*, number: str, token: str) -> str:
    """The live call's new TwiML: ring the advisor line with the whisper of hand-off `token`."""
    return twiml.warm_dial(
        number,
        action=_url(RESULT_PATH, token),
        whisper_url=_url(WHISPER_PATH, token),
        caller_id=settings.TWILIO_PHONE_NUMBER,
        timeout=RING_SECONDS,
    )


def _caller_number(call: Call) -> str:
    return call.from_number if call.direction == Call.Direction.INBOUND else call.to_number


def handoff_summary(*, name: str, caller_number: str, reason: str, urgent: bool) -> str:
    """One sentence for the advisor: who is calling and why."""
    if name:
        who = name
    elif caller_number.startswith("+"):
        who = f"A caller from {display_phone(caller_number)}"
    else:
        who = "A caller with a withheld number"
    why = " ".join(reason.split()).rstrip(".") or "wants to speak with someone"
    lead = "Urgent, an unsafe car. " if urgent else ""
    return f"{lead}{who}: {why}."[:400]


def handoff_start(*, call_id: int, number: str, reason: str = "", customer_id: int | None = None) -> Handoff:
    """Record a warm transfer of call `call_id` to `number`. `customer_id`: whom the caller is known to
    be (caller-ID match or verified); their name goes into the summary."""
    call = Call.objects.select_related("customer").get(pk=call_id)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else call.customer
    urgent = call.urgency == Call.Urgency.SAFETY
    summary = handoff_summary(
        name=customer.name if customer is not None else "",
        caller_number=_caller_number(call),
        reason=reason,
        urgent=urgent,
    )
    handoff = Handoff.objects.create(
        call=call, number=number[:20], reason=reason[:200], summary=summary, urgent=urgent
    )
    logger.info("call=%s warm hand-off %s to %s", call.call_sid, handoff.pk, mask_phone(number))
    return handoff


def handoff_whisper_twiml(*, token: str) -> str:
    """What the advisor hears on answering: the summary and the key to press. A hand-off that is
    over (or unknown) just hangs up the advisor's leg."""
    handoff = Handoff.objects.filter(token=token, result="").first()
    if handoff is None:
        return twiml.hangup()
    return twiml.whisper(
        handoff.summary, accept_url=_url(WHISPER_PATH, token), prompt=WHISPER_PROMPT, not_taken=NOT_TAKEN
    )


def handoff_keypad_twiml(*, token: str, digits: str) -> str:
    """The advisor's key: ACCEPT_KEY records the acceptance and lets Twilio connect them; any other
    key hangs up their leg. Idempotent: acceptance is recorded once, and only while the dial is on."""
    if digits.strip() == ACCEPT_KEY:
        accepted = Handoff.objects.filter(token=token, result="").update(accepted_at=timezone.now())
        if accepted:
            logger.info("warm hand-off %s accepted by the advisor", token[:6])
            return twiml.say_then_connect(CONNECTING)
    return twiml.say_and_hangup(NOT_TAKEN)


def _result_twiml(handoff: Handoff | None, language: str) -> str:
    if handoff is not None and handoff.result == Handoff.Result.CONNECTED:
        return twiml.hangup()
    return twiml.say_and_hangup_in(line("transfer_nobody_free", language), language)


def handoff_dial_result_twiml(*, token: str, dial_status: str) -> str:
    """Twilio's <Dial action>: what the caller hears now, acted on once per hand-off (see the module
    docstring). An unknown hand-off still gets the caller a polite goodbye, never silence."""
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().select_related("call").filter(token=token).first()
        if handoff is None:
            logger.warning("transfer result for an unknown hand-off")
            return _result_twiml(None, "")
        call = handoff.call
        language = call.language
        if not webhook_receipt_record(kind=WebhookReceipt.Kind.TRANSFER_RESULT, key=token):
            logger.info("call=%s transfer result already handled; replay ignored", call.call_sid)
            return _result_twiml(handoff, language)
        if dial_status in _ANSWERED and handoff.accepted_at is not None:
            handoff.result = Handoff.Result.CONNECTED
        elif dial_status in _ANSWERED:
            handoff.result = Handoff.Result.DECLINED
        else:
            handoff.result = _NOT_TAKEN.get(dial_status, Handoff.Result.FAILED)
        handoff.dial_status = dial_status[:20]
        handoff.ended_at = timezone.now()
        if handoff.result != Handoff.Result.CONNECTED:
            _leave_callback_request(handoff, call)
        handoff.save(update_fields=["result", "dial_status", "ended_at", "callback_request"])
        logger.info("call=%s warm hand-off %s: %s", call.call_sid, handoff.pk, handoff.result)
        if handoff.callback_request_id is not None:
            handoff_id = handoff.pk
            transaction.on_commit(lambda: _queue_callback_text(handoff_id))
    return _result_twiml(handoff, language)


def _leave_callback_request(handoff: Handoff, call: Call) -> None:
    customer = call.customer
    request = callback_request_create(
        phone=_caller_number(call),
        name=customer.name if customer is not None else "",
        reason=f"{handoff.summary} Nobody took the transfer ({handoff.get_result_display()}).",
        call_id=call.pk,
        customer_id=call.customer_id,
        urgent=handoff.urgent,
    )
    handoff.callback_request = request
    call_set_outcome(call_id=call.pk, outcome=Call.Outcome.MESSAGE_TAKEN)


def _queue_callback_text(handoff_id: int) -> None:
    from voice.tasks import handoff_callback_text  # the tasks module imports this one

    try:
        handoff_callback_text.apply_async(args=(handoff_id,), retry=False)
    except Exception as error:  # a dead broker: the callback request stands; only the text is lost
        logger.warning("hand-off %s: callback text not queued: %r", handoff_id, error)


def handoff_callback_text_send(*, handoff_id: int) -> str:
    """Text the caller of a hand-off nobody took that the shop will call back, once (the hand-off is
    claimed with a conditional UPDATE). Not to a withheld number, nor to a customer who opted out of
    texts. A transient Twilio failure releases the claim and raises, for the task to retry."""
    if not Handoff.objects.filter(pk=handoff_id, text_claimed=False).update(text_claimed=True):
        return "already handled"
    call = Call.objects.get(handoffs__pk=handoff_id)
    to = _caller_number(call)
    if not to.startswith("+"):
        return "no number to text"
    customer = customer_find_by_phone(phone=to)
    if customer is not None and not customer.sms_allowed:
        return "opted out of texts"
    if not telephony_is_configured():
        return "texting is not configured"
    body = line("transfer_callback_text", call.language, shop_name=shop_get().name)
    try:
        sid = send_sms_sync(to, body)
    except ProviderError as error:
        if not error.permanent:
            Handoff.objects.filter(pk=handoff_id).update(text_claimed=False)
            raise
        logger.warning("call=%s callback text failed: %s", call.call_sid, error.message)
        return "failed"
    logger.info("call=%s callback text %s sent to %s", call.call_sid, sid, mask_phone(to))
    return "sent"
