"""Telling the shop's people when it matters: an urgent or safety callback, a safety call, the
receptionist failing. Each incident is raised once (its key; a window for recurring ones), held through
the shop's quiet hours, and delivered by a Celery task (never on the call's path).

Entry points: `alert_callback_request(request)`, `notify_call_urgent(call)`, `receptionist_error_noted(
call_id=…, error=…)`, and from crm.verification_attempts `alert_verification_paused(…)`,
`alert_verification_caller_stopped(…)` and `alert_verification_hidden_stopped(…)`. Delivery is in
dealership.core.alerts.delivery.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone

from dealership.core.display import shop_when
from dealership.core.models import Alert
from dealership.core.queue import task_enqueue
from scheduling.agenda import shop_today
from scheduling.shop import shop_get

if TYPE_CHECKING:
    from voice.models import Call, CallbackRequest

logger = logging.getLogger(__name__)

# A recurring incident (the receptionist failing) is told again at most once per this window.
FAILING_WINDOW = timedelta(hours=1)
# "Errors on several calls in a row": this many of the latest real calls all ended with an error.
FAILING_CALLS_IN_A_ROW = 3

_KEY_REJECTED = re.compile(
    r"\b401\b|\b403\b|unauthori[sz]ed|invalid[_ ]api[_ ]key|incorrect api key|authenticat|"
    r"not configured|credentials",
    re.IGNORECASE,
)
_QUOTA = re.compile(
    r"insufficient_quota|quota|billing|credit balance|payment required|\b402\b", re.IGNORECASE
)


def admin_link(name: str, *args: object) -> str:
    """The admin page `name` as a link someone can open from a text or an email."""
    path = reverse(name, args=args)
    return (settings.PUBLIC_BASE_URL or "").rstrip("/") + path


def send_after(now: datetime) -> datetime:
    """`now`, or the end of the shop's quiet hours when `now` falls inside them (shop time zone;
    a window such as 21:00–07:00 runs over midnight)."""
    shop = shop_get()
    start, end = shop.alert_quiet_start, shop.alert_quiet_end
    if start is None or end is None or start == end:
        return now
    local = now.astimezone(shop.zone)
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return now
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end if isinstance(end, time) else time(7), tzinfo=shop.zone)


def alert_raise(*, kind: str, key: str, subject: str, body: str, link: str = "") -> Alert | None:
    """Record an incident and queue its delivery after the current transaction commits. None when this
    incident (`key`) was already raised, or no one is set up to hear about it."""
    now = timezone.now()
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=Alert.Kind(kind),
                key=key[:120],
                subject=subject[:200],
                body=body,
                link=link[:300],
                send_after=send_after(now),
            )
    except IntegrityError:
        logger.info("alert %s: already raised", key)
        return None
    logger.info("alert %s raised (%s), to be sent from %s", key, kind, alert.send_after.isoformat())
    if alert.send_after <= now:
        transaction.on_commit(lambda: _publisher.submit(_publish, alert.pk))
    return alert


# --- the triggers ---------------------------------------------------------------------------------------


def alert_callback_request(request: CallbackRequest) -> Alert | None:
    """An urgent message, or one taken on a safety call: one alert per call (or per message)."""
    from voice.models import Call

    call = request.call
    safety = call is not None and call.urgency == Call.Urgency.SAFETY
    if not (request.urgent or safety):
        return None
    if call is not None and call.is_test:
        return None
    who = request.name or (request.customer.name if request.customer else "") or "A caller"
    what = "Safety issue" if safety else "Urgent callback"
    return alert_raise(
        kind=Alert.Kind.SAFETY_CALL if safety else Alert.Kind.URGENT_CALLBACK,
        key=f"call:{call.pk}:urgent" if call is not None else f"callback:{request.pk}",
        subject=f"{what}: {who} asked to be called back",
        body=f"{who} left a message: {request.reason[:300] or '(no message)'}",
        link=admin_link("admin:voice_callbackrequest_change", request.pk),
    )


def notify_call_urgent(call: Call) -> Alert | None:
    """A call marked safety-urgent (live, by the caller's words, or by its summary): one alert per call."""
    if call.is_test:
        return None
    reason = call.reason_for_calling or call.summary or "The caller reported an unsafe vehicle."
    return alert_raise(
        kind=Alert.Kind.SAFETY_CALL,
        key=f"call:{call.pk}:urgent",
        subject="Safety issue on a call",
        body=f"{reason[:300]} Please call them back.",
        link=admin_link("admin:voice_call_change", call.pk),
    )


def receptionist_error_noted(*, call_id: int, error: str) -> Alert | None:
    """An error was recorded on a call: a rejected key or exhausted quota is told at once; otherwise
    only when the latest calls all failed. Once per kind of failure per FAILING_WINDOW."""
    from voice.models import Call

    if Call.objects.test().filter(pk=call_id).exists():
        return None  # a test call's failure is shown on the test page; it alerts no one
    if _KEY_REJECTED.search(error):
        why, what = "key", "A provider rejected our key (or it is missing)"
    elif _QUOTA.search(error):
        why, what = "quota", "A provider's quota or credit is exhausted"
    else:
        latest = list(
            Call.objects.real()
            .order_by("-created_at", "-pk")
            .values_list("last_error", flat=True)[:FAILING_CALLS_IN_A_ROW]
        )
        if len(latest) < FAILING_CALLS_IN_A_ROW or not all(latest):
            return None
        why, what = "errors", f"The last {FAILING_CALLS_IN_A_ROW} calls all had errors"
    window = int(timezone.now().timestamp() // FAILING_WINDOW.total_seconds())
    return alert_raise(
        kind=Alert.Kind.RECEPTIONIST_FAILING,
        key=f"receptionist_failing:{why}:{window}",
        subject=f"The AI receptionist is failing: {what.lower()}",
        body=f"{what}. Latest error: {error[:300]}",
        link=admin_link("admin:voice_call_change", call_id),
    )


def alert_verification_paused(
    *, customer_id: int, misses: int, until: datetime | None, last_caller_digits: str | None
) -> Alert | None:
    """A customer's identity checks failed MAX_FAILED_PER_CUSTOMER times from several numbers, so the
    receptionist stopped verifying anyone as them: someone may be trying to get into the account. Once per
    pause (`until` names it). `last_caller_digits`: the last four digits of the number whose miss paused
    it (None: a hidden number); never a whole number in an alert."""
    from crm.models import Customer

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    when = shop_when(until) if until is not None else "24 hours after the first miss"
    started = int((until or timezone.now()).timestamp())
    last = f"the last ending {last_caller_digits[-4:]}" if last_caller_digits else "the last one hidden"
    return alert_raise(
        kind=Alert.Kind.VERIFICATION_PAUSED,
        key=f"verification_paused:customer:{customer_id}:{started}",
        subject=f"Identity checks paused for {customer.name}",
        body=(
            f"{misses} failed identity checks from many numbers ({last}): someone may be trying to get "
            f"in. Until {when} only their own number gets through. If it was them, lift the pause on "
            "their page; it frees the numbers that failed on them too."
        ),
        link=admin_link("admin:crm_customer_change", customer_id),
    )


def alert_verification_caller_stopped(*, caller_tag: str, caller_digits: str, misses: int) -> Alert | None:
    """One calling number failed identity checks across several customers MAX_FAILED_PER_CALLER times: it
    may be working through the shop's customers. Once a day per number (`caller_tag`, a keyed hash);
    `caller_digits`: its last four digits, all an alert ever shows of it."""
    digits = caller_digits[-4:]
    day = shop_today().isoformat()  # the shop's day, not UTC's
    return alert_raise(
        kind=Alert.Kind.CALLER_GUESSING,
        key=f"caller_guessing:{caller_tag[:24]}:{day}",
        subject=f"A number ending {digits} is guessing customers' details",
        body=(
            f"A caller on a number ending {digits} failed {misses} identity checks today across "
            "several customers. The receptionist no longer verifies anyone on that number for 24 hours; "
            "nobody's account is paused. Their calls are in the call list."
        ),
        link=admin_link("admin:voice_call_changelist"),
    )


def alert_verification_hidden_stopped(*, misses: int) -> Alert | None:
    """Callers on hidden numbers (one shared bucket) failed MAX_FAILED_WITHHELD identity checks within the
    hour: no one on a hidden number is verified until it clears, honest callers included. Once a day."""
    day = shop_today().isoformat()  # the shop's day, not UTC's
    return alert_raise(
        kind=Alert.Kind.CALLER_GUESSING,
        key=f"caller_guessing:withheld:{day}",
        subject="Callers on hidden numbers can't verify",
        body=(
            f"Callers on hidden numbers failed {misses} identity checks within the hour, so the receptionist "
            "verifies no one on a hidden number until the hour is over (callers on their own number are "
            "not affected). If it was a customer, clear it on this page."
        ),
        link=admin_link("admin:crm_customer_lift_hidden_numbers"),
    )


# --- queueing -------------------------------------------------------------------------------------------

# Published on this thread: the live calls' database thread raises alerts, and must not wait out a
# broker timeout while Redis is down (beat's alerts_send_due sends whatever was not queued).
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-publish")


def _publish(alert_id: int) -> None:
    from dealership.core.alerts.tasks import alert_send_task

    try:
        task_enqueue(alert_send_task, alert_id)
    except Exception:
        logger.exception("alert %s: delivery task failed", alert_id)
    finally:
        connections.close_all()
