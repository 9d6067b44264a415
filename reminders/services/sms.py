"""Texts customers send to our number: STOP/START/HELP keywords, C to confirm, anything else for a person."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from crm.phones import mask_phone
from reminders import messages
from reminders.opt_out_spool import spool_append
from reminders.selectors import customers_with_phone, next_appointment_for_phone, shop_callback_number
from reminders.services.consent import calls_opt_out_came_from_text, opt_in_record, opt_out_record
from reminders.services.spool import opt_out_spool_apply
from scheduling.formatting import say_datetime
from scheduling.models import Appointment, AppointmentChange
from scheduling.shop import shop_get
from voice.agent.language import language_or_default
from voice.models import WebhookReceipt
from voice.receipts import webhook_receipt_record
from voice.services import callback_request_create

logger = logging.getLogger(__name__)

# domain.md: STOP/QUIT/END/REVOKE/OPT OUT/CANCEL/UNSUBSCRIBE (plus the carrier-standard STOPALL), and
# their Spanish counterparts; the reply to an opt-out is in the language of the word used (data).
OPT_OUT_WORDS_BY_LANGUAGE: dict[str, frozenset[str]] = {
    "en": frozenset(
        {"STOP", "STOPALL", "QUIT", "END", "REVOKE", "OPT OUT", "OPTOUT", "CANCEL", "UNSUBSCRIBE"}
    ),
    "es": frozenset({"ALTO", "PARE", "NO ME LLAMEN", "NO ME LLAME", "NO ME ESCRIBAN", "BAJA"}),
}
OPT_OUT_WORDS = frozenset().union(*OPT_OUT_WORDS_BY_LANGUAGE.values())
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
CONFIRM_WORDS = frozenset({"C", "CONFIRM", "CONFIRMED"})


def keyword(body: str) -> str:
    """'  Stop. ' → 'STOP'; 'opt-out' → 'OPT OUT'. Keywords count only as the whole message."""
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", body or "").upper().split())


def opt_out_language(word: str) -> str:
    """The language of an opt-out keyword (English when it is not one)."""
    return next((code for code, words in OPT_OUT_WORDS_BY_LANGUAGE.items() if word in words), "en")


def appointment_confirm(*, appointment_id: int, detail: str) -> tuple[Appointment, bool]:
    """Mark a scheduled appointment confirmed by the customer (with a history row).
    Returns (appointment, whether it changed); other statuses are left as they are."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update().select_related("service_type").get(pk=appointment_id)
        )
        if appointment.status != Appointment.Status.SCHEDULED:
            return appointment, False
        appointment.status = Appointment.Status.CONFIRMED
        appointment.save(update_fields=["status", "updated_at"])
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.STATUS,
            channel=Appointment.Channel.AI_PHONE,
            detail=f"scheduled → confirmed ({detail})"[:300],
        )
    logger.info("appointment %s confirmed by the customer (%s)", appointment_id, detail)
    return appointment, True


def _opt_out(phone: str, word: str, message_sid: str, now: datetime) -> None:
    customers = list(customers_with_phone(phone=phone))
    for customer in customers or [None]:
        opt_out_record(
            customer=customer,
            channel="sms",
            source="sms_keyword",
            phone=phone,
            detail=word,
            message_sid=message_sid,
            at=now,
        )


def _opt_in(phone: str, word: str, message_sid: str, now: datetime) -> None:
    customers = list(customers_with_phone(phone=phone))
    for customer in customers or [None]:
        # START undoes what a text STOP did; a call opt-out made on a call stays until asked there.
        scope = "all" if customer is None or calls_opt_out_came_from_text(customer) else "sms"
        opt_in_record(
            customer=customer,
            channel=scope,
            source="sms_keyword",
            phone=phone,
            detail=word,
            message_sid=message_sid,
            at=now,
        )


def _cancel_may_mean_the_visit(phone: str, now: datetime) -> None:
    appointment = next_appointment_for_phone(phone=phone, now=now)
    if appointment is None:
        return
    callback_request_create(
        phone=phone,
        name=appointment.customer.name,
        reason=(
            f"Replied CANCEL to a reminder text (now opted out of reminders). They may want to cancel "
            f"appointment {appointment.pk}: please check with them."
        ),
        customer_id=appointment.customer_id,
    )


