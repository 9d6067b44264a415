"""Opt-outs from the local spool into the database (see reminders.opt_out_spool).

Idempotent: an entry whose consent event already exists (same message SID, or same number, instant
and source) is skipped, so a pass cut short by a crash or a second applier changes nothing twice.
Each opt-out keeps the instant the customer asked, not the instant it reached the database.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from crm.models import Customer
from crm.phones import mask_phone
from reminders.models import ConsentEvent
from reminders.opt_out_spool import (
    SpooledOptOut,
    spool_append,
    spool_applying,
    spool_has_pending,
    spool_mark_applied,
    spool_pending,
)
from reminders.selectors import customers_with_phone
from reminders.services.consent import opt_out_record
from voice.models import Call

logger = logging.getLogger(__name__)


def _already_recorded(entry: SpooledOptOut) -> bool:
    events = ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_OUT)
    if entry.message_sid:
        return events.filter(message_sid=entry.message_sid).exists()
    if entry.call_id is not None:
        return events.filter(call_id=entry.call_id, at=entry.at, source=entry.source[:30]).exists()
    return events.filter(phone=entry.phone[:20], at=entry.at, source=entry.source[:30]).exists()


def _customers(entry: SpooledOptOut) -> list[Customer | None]:
    if entry.customer_id is not None and (customer := Customer.objects.filter(pk=entry.customer_id).first()):
        return [customer]
    return list(customers_with_phone(phone=entry.phone)) or [None]


def _superseded(entry: SpooledOptOut) -> bool:
    """They opted back in after this opt-out (a START that reached the database first)."""
    return ConsentEvent.objects.filter(
        action=ConsentEvent.Action.OPT_IN, phone=entry.phone[:20], at__gt=entry.at
    ).exists()


def _apply(entry: SpooledOptOut) -> None:
    if not entry.phone or _already_recorded(entry):
        return
    apply = not _superseded(entry)
    call_id = entry.call_id if entry.call_id and Call.objects.filter(pk=entry.call_id).exists() else None
    for customer in _customers(entry):
        opt_out_record(
            customer=customer,
            channel=entry.channel,
            source=entry.source,
            call_id=call_id,
            phone=entry.phone,
            detail=entry.word,
            message_sid=entry.message_sid,
            at=entry.at,
            apply=apply,
        )
    logger.warning(
        "opt-out spool: %s's %s of %s applied late%s",
        mask_phone(entry.phone),
        entry.word,
        entry.at.isoformat(),
        "" if apply else " as evidence only (they opted back in since)",
    )


def opt_out_spool_apply() -> int:
    """Apply every spooled opt-out not yet in the database, oldest first. Returns how many entries
    were looked at. A database error propagates after the entries before it are marked applied."""
    if not spool_has_pending():
        return 0
    done = 0
    with spool_applying() as mine:
        if not mine:
            return 0  # another process is applying it right now
        end = None
        try:
            for entry in spool_pending():
                try:
                    _apply(entry)
                except (OperationalError, InterfaceError):
                    raise  # the database is down: this entry and the rest wait for the next pass
                except Exception:
                    # One entry the database refuses must not hold back every opt-out after it; it
                    # stays in the file as evidence.
                    logger.exception("opt-out spool: the entry ending at byte %s was skipped", entry.end)
                end, done = entry.end, done + 1
        finally:
            if end is not None:
                spool_mark_applied(end)
    return done


def opt_out_on_call(*, customer_id: int, phone: str, call_id: int, source: str, detail: str) -> bool:
    """A caller asked on a call to stop being contacted: spool it (fsynced), then record it. True when
    the database has it now, False when it waits in the spool (the database is down). Raises only
    when neither could keep it. Sync: call it from a worker thread, never the event loop."""
    at = timezone.now()
    try:
        spool_append(
            phone=phone,
            word=detail[:200],
            message_sid="",
            at=at,
            source=source,
            channel="calls",
            call_id=call_id,
            customer_id=customer_id,
        )
        spooled = True
    except OSError:
        logger.exception("call %s: opt-out could NOT be spooled: check OPT_OUT_SPOOL_DIR", call_id)
        spooled = False
    customer = None
    try:
        customer = Customer.objects.filter(pk=customer_id).first()
        opt_out_record(
            customer=customer, channel="calls", source=source, call_id=call_id, detail=detail, at=at
        )
    except DatabaseError:
        if not spooled:
            raise
        logger.warning("call %s: database down, the opt-out waits in the spool", call_id)
        return False
    return True
