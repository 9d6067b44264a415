"""What Twilio tells us about a reminder call: answered (by whom), machine detected, final status.

Each callback URL carries `?attempt=<id>`, so the attempt is found even when the worker that placed
the call died before storing the call SID. A callback changes the reminder only while the attempt's
claim token is still the reminder's (a moved appointment's fresh reminder is never overwritten).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.errors import ProviderError
from integrations.telephony import TelephonyClient
from reminders import script as reminder_script
from reminders.models import Reminder, ReminderAttempt
from reminders.selectors import appointment_is_remindable, reminder_facts
from reminders.services.plan import after_unanswered_plan
from reminders.services.queue import reminder_queue_delivery_on_commit
from reminders.services.schedule import reminder_apply_plan
from scheduling.shop import shop_get
from voice import twiml
from voice.agent.language import language_or_default
from voice.models import Call, WebhookReceipt
from voice.receipts import webhook_receipt_record
from voice.services import call_record_status

logger = logging.getLogger(__name__)

Outcome = ReminderAttempt.Outcome
MACHINE = frozenset({"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"})
# Twilio CallStatus → attempt outcome, for the final statuses.
FINAL: dict[str, str] = {
    "completed": Outcome.COMPLETED,
    "busy": Outcome.BUSY,
    "no-answer": Outcome.NO_ANSWER,
    "failed": Outcome.FAILED,
    "canceled": Outcome.CANCELED,
}
LIVE_STATUSES = (Reminder.Status.SENDING, Reminder.Status.CALLING, Reminder.Status.REVIEW)


@dataclass(frozen=True)
class Answer:
    """How to answer a picked-up reminder call: "voicemail", "conversation" or "nothing_to_say"."""

    kind: str
    text: str = ""
    call: Call | None = None
    language: str = "en"  # of `text` (the customer's preferred language)


def _attempt(attempt_id: int | None, call_sid: str) -> ReminderAttempt | None:
    attempts = ReminderAttempt.objects.select_related("reminder__appointment__customer")
    if attempt_id is not None:
        attempt = attempts.filter(pk=attempt_id, kind=ReminderAttempt.Kind.CALL).first()
        if attempt is not None and attempt.provider_sid in ("", call_sid):
            return attempt
        return None
    return (
        attempts.filter(provider_sid=call_sid, kind=ReminderAttempt.Kind.CALL).first() if call_sid else None
    )


def reminder_call_record(attempt: ReminderAttempt, call_sid: str) -> Call:
    """The outbound call record of `call_sid` for this attempt (created if nobody stored it yet)."""
    customer = attempt.reminder.appointment.customer
    call, _ = Call.objects.get_or_create(
        call_sid=call_sid,
        defaults={
            "direction": Call.Direction.OUTBOUND,
            "from_number": settings.TWILIO_PHONE_NUMBER,
            "to_number": attempt.to_number or customer.phone,
            "customer": customer,
            "engine": settings.VOICE_ENGINE[:20],
        },
    )
    return call


def _call_for(attempt: ReminderAttempt, call_sid: str) -> Call:
    """The call record (created here if the worker has not stored it yet) linked to the attempt."""
    call = reminder_call_record(attempt, call_sid)
    if attempt.call_id is None or not attempt.provider_sid:
        ReminderAttempt.objects.filter(pk=attempt.pk).update(call=call, provider_sid=call_sid)
    return call


def reminder_call_answered(
    *, appointment_id: int, attempt_id: int | None, call_sid: str, answered_by: str = ""
) -> Answer | None:
    """Twilio asks what to do with an answered reminder call. None: not one of our reminder calls.

    A machine gets the voicemail; a person (or an unknown / not yet known answerer, as with
    asynchronous machine detection) gets the live agent; a call whose appointment is no longer
    upcoming gets a short apology.
    """
    attempt = _attempt(attempt_id, call_sid)
    if attempt is None or attempt.reminder.appointment_id != appointment_id:
        return None
    with transaction.atomic():
        call = _call_for(attempt, call_sid)
        updates: dict[str, str] = {}
        if answered_by:
            updates["answered_by"] = answered_by[:30]
            updates["outcome"] = Outcome.VOICEMAIL if answered_by in MACHINE else Outcome.HUMAN
            Call.objects.filter(pk=call.pk).update(answered_by=answered_by[:30])
        if updates:
            ReminderAttempt.objects.filter(pk=attempt.pk).update(**updates)
    appointment = attempt.reminder.appointment
    facts = reminder_facts(appointment_id=appointment_id)
    if facts is None or not appointment_is_remindable(appointment, now=timezone.now()):
        language = language_or_default(appointment.customer.preferred_language)
        text = reminder_script.no_longer_needed(shop_get().name, language)
        return Answer("nothing_to_say", text, call, language)
    if answered_by in MACHINE:
        Call.objects.filter(pk=call.pk).update(outcome=Call.Outcome.INFORMATION)
        logger.info("call=%s reminder answered by %s: leaving a voicemail", call_sid, answered_by)
        return Answer("voicemail", reminder_script.voicemail(facts), call, facts.language)
    logger.info("call=%s reminder answered by %s: live agent", call_sid, answered_by or "(not yet known)")
    return Answer("conversation", reminder_script.opening(facts), call, facts.language)


async def _leave_voicemail(call_sid: str, document: str) -> None:
    async with TelephonyClient(timeout=5) as phone:
        await phone.update_call_twiml(call_sid, document)


def reminder_machine_detected(*, attempt_id: int | None, call_sid: str, answered_by: str) -> bool:
    """Asynchronous AMD result. For a machine whose message ended, replace the live conversation
    with the voicemail (Twilio plays it after the beep). Returns True when a voicemail was left.
    A result already handled (a replay) changes nothing and leaves no second voicemail."""
    attempt = _attempt(attempt_id, call_sid)
    if attempt is None or not answered_by:
        return False
    machine = answered_by in MACHINE
    with transaction.atomic():
        key = f"{call_sid}:{answered_by[:30]}"
        if not webhook_receipt_record(kind=WebhookReceipt.Kind.MACHINE_DETECTION, key=key):
            logger.info("call=%s machine detection already handled; replay ignored", call_sid)
            return False
        ReminderAttempt.objects.filter(pk=attempt.pk).update(
            answered_by=answered_by[:30], outcome=Outcome.VOICEMAIL if machine else Outcome.HUMAN
        )
        Call.objects.filter(call_sid=call_sid).update(answered_by=answered_by[:30])
    # machine_start (AMD "Enable" mode) answers before the greeting ends: speaking then would be lost.
    if not machine or answered_by == "machine_start":
        return False
    facts = reminder_facts(appointment_id=attempt.reminder.appointment_id)
    if facts is None:
        return False
    try:
        async_to_sync(_leave_voicemail)(
            call_sid, twiml.say_and_hangup(reminder_script.voicemail(facts), facts.language)
        )
    except ProviderError as exc:
        logger.warning("call=%s voicemail could not be left: %s", call_sid, exc.message)
        ReminderAttempt.objects.filter(pk=attempt.pk).update(
            detail=f"Voicemail not left: {exc.message}"[:300]
        )
        return False
    Call.objects.filter(call_sid=call_sid).update(outcome=Call.Outcome.INFORMATION)
    logger.info("call=%s answered by %s: voicemail left", call_sid, answered_by)
    return True


def reminder_status_callback(
    *,
    attempt_id: int | None,
    call_sid: str,
    twilio_status: str,
    answered_by: str = "",
    duration_seconds: int | None = None,
) -> Reminder | None:
    """Twilio's status callback of a reminder call, acted on once per CallSid and status: a replay
    moves nothing back and queues nothing again (see `reminder_call_status`)."""
    with transaction.atomic():
        key = f"{call_sid}:{twilio_status[:30]}"
        if not webhook_receipt_record(kind=WebhookReceipt.Kind.REMINDER_STATUS, key=key):
            logger.info("call=%s reminder status %s already handled; replay ignored", call_sid, key)
            return None
        return reminder_call_status(
            attempt_id=attempt_id,
            call_sid=call_sid,
            twilio_status=twilio_status,
            answered_by=answered_by,
            duration_seconds=duration_seconds,
        )


def reminder_call_status(
    *,
    attempt_id: int | None,
    call_sid: str,
    twilio_status: str,
    answered_by: str = "",
    duration_seconds: int | None = None,
    now: datetime | None = None,
) -> Reminder | None:
    """A status callback of a reminder call: update the call record and the attempt, then take the
    next step — delivered when answered; one retry after no answer or busy, then a text; a text
    after a failure. Returns the reminder, or None for a callback that is not a final status of one
    of our reminder calls."""
    now = now or timezone.now()
    call_record_status(
        call_sid=call_sid,
        twilio_status=twilio_status,
        duration_seconds=duration_seconds,
        answered_by=answered_by,
    )
    outcome = FINAL.get(twilio_status)
    attempt = _attempt(attempt_id, call_sid)
    if attempt is None or outcome is None:
        return None
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("appointment__customer")
            .get(pk=attempt.reminder_id)
        )
        attempt.refresh_from_db()
        # A worker that died after dialling never counted its call: Twilio calling back proves it.
        uncounted = attempt.outcome in (Outcome.SENDING, Outcome.UNKNOWN)
        if outcome != Outcome.COMPLETED or attempt.outcome in (
            Outcome.SENDING,
            Outcome.PLACED,
            Outcome.UNKNOWN,
        ):
            attempt.outcome = outcome
        attempt.answered_by = answered_by[:30] or attempt.answered_by
        attempt.provider_sid = attempt.provider_sid or call_sid
        attempt.ended_at = now
        attempt.save(update_fields=["outcome", "answered_by", "provider_sid", "ended_at"])
        if reminder.claim_token != attempt.claim_token or reminder.status not in LIVE_STATUSES:
            return reminder
        reminder.calls_placed += int(uncounted)
        if outcome == Outcome.COMPLETED:
            reminder.status, reminder.delivered_at = Reminder.Status.DELIVERED, now
            reminder.status_reason = attempt.get_outcome_display().capitalize()
            reminder.claim_token = None
            fields = ["status", "delivered_at", "status_reason", "claim_token"]
        else:
            plan = after_unanswered_plan(reminder=reminder, now=now, outcome=outcome)
            fields = reminder_apply_plan(reminder, plan, now=now)
            if reminder.status == Reminder.Status.PENDING and reminder.due_at <= now:
                reminder_queue_delivery_on_commit(reminder.pk)
        reminder.save(update_fields=[*fields, "calls_placed", "updated_at"])
    logger.info("call=%s reminder %s: %s → %s", call_sid, reminder.pk, twilio_status, reminder.status)
    return reminder