def sms_reply_handle(
    *, from_number: str, body: str, message_sid: str, now: datetime | None = None
) -> str | None:
    """Act on a text from `from_number` and return the reply to send back.

    STOP and its synonyms opt the number out of texts and calls at once; START/UNSTOP opt back in;
    HELP explains; C confirms the soonest upcoming appointment. Anything else is kept for an advisor.
    Each MessageSid is acted on once: a replayed (or retried) message changes nothing and gets no
    reply (None), so a captured START cannot undo a later STOP.
    """
    with transaction.atomic():
        if not webhook_receipt_record(kind=WebhookReceipt.Kind.MESSAGE, key=message_sid):
            logger.info(
                "text %s from %s already handled; replay ignored", message_sid, mask_phone(from_number)
            )
            return None
        return _reply(from_number=from_number, body=body, message_sid=message_sid, now=now or timezone.now())


def _reply(*, from_number: str, body: str, message_sid: str, now: datetime) -> str:
    shop = shop_get()
    callback = shop_callback_number(shop)
    word = keyword(body)
    if word in OPT_OUT_WORDS:
        _opt_out(from_number, word, message_sid, now)
        if word == "CANCEL":
            # A carrier opt-out word, but the texter may have meant their visit: tell an advisor.
            _cancel_may_mean_the_visit(from_number, now)
        return messages.opted_out_text(
            shop.name, cancel_hint=callback if word == "CANCEL" else "", language=opt_out_language(word)
        )
    if word in OPT_IN_WORDS:
        _opt_in(from_number, word, message_sid, now)
        return messages.opted_in_text(shop.name)
    customers = list(customers_with_phone(phone=from_number)[:5])
    # A known customer is answered in their preferred language (the reminder they reply to used it).
    language = language_or_default(customers[0].preferred_language) if customers else "en"
    if word in HELP_WORDS:
        return messages.help_text(shop.name, callback, language)
    if word in CONFIRM_WORDS:
        appointment = next_appointment_for_phone(phone=from_number, now=now)
        if appointment is None:
            known = bool(customers)
            return (messages.no_appointment_text if known else messages.unknown_number_text)(
                shop.name, callback
            )
        appointment, changed = appointment_confirm(
            appointment_id=appointment.pk, detail="customer replied C by text"
        )
        language = language_or_default(appointment.customer.preferred_language)
        when = say_datetime(appointment.start, shop.zone, language=language)
        reply = messages.confirmed_text if changed else messages.already_confirmed_text
        return reply(shop.name, appointment.service_type.name, when, language)
    customer = customers[0] if customers else None
    callback_request_create(
        phone=from_number,
        name=customer.name if customer else "",
        reason=f"Text message: {(body or '').strip()[:1000] or '(empty message)'}",
        customer_id=customer.pk if customer else None,
    )
    logger.info("text from %s kept for an advisor", mask_phone(from_number))
    if customer is None:
        return messages.unknown_number_text(shop.name, callback)
    return messages.message_received_text(shop.name, callback, language)


def sms_receive(*, from_number: str, body: str, message_sid: str, now: datetime | None = None) -> str | None:
    """The messaging webhook: act on a text and return the reply, whatever state the database is in
    (None: a replay of a text already handled, which gets no reply).

    An opt-out is first appended to the local spool (fsynced), then recorded in the database; with
    the database down it is answered as done, and the spool applies it when the database is back.
    Opt-outs spooled earlier are applied first, so a STOP and a later START keep their order.
    """
    now = now or timezone.now()
    word = keyword(body)
    database_up = True
    try:
        opt_out_spool_apply()
    except DatabaseError:
        database_up = False  # one wait for the database per text, not two
        logger.warning("text %s: database down, spooled opt-outs wait", message_sid)
    except OSError:
        logger.exception("opt-out spool could not be read; it is applied on a later pass")
    spooled = False
    if word in OPT_OUT_WORDS:
        try:
            spool_append(phone=from_number, word=word, message_sid=message_sid, at=now, source="sms_keyword")
            spooled = True
        except OSError:
            logger.exception(
                "opt-out from %s (text %s) could NOT be spooled: check OPT_OUT_SPOOL_DIR",
                mask_phone(from_number),
                message_sid,
            )
    if database_up:
        try:
            return sms_reply_handle(from_number=from_number, body=body, message_sid=message_sid, now=now)
        except DatabaseError:
            logger.exception("text %s from %s could not be handled", message_sid, mask_phone(from_number))
    if spooled:
        logger.warning(
            "opt-out from %s kept in the spool until the database is back", mask_phone(from_number)
        )
        return messages.opted_out_text("", language=opt_out_language(word))
    return messages.SORRY_TEXT
