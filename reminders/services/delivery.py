"""Delivering one due reminder: claim it, check the rules again, then place the call or send the text.

Exactly-once: a worker owns a reminder only after the conditional UPDATE pending → sending (with a
fresh claim token) changed its row; every later write is guarded by that token. The attempt row is
written (with the reminder row locked) before the provider is asked, so a worker that dies mid-send
leaves evidence: `reminder_release_stale` then returns an untouched reminder to pending, but one whose
call may have gone out to "review" — never dialled again blindly.

Likewise a `calls.create` whose answer was lost (read timeout, reset connection, 5xx) may have placed
the call: its attempt is kept as "unconfirmed". That, and an attempt a killed worker left in flight,
is "in doubt": before any redial (retry, re-timed reminder, Send now) we ask Twilio for calls to that
number since the attempt began. Found: that call is adopted as the attempt's call (no second call).
None: the attempt is marked failed and the customer is dialled. Twilio unreachable: nothing is dialled.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crm.phones import mask_phone
from dealership import metrics
from integrations.errors import ProviderError
from integrations.telephony import (
    CallOutcomeUnknown,
    PlacedCall,
    create_call,
    find_calls,
    send_sms_sync,
    telephony_is_configured,
)
from reminders import policy
from reminders.conf import conf, minutes
from reminders.messages import SMS_SCRIPT_VERSION, reminder_text
from reminders.models import Reminder, ReminderAttempt
from reminders.script import SCRIPT_VERSION
from reminders.selectors import appointment_is_remindable, contact_rules, reminder_facts
from reminders.services.outcome import FINAL, reminder_call_record, reminder_call_status
from reminders.services.plan import Plan, number_allowed, sms_plan
from reminders.services.schedule import reminder_apply_plan
from reminders.services.waiting import TELEPHONY_OFF
from reminders.zones import CustomerZones
from scheduling.models import Appointment
from scheduling.shop import shop_get

logger = logging.getLogger(__name__)

Outcome = ReminderAttempt.Outcome
RETRY_BASE_SECONDS = 60
# Marks (in `detail`) a call attempt whose create got no answer and that has not been checked yet.
UNCONFIRMED = "Unconfirmed: "
# Our clock and Twilio's may disagree a little; a call this much older than the attempt still counts.
CLOCK_SKEW = timedelta(minutes=2)


class DeliveryRetry(Exception):
    """A transient provider failure: the reminder is pending again; try after `retry_in` seconds."""

    def __init__(self, message: str, *, retry_in: int):
        super().__init__(message)
        self.retry_in = retry_in


def reminder_claim(*, reminder_id: int, now: datetime) -> uuid.UUID | None:
    """Take a due reminder for this worker. None when it is not due or another worker has it."""
    token = uuid.uuid4()
    changed = Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.PENDING, due_at__lte=now).update(
        status=Reminder.Status.SENDING, claim_token=token, claimed_at=now, updated_at=timezone.now()
    )
    return token if changed else None


def _owned(reminder_id: int, token: uuid.UUID) -> Any:
    return Reminder.objects.filter(pk=reminder_id, claim_token=token, status=Reminder.Status.SENDING)


def _finish(reminder: Reminder, token: uuid.UUID, **fields: Any) -> bool:
    """Guarded write of the reminder's next state; False when this worker no longer owns it."""
    return bool(_owned(reminder.pk, token).update(**fields, updated_at=timezone.now()))


def _apply(reminder: Reminder, token: uuid.UUID, plan: Plan, *, now: datetime, **extra: Any) -> str:
    names = reminder_apply_plan(reminder, plan, now=now)
    _finish(reminder, token, **{n: getattr(reminder, n) for n in names}, **extra)
    return reminder.status_reason or reminder.status


def _log_refusal(reminder: Reminder, token: uuid.UUID, *, now: datetime, reason: str) -> None:
    ReminderAttempt.objects.create(
        reminder=reminder,
        kind=reminder.channel,
        started_at=now,
        ended_at=now,
        outcome=Outcome.REFUSED,
        detail=reason[:300],
        to_number=reminder.appointment.customer.phone,
        claim_token=token,
    )
    logger.info("reminder %s: %s refused: %s", reminder.pk, reminder.channel, reason)


def _refuse(reminder: Reminder, token: uuid.UUID, *, now: datetime, reason: str, status: str) -> str:
    _log_refusal(reminder, token, now=now, reason=reason)
    _finish(reminder, token, status=status, status_reason=reason[:300], due_at=None, claim_token=None)
    return reason


