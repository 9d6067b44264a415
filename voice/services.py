"""Writes for call records: the call itself, its turns, tool calls and messages taken for advisors.

These are sync; async callers (the session, engines) wrap them with `database_sync_to_async`.
"""

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from crm.phones import mask_phone, try_normalize_phone
from crm.services import customer_set_preferred_language
from dealership import metrics
from dealership.core.alerts.services import (
    alert_callback_request,
    notify_call_urgent,
    receptionist_error_noted,
)
from scheduling.shop import shop_get
from voice.models import Call, CallbackRequest, ToolCall, Turn, WebhookReceipt
from voice.receipts import webhook_receipt_record

logger = logging.getLogger(__name__)

# Twilio CallStatus → ours. "queued"/"initiated" are before ringing; we keep them as ringing.
TWILIO_STATUSES: dict[str, str] = {
    "queued": Call.Status.RINGING,
    "initiated": Call.Status.RINGING,
    "ringing": Call.Status.RINGING,
    "in-progress": Call.Status.IN_PROGRESS,
    "completed": Call.Status.COMPLETED,
    "busy": Call.Status.BUSY,
    "no-answer": Call.Status.NO_ANSWER,
    "canceled": Call.Status.CANCELED,
    "failed": Call.Status.FAILED,
}
# A call only moves forward: ringing → in progress → one final status (callbacks arrive out of order,
# and a captured one can be replayed).
_PROGRESS = {Call.Status.RINGING: 0, Call.Status.IN_PROGRESS: 1} | dict.fromkeys(Call.FINAL_STATUSES, 2)


def _phone_for_storage(raw: str) -> str:
    """E.164 when it is a phone number; otherwise what Twilio sent ("anonymous", "client:web")."""
    raw = (raw or "").strip()
    return (try_normalize_phone(raw) if raw.startswith("+") else None) or raw[:20]


def _match_customer(phone: str) -> Any:
    try:
        from crm.selectors import customer_find_by_phone
    except ImportError:  # the CRM selector ships separately; no match until it does
        return None
    return customer_find_by_phone(phone=phone) if phone.startswith("+") else None


def call_record_inbound(*, call_sid: str, from_number: str, to_number: str, engine: str) -> Call:
    """Create (or, on Twilio's retry, refresh) the record of an inbound call and match the caller.

    A retried webhook keeps the same row, including its stream token and any outcome already set.
    """
    caller = _phone_for_storage(from_number)
    with transaction.atomic():
        call, created = Call.objects.select_for_update().get_or_create(
            call_sid=call_sid,
            defaults={
                "direction": Call.Direction.INBOUND,
                "from_number": caller,
                "to_number": _phone_for_storage(to_number),
                "engine": engine[:20],
                "status": Call.Status.RINGING,
            },
        )
        if call.customer_id is None:
            call.customer = _match_customer(caller)
            if call.customer is not None:
                call.save(update_fields=["customer", "updated_at"])
    logger.info(
        "call=%s inbound call %s from %s, customer %s",
        call_sid,
        "recorded" if created else "seen again",
        mask_phone(caller),
        call.customer_id or "unknown",
    )
    return call


def call_record_status(
    *, call_sid: str, twilio_status: str, duration_seconds: int | None = None, answered_by: str = ""
) -> Call | None:
    """Apply a Twilio status callback. Returns None for a call we have no record of.

    A status never moves the call back (a final one is never replaced). A call that ends without
    any outcome is marked abandoned.
    """
    status = TWILIO_STATUSES.get(twilio_status)
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
        if call is None:
            return None
        fields = ["updated_at"]
        if answered_by:
            call.answered_by = answered_by[:30]
            fields.append("answered_by")
        if status is None:
            logger.warning("call=%s unknown Twilio call status %r ignored", call_sid, twilio_status[:30])
        elif _PROGRESS[status] > _PROGRESS.get(call.status, 0):
            call.status = status
            fields.append("status")
            if status == Call.Status.IN_PROGRESS and call.started_at is None:
                call.started_at = timezone.now()
                fields.append("started_at")
            if status in Call.FINAL_STATUSES:
                call.ended_at = call.ended_at or timezone.now()
                fields.append("ended_at")
                if not call.outcome:
                    call.outcome = Call.Outcome.ABANDONED
                    fields.append("outcome")
                ended_with = call.outcome
                transaction.on_commit(lambda: metrics.CALLS.labels(outcome=ended_with).inc())
        if duration_seconds is not None:
            call.duration_seconds = duration_seconds
            fields.append("duration_seconds")
        call.save(update_fields=fields)
    logger.info("call=%s status %s", call_sid, twilio_status[:30])
    return call


def call_status_callback(
    *, call_sid: str, twilio_status: str, duration_seconds: int | None = None, answered_by: str = ""
) -> Call | None:
    """Twilio's status callback (/voice/status/), acted on once per CallSid and status: a replay
    changes nothing. Returns the call, or None for a call we have no record of."""
    with transaction.atomic():
        key = f"{call_sid}:{twilio_status[:30]}"
        if not webhook_receipt_record(kind=WebhookReceipt.Kind.CALL_STATUS, key=key):
            logger.info("call=%s status %s already handled; replay ignored", call_sid, twilio_status[:30])
            return Call.objects.filter(call_sid=call_sid).first()
        return call_record_status(
            call_sid=call_sid,
            twilio_status=twilio_status,
            duration_seconds=duration_seconds,
            answered_by=answered_by,
        )


def call_record_error(*, call_id: int, error: str) -> None:
    """Keep the latest thing that went wrong on a call, for advisors reading the admin; a rejected key,
    an exhausted quota or several failing calls in a row alert the shop (dealership.core.alerts)."""
    Call.objects.filter(pk=call_id).update(last_error=error[:2000], updated_at=timezone.now())
    try:
        receptionist_error_noted(call_id=call_id, error=error)
    except Exception:  # an alert must never cost the call its record
        logger.exception("call id %s: the failure alert could not be raised", call_id)


