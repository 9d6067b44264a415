"""Opt-outs and opt-ins with evidence (when, how, which call or message), applied at once.

domain.md: "Opt-out by any reasonable means … Apply immediately across calls and texts; keep evidence".
With REMINDER_OPT_OUT_ALL_CHANNELS (default True) any opt-out covers calls and texts together.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm.models import Customer
from crm.phones import mask_phone
from crm.services import customer_opt_in, customer_opt_out
from dealership.core.errors import ApplicationError
from reminders.conf import conf
from reminders.models import ConsentEvent, Reminder

logger = logging.getLogger(__name__)

Scope = ConsentEvent.Scope
_CHANNELS: dict[str, tuple[str, ...]] = {
    Scope.CALLS: ("calls",),
    Scope.SMS: ("sms",),
    Scope.ALL: ("calls", "sms"),
}
_OPEN = (Reminder.Status.PENDING, Reminder.Status.REVIEW)


def _scope(channel: str) -> str:
    if channel not in _CHANNELS:
        raise ApplicationError(f"Unknown contact channel '{channel}'; use 'calls', 'sms' or 'all'.")
    return channel


def _skip_open_reminders(customer: Customer, reason: str) -> None:
    """Reminders that can no longer go out say so at once in the admin (sending re-checks anyway)."""
    if customer.calls_allowed or customer.sms_allowed:
        return
    Reminder.objects.filter(appointment__customer=customer, status__in=_OPEN).update(
        status=Reminder.Status.SKIPPED, status_reason=reason[:300], due_at=None, updated_at=timezone.now()
    )


def opt_out_record(
    *,
    customer: Customer | None,
    channel: str,
    source: str,
    call_id: int | None = None,
    phone: str = "",
    detail: str = "",
    message_sid: str = "",
    at: datetime | None = None,
    apply: bool = True,
) -> ConsentEvent:
    """Record that `customer` (or, for an unknown number, `phone`) asked not to be contacted.

    `channel` is what they asked to stop: "calls", "sms" or "all" (widened to "all" when
    REMINDER_OPT_OUT_ALL_CHANNELS is on). `source` says how: "voice_keypad", "voice_phrase",
    "sms_keyword", "admin"… `call_id` is the call it happened on. Takes effect before returning;
    `apply=False` keeps the evidence only (an opt-out that reached us after a later opt-in).
    """
    scope = _scope(channel)
    if conf("REMINDER_OPT_OUT_ALL_CHANNELS"):
        scope = Scope.ALL
    at = at or timezone.now()
    number = phone or (customer.phone if customer else "")
    with transaction.atomic():
        if customer is not None and apply:
            for name in _CHANNELS[scope]:
                customer_opt_out(customer=customer, channel=name, at=at)  # type: ignore[arg-type]
            _skip_open_reminders(customer, f"The customer opted out ({source}).")
        event = ConsentEvent.objects.create(
            customer=customer,
            phone=number[:20],
            action=ConsentEvent.Action.OPT_OUT,
            scope=scope,
            source=source[:30],
            detail=detail[:200],
            call_id=call_id,
            message_sid=message_sid[:64],
            at=at,
        )
    logger.info(
        "opt-out of %s via %s for customer %s (%s)%s",
        scope,
        source,
        customer.pk if customer else "unknown",
        mask_phone(number),
        f" on call {call_id}" if call_id else "",
    )
    return event


def opt_in_record(
    *,
    customer: Customer | None,
    channel: str,
    source: str,
    phone: str = "",
    detail: str = "",
    message_sid: str = "",
    at: datetime | None = None,
) -> ConsentEvent:
    """Record that `customer` (or `phone`) asked to be contacted again on `channel`."""
    scope = _scope(channel)
    at = at or timezone.now()
    number = phone or (customer.phone if customer else "")
    with transaction.atomic():
        if customer is not None:
            for name in _CHANNELS[scope]:
                customer_opt_in(customer=customer, channel=name, at=at)  # type: ignore[arg-type]
        event = ConsentEvent.objects.create(
            customer=customer,
            phone=number[:20],
            action=ConsentEvent.Action.OPT_IN,
            scope=scope,
            source=source[:30],
            detail=detail[:200],
            message_sid=message_sid[:64],
            at=at,
        )
    logger.info("opt-in to %s via %s for %s", scope, source, mask_phone(number))
    return event


def calls_opt_out_came_from_text(customer: Customer) -> bool:
    """Whether the customer's current call opt-out was made by a text keyword (so START may undo it)."""
    latest = (
        ConsentEvent.objects.filter(
            customer=customer, action=ConsentEvent.Action.OPT_OUT, scope__in=(Scope.CALLS, Scope.ALL)
        )
        .order_by("-at", "-pk")
        .first()
    )
    return latest is not None and latest.source == "sms_keyword"