def _start_attempt(
    reminder: Reminder, token: uuid.UUID, *, now: datetime, version: str, zones: CustomerZones
) -> ReminderAttempt | None:
    """Write the attempt while holding the reminder row, and only if this worker still owns it, so
    `reminder_release_stale` sees either no attempt (nothing sent) or this one (maybe sent)."""
    with transaction.atomic():
        if not _owned(reminder.pk, token).select_for_update().exists():
            return None
        return ReminderAttempt.objects.create(
            reminder=reminder,
            kind=reminder.channel,
            started_at=now,
            outcome=Outcome.SENDING,
            to_number=reminder.appointment.customer.phone,
            claim_token=token,
            script_version=version,
            customer_local_time=policy.local_time_label(now, zones.zones),
        )


def _provider_failed(
    reminder: Reminder, token: uuid.UUID, attempt: ReminderAttempt, exc: ProviderError, *, now: datetime
) -> str:
    """Permanent: give this channel up (a call falls back to a text). Transient: pending again after
    a backoff, and DeliveryRetry, until REMINDER_MAX_PROVIDER_ERRORS in a row."""
    if isinstance(exc, CallOutcomeUnknown):
        attempt.outcome, attempt.detail = Outcome.UNKNOWN, (UNCONFIRMED + exc.message)[:300]
    else:
        attempt.outcome = Outcome.FAILED if exc.permanent else Outcome.PROVIDER_ERROR
        attempt.detail = exc.message[:300]
    attempt.ended_at = now
    attempt.save(update_fields=["outcome", "detail", "ended_at"])
    errors = reminder.provider_errors + 1
    if not exc.permanent and errors < conf("REMINDER_MAX_PROVIDER_ERRORS"):
        logger.warning("reminder %s: transient provider error: %s", reminder.pk, exc)
        _retry_later(reminder, token, exc, errors=errors, now=now, reason="Provider error, trying again")
    if attempt.outcome == Outcome.UNKNOWN:
        # Out of tries, but the call may have gone out: ask Twilio before texting on top of it.
        settled = _reconcile(reminder, token, attempt, now=now)
        if settled is not None:
            return settled
        attempt.refresh_from_db()
    why = f"{attempt.get_kind_display().capitalize()} failed: {exc.message}"
    logger.warning("reminder %s: %s", reminder.pk, why)
    if attempt.kind == ReminderAttempt.Kind.CALL:
        plan = sms_plan(
            customer=reminder.appointment.customer, appointment=reminder.appointment, now=now, why=why
        )
        if plan.channel is not None:
            return _apply(reminder, token, plan, now=now, provider_errors=0)
    _finish(reminder, token, status=Reminder.Status.FAILED, status_reason=why[:300], claim_token=None)
    return why


def _precheck(
    reminder: Reminder, token: uuid.UUID, *, now: datetime
) -> tuple[str | None, CustomerZones | None]:
    """The rules once more, at send time: (why nothing goes out now, or None; the customer's zones)."""
    appointment: Appointment = reminder.appointment
    customer = appointment.customer
    skipped = Reminder.Status.SKIPPED
    if not appointment_is_remindable(appointment, now=now):
        cancelled = appointment.status == Appointment.Status.CANCELLED
        status = Reminder.Status.CANCELLED if cancelled else skipped
        return _refuse(
            reminder, token, now=now, status=status, reason="The appointment is no longer upcoming."
        ), None
    if not customer.phone:
        return _refuse(reminder, token, now=now, status=skipped, reason="No phone number on file."), None
    if not number_allowed(customer.phone):
        reason = "The number is not in OUTBOUND_CALL_ALLOWLIST."
        return _refuse(reminder, token, now=now, status=skipped, reason=reason), None
    if reminder.channel == Reminder.Channel.CALL and not customer.calls_allowed:
        why = "The customer opted out of calls."
        _log_refusal(reminder, token, now=now, reason=why)
        return _apply(
            reminder, token, sms_plan(customer=customer, appointment=appointment, now=now, why=why), now=now
        ), None
    if reminder.channel == Reminder.Channel.SMS and not customer.sms_allowed:
        return _refuse(
            reminder, token, now=now, status=skipped, reason="The customer opted out of texts."
        ), None
    if not telephony_is_configured():
        # Held, not failed: it keeps its due time and goes out once telephony is configured (if still
        # in time: these checks run again then). Nothing was attempted, so no attempt row.
        _finish(
            reminder, token, status=Reminder.Status.WAITING, status_reason=TELEPHONY_OFF, claim_token=None
        )
        return TELEPHONY_OFF, None
    rules, zones = contact_rules(
        customer=customer, shop=shop_get(), channel=reminder.channel, now=now, until=appointment.start
    )
    if policy.is_allowed(rules, now):
        return None, zones
    lead = minutes("REMINDER_MIN_LEAD_MINUTES")
    if reminder.channel == Reminder.Channel.CALL:
        # Never forward onto the appointment day (a holiday added since it was timed, say).
        timing = policy.moved_reminder_time(
            rules, due=reminder.due_at or now, appointment_start=appointment.start, now=now, min_lead=lead
        )
        later, why = timing.at, timing.reason
    else:
        later = policy.first_allowed(rules, after=now, before=appointment.start - lead)
        why = "No allowed time is left before the appointment."
    if later is not None:
        why = "Outside the customer's window; moved to the next allowed time."
        _finish(
            reminder, token, status=Reminder.Status.PENDING, due_at=later, claim_token=None, status_reason=why
        )
        return why, None
    plan = (
        sms_plan(customer=customer, appointment=appointment, now=now, why=why)
        if reminder.channel == Reminder.Channel.CALL
        else Plan(None, None, why)
    )
    return _apply(reminder, token, plan, now=now), None