def call_set_outcome(*, call_id: int, outcome: str) -> None:
    """What the call achieved (booked, transferred, message taken…). The latest outcome wins."""
    Call.objects.filter(pk=call_id).update(outcome=Call.Outcome(outcome), updated_at=timezone.now())


def call_set_language(*, call_id: int, language: str, customer_id: int | None = None) -> None:
    """The language the caller speaks, as detected on the call; it becomes the preferred language of
    the customer the call is for (`customer_id`, else the customer matched to the call). Not from a
    browser test call: a tester speaking as a customer must not change how the customer is greeted."""
    Call.objects.filter(pk=call_id).update(language=language, updated_at=timezone.now())
    call = Call.objects.real().filter(pk=call_id).values("customer_id").first()
    if call is None:  # gone, or a test call
        return
    if customer_id is None:
        customer_id = call["customer_id"]
    if customer_id is not None:
        customer_set_preferred_language(customer_id=customer_id, language=language)


def call_set_recording_consent(*, call_id: int, consent: str) -> None:
    """The call's consent state; an objection stands (a later "disclosed" does not undo it)."""
    Call.objects.filter(pk=call_id).exclude(recording_consent=Call.RecordingConsent.DECLINED).update(
        recording_consent=Call.RecordingConsent(consent), updated_at=timezone.now()
    )


def turn_record(
    *,
    call_id: int,
    role: str,
    text: str,
    started_at: datetime | None = None,
    interrupted: bool = False,
    heard_text: str = "",
    stt_ms: int | None = None,
    llm_first_token_ms: int | None = None,
    tts_first_byte_ms: int | None = None,
    response_ms: int | None = None,
) -> Turn:
    """Append a turn to the call's transcript; `seq` continues from the last turn."""
    with transaction.atomic():
        Call.objects.select_for_update().filter(pk=call_id).values_list("pk").get()
        last = Turn.objects.filter(call_id=call_id).aggregate(last=Max("seq"))["last"] or 0
        return Turn.objects.create(
            call_id=call_id,
            seq=last + 1,
            role=Turn.Role(role),
            text=text,
            started_at=started_at or timezone.now(),
            interrupted=interrupted,
            heard_text=heard_text,
            stt_ms=stt_ms,
            llm_first_token_ms=llm_first_token_ms,
            tts_first_byte_ms=tts_first_byte_ms,
            response_ms=response_ms,
        )


def tool_call_record(
    *,
    call_id: int,
    name: str,
    arguments: dict[str, Any],
    result: Any,
    success: bool,
    duration_ms: int | None = None,
    turn_id: int | None = None,
) -> ToolCall:
    return ToolCall.objects.create(
        call_id=call_id,
        turn_id=turn_id,
        name=name[:64],
        arguments=arguments,
        result=result,
        success=success,
        duration_ms=duration_ms,
    )


def callback_request_create(
    *,
    phone: str,
    name: str = "",
    reason: str = "",
    call_id: int | None = None,
    customer_id: int | None = None,
    urgent: bool = False,
) -> CallbackRequest:
    """Take a message for an advisor. It shows in the admin until someone marks it handled. Urgent
    (listed first) when `urgent` or when the call was marked a safety issue; an urgent one also alerts
    the shop (dealership.core.alerts)."""
    if call_id is not None and not urgent:
        urgent = Call.objects.filter(pk=call_id, urgency=Call.Urgency.SAFETY).exists()
    request = CallbackRequest.objects.create(
        call_id=call_id,
        customer_id=customer_id,
        phone=(try_normalize_phone(phone, region=shop_get().phone_region) or phone.strip())[:20],
        name=name[:200],
        reason=reason,
        urgent=urgent,
    )
    if call_id is not None:
        Call.objects.filter(pk=call_id, outcome="").update(outcome=Call.Outcome.MESSAGE_TAKEN)
    logger.info("callback request %s taken for %s", request.pk, mask_phone(request.phone))
    try:
        alert_callback_request(request)
    except Exception:  # an alert must never cost the caller their message
        logger.exception("callback request %s: the alert could not be raised", request.pk)
    return request


def callback_request_mark_handled(*, request_ids: list[int], user: Any) -> int:
    """Mark messages handled by `user`; returns how many changed (already handled ones are kept)."""
    return CallbackRequest.objects.filter(pk__in=request_ids, handled=False).update(
        handled=True, handled_by=user, handled_at=timezone.now()
    )


def call_mark_urgent(*, call_id: int, reason: str = "") -> bool:
    """The one place a call becomes a safety issue (the caller described a car unsafe to drive): its
    urgency is set to safety, and the messages already left from it become urgent. True when this
    changed the call (a second report on the same call changes nothing)."""
    with transaction.atomic():
        changed = (
            Call.objects.filter(pk=call_id)
            .exclude(urgency=Call.Urgency.SAFETY)
            .update(urgency=Call.Urgency.SAFETY, updated_at=timezone.now())
        )
        CallbackRequest.objects.filter(call_id=call_id, urgent=False).update(urgent=True)
    if changed:
        call = Call.objects.filter(pk=call_id).first()
        logger.warning("call=%s marked urgent: safety (%s)", call.call_sid if call else "?", reason[:100])
        if call is not None:
            try:
                notify_call_urgent(call)  # once per call: the summary's later safety flag adds nothing
            except Exception:  # an alert must never cost the call its urgent flag
                logger.exception("call=%s: the urgent alert could not be raised", call.call_sid)
    return bool(changed)