def reminder_deliver(*, reminder_id: int, now: datetime | None = None) -> str:
    """Send one due reminder if this worker can claim it. Returns what happened, for logs.

    Raises DeliveryRetry after a transient provider failure (the reminder is pending again)."""
    now = now or timezone.now()
    token = reminder_claim(reminder_id=reminder_id, now=now)
    if token is None:
        return "not due, or taken by another worker"
    reminder = Reminder.objects.select_related("appointment__customer", "appointment__service_type").get(
        pk=reminder_id
    )
    refusal, zones = _precheck(reminder, token, now=now)
    if refusal is not None:
        return refusal
    if reminder.channel == Reminder.Channel.CALL:
        return _place_call(reminder, token, zones, now=now)
    return _send_text(reminder, token, zones, now=now)


def _callback_urls(appointment_id: int, attempt_id: int) -> tuple[str, str, str | None]:
    base = settings.PUBLIC_BASE_URL
    query = f"?attempt={attempt_id}"
    answer = base + reverse("reminders:reminder_answer", args=[appointment_id]) + query
    status = base + reverse("reminders:reminder_status", args=[appointment_id]) + query
    amd = (
        base + reverse("reminders:reminder_amd", args=[appointment_id]) + query
        if conf("REMINDER_ASYNC_AMD")
        else None
    )
    return answer, status, amd


# A call attempt that may have rung the customer without our knowing: its create got no answer
# (UNCONFIRMED), or a worker stopped while dialling (left "sending", then marked unknown as stale)
# before any call SID was stored.
CALL_IN_DOUBT = Q(detail__startswith=UNCONFIRMED) | Q(
    outcome__in=(Outcome.UNKNOWN, Outcome.SENDING), provider_sid=""
)


def _attempts_in_doubt(reminder: Reminder) -> list[ReminderAttempt]:
    attempts = ReminderAttempt.objects.filter(
        CALL_IN_DOUBT, reminder=reminder, kind=ReminderAttempt.Kind.CALL
    )
    return list(attempts.order_by("started_at", "pk"))


def _retry_later(
    reminder: Reminder, token: uuid.UUID, exc: ProviderError, *, errors: int, now: datetime, reason: str
) -> NoReturn:
    """Put the reminder back for another try after an exponential back-off; raises DeliveryRetry."""
    retry_in = RETRY_BASE_SECONDS * 2 ** (errors - 1)
    _finish(
        reminder,
        token,
        status=Reminder.Status.PENDING,
        due_at=now + timedelta(seconds=retry_in),
        provider_errors=errors,
        claim_token=None,
        status_reason=f"{reason}: {exc.message}"[:300],
    )
    logger.info("reminder %s: next try in %ss", reminder.pk, retry_in)
    raise DeliveryRetry(exc.message, retry_in=retry_in)


def _check_failed(reminder: Reminder, token: uuid.UUID, exc: ProviderError, *, now: datetime) -> str:
    """Twilio could not be asked whether the unconfirmed call exists: still no redial. Try again
    later; after REMINDER_MAX_PROVIDER_ERRORS a person decides (review)."""
    errors = reminder.provider_errors + 1
    if errors < conf("REMINDER_MAX_PROVIDER_ERRORS"):
        logger.warning("reminder %s: could not check the unconfirmed call", reminder.pk)
        reason = "Checking with Twilio whether the last call went out failed"
        _retry_later(reminder, token, exc, errors=errors, now=now, reason=reason)
    why = "Twilio never confirmed the last call and could not be asked. Check, then use Send now if needed."
    _finish(reminder, token, status=Reminder.Status.REVIEW, status_reason=why, provider_errors=errors)
    return why


def _adopt(
    reminder: Reminder, token: uuid.UUID, attempt: ReminderAttempt, placed: PlacedCall, *, now: datetime
) -> str:
    """The unconfirmed attempt did place `placed`: make it this attempt's call, owned by this claim
    (so its callbacks drive the reminder), and replay a final status Twilio already reached."""
    detail = "Twilio placed the call although its answer to us was lost; adopted, not redialled."
    _record_placed(
        reminder,
        token,
        attempt,
        placed.sid,
        pending=(Outcome.UNKNOWN, Outcome.SENDING),
        claim_token=token,
        detail=detail,
    )
    logger.info("call=%s reminder %s: unconfirmed call found at Twilio, adopted", placed.sid, reminder.pk)
    # The call may have ended before we adopted it, its final callback then ignored (it was not
    # ours yet): apply that status now. Otherwise the coming callbacks take the reminder on.
    attempt.refresh_from_db()
    status = placed.status if placed.status in FINAL else ""
    if not status:
        status = next((s for s, o in FINAL.items() if o == attempt.outcome), "")
    if status:
        reminder_call_status(
            attempt_id=attempt.pk,
            call_sid=placed.sid,
            twilio_status=status,
            answered_by=placed.answered_by,
            now=now,
        )
    return f"call adopted {placed.sid}"


def _record_placed(
    reminder: Reminder,
    token: uuid.UUID,
    attempt: ReminderAttempt,
    sid: str,
    *,
    pending: tuple[str, ...],
    **attempt_fields: Any,
) -> None:
    """Link the placed call `sid` to its attempt and count it; the reminder is now calling."""
    with transaction.atomic():
        _lock_reminder(reminder.pk)
        call = reminder_call_record(attempt, sid)
        ReminderAttempt.objects.filter(pk=attempt.pk).update(provider_sid=sid, call=call, **attempt_fields)
        # A very quick status callback may already have recorded how the call ended: keep that.
        ReminderAttempt.objects.filter(pk=attempt.pk, outcome__in=pending).update(outcome=Outcome.PLACED)
        _finish(
            reminder,
            token,
            status=Reminder.Status.CALLING,
            calls_placed=reminder.calls_placed + 1,
            provider_errors=0,
            status_reason="",
        )


def _lock_reminder(reminder_id: int) -> None:
    """Lock the reminder row before touching its attempt, the order status callbacks lock them in
    (reminders.services.outcome), so a callback arriving meanwhile waits instead of deadlocking."""
    list(Reminder.objects.select_for_update().filter(pk=reminder_id).values_list("pk", flat=True))


def _rival_unconfirmed(attempt: ReminderAttempt, number: str) -> Any:
    return ReminderAttempt.objects.exclude(reminder_id=attempt.reminder_id).filter(
        CALL_IN_DOUBT,
        kind=ReminderAttempt.Kind.CALL,
        to_number=number,
        provider_sid="",
        started_at__gte=attempt.started_at - CLOCK_SKEW,
        started_at__lte=attempt.started_at + CLOCK_SKEW,
    )


def _reconcile(
    reminder: Reminder, token: uuid.UUID, attempt: ReminderAttempt, *, now: datetime
) -> str | None:
    """Settle an unconfirmed attempt before any redial. Returns what happened when the call had gone
    out (adopted) or Twilio could not be asked; None when no call exists and dialling is right."""
    number = attempt.to_number or reminder.appointment.customer.phone
    try:
        listed = find_calls(number, created_after=attempt.started_at - CLOCK_SKEW)
    except ProviderError as exc:
        return _check_failed(reminder, token, exc, now=now)
    known = attempt.provider_sid
    if not known and listed and _rival_unconfirmed(attempt, number).exists():
        # Another reminder's call to this number went unconfirmed in the same window: a listed call
        # could be either one's. Guessing could leave one reminder undialled and dial the other twice.
        why = (
            "Twilio did not confirm this call, and another reminder's call to the same number was "
            "unconfirmed at the same time. Check the calls in Twilio, then use Send now if needed."
        )
        _finish(reminder, token, status=Reminder.Status.REVIEW, status_reason=why)
        return why
    # A status callback may already have told us the SID; otherwise the oldest listed call that no
    # other attempt (e.g. another appointment's reminder) owns.
    owned = set(
        ReminderAttempt.objects.exclude(pk=attempt.pk)
        .filter(provider_sid__in=[c.sid for c in listed])
        .values_list("provider_sid", flat=True)
    )
    if known:
        placed = next((c for c in listed if c.sid == known), PlacedCall(known, "", None))
    else:
        placed = next((c for c in listed if c.sid not in owned), None)
    if placed is not None:
        return _adopt(reminder, token, attempt, placed, now=now)
    ReminderAttempt.objects.filter(pk=attempt.pk).update(
        outcome=Outcome.PROVIDER_ERROR,
        detail=("Twilio has no such call: " + attempt.detail.removeprefix(UNCONFIRMED))[:300],
    )
    logger.info("reminder %s: unconfirmed call was never placed; dialling", reminder.pk)
    return None


def _place_call(reminder: Reminder, token: uuid.UUID, zones: CustomerZones, *, now: datetime) -> str:
    customer = reminder.appointment.customer
    if not settings.PUBLIC_BASE_URL:
        why = "PUBLIC_BASE_URL is not set, so Twilio could not fetch the call's script."
        plan = sms_plan(customer=customer, appointment=reminder.appointment, now=now, why=why)
        return _apply(reminder, token, plan, now=now)
    # Every attempt that may have rung the customer is settled with Twilio before this one dials,
    # whatever brought the reminder back (a retry, a moved appointment, an advisor's Send now).
    for in_doubt in _attempts_in_doubt(reminder):
        settled = _reconcile(reminder, token, in_doubt, now=now)
        if settled is not None:
            return settled
    attempt = _start_attempt(reminder, token, now=now, version=SCRIPT_VERSION, zones=zones)
    if attempt is None:
        return "claim lost before dialling"
    answer, status, amd = _callback_urls(reminder.appointment_id, attempt.pk)
    try:
        sid = create_call(
            customer.phone,
            answer,
            status,
            machine_detection="DetectMessageEnd",
            async_amd_status_callback=amd,
        )
    except ProviderError as exc:
        metrics.REMINDER_DELIVERIES.labels(channel="call", result="failed").inc()
        return _provider_failed(reminder, token, attempt, exc, now=now)
    metrics.REMINDER_DELIVERIES.labels(channel="call", result="placed").inc()
    _record_placed(reminder, token, attempt, sid, pending=(Outcome.SENDING,))
    logger.info("call=%s reminder %s: calling %s", sid, reminder.pk, mask_phone(customer.phone))
    return f"call placed {sid}"


def _send_text(reminder: Reminder, token: uuid.UUID, zones: CustomerZones, *, now: datetime) -> str:
    customer = reminder.appointment.customer
    facts = reminder_facts(appointment_id=reminder.appointment_id)
    attempt = _start_attempt(reminder, token, now=now, version=SMS_SCRIPT_VERSION, zones=zones)
    if attempt is None or facts is None:
        return "claim lost before texting"
    try:
        sid = send_sms_sync(customer.phone, reminder_text(facts))
    except ProviderError as exc:
        metrics.REMINDER_DELIVERIES.labels(channel="sms", result="failed").inc()
        return _provider_failed(reminder, token, attempt, exc, now=now)
    metrics.REMINDER_DELIVERIES.labels(channel="sms", result="sent").inc()
    ReminderAttempt.objects.filter(pk=attempt.pk).update(
        provider_sid=sid, outcome=Outcome.SMS_SENT, ended_at=now
    )
    _finish(
        reminder,
        token,
        status=Reminder.Status.DELIVERED,
        delivered_at=now,
        provider_errors=0,
        claim_token=None,
        status_reason="Reminder text sent.",
    )
    logger.info("reminder %s: text %s sent to %s", reminder.pk, sid, mask_phone(customer.phone))
    return f"text sent {sid}"
