"""Reads for reminders: what is due, the contact rules for a customer, and the facts a script needs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, IntegerField, OrderBy, Q, QuerySet, Value, When

from crm.models import Customer
from crm.phones import format_phone_for_display, try_normalize_phone
from reminders import policy
from reminders.conf import conf
from reminders.models import Reminder
from reminders.script import ReminderFacts
from reminders.zones import CustomerZones, customer_zones
from scheduling.formatting import say_datetime
from scheduling.models import Appointment, Closure, Shop
from scheduling.shop import shop_get
from voice.agent.language import language_or_default

UPCOMING = (Appointment.Status.SCHEDULED, Appointment.Status.CONFIRMED)


def reminder_list_due(*, now: datetime, limit: int | None = None) -> list[int]:
    """Ids of pending reminders whose time has come, oldest first."""
    ids = (
        Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    return list(ids[: limit or conf("REMINDER_DISPATCH_BATCH")])


def closed_days(*, first: date, last: date) -> frozenset[date]:
    """Shop-local dates of full-day closures (holidays) between `first` and `last`."""
    rows = Closure.objects.filter(date__gte=first, date__lte=last, starts__isnull=True, ends__isnull=True)
    return frozenset(rows.values_list("date", flat=True))


def contact_rules(
    *, customer: Customer, shop: Shop, channel: str, now: datetime, until: datetime
) -> tuple[policy.ContactRules, CustomerZones]:
    """The window for calling (channel "call") or texting ("sms") `customer` between now and `until`."""
    where = customer_zones(state=customer.state, phone=customer.phone, shop_zone=shop.zone)
    first = (now - timedelta(days=policy.MAX_DAYS_EARLIER + 1)).date()
    holidays = closed_days(first=first, last=(until + timedelta(days=2)).date())
    if channel == Reminder.Channel.CALL:
        rules = policy.ContactRules(
            zones=where.zones,
            shop_zone=shop.zone,
            window_start=shop.reminder_window_start,
            window_end=shop.reminder_window_end,
            closed_days=holidays,
        )
    else:
        rules = policy.ContactRules(
            zones=where.zones,
            shop_zone=shop.zone,
            window_start=conf("REMINDER_SMS_WINDOW_START"),
            window_end=conf("REMINDER_SMS_WINDOW_END"),
            sundays=True,
            closed_days=holidays,
            honour_closures=False,
        )
    return rules, where


def appointment_is_remindable(appointment: Appointment, *, now: datetime) -> bool:
    return appointment.status in UPCOMING and appointment.start > now


def shop_callback_number(shop: Shop) -> str:
    """The number customers hear or read to call the shop back, formatted for people."""
    return format_phone_for_display(
        shop.phone_number or settings.TWILIO_PHONE_NUMBER, region=shop.phone_region
    )


def reminder_facts(*, appointment_id: int) -> ReminderFacts | None:
    """What a reminder script says about appointment `appointment_id`, or None if there is none."""
    appointment = (
        Appointment.objects.select_related("customer", "service_type", "vehicle")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return None
    shop = shop_get()
    language = language_or_default(appointment.customer.preferred_language)  # the reminder speaks it
    return ReminderFacts(
        appointment_id=appointment.pk,
        shop_name=shop.name,
        when=say_datetime(appointment.start, shop.zone, language=language),
        service=appointment.service_type.name,
        callback_number=shop_callback_number(shop),
        customer_name=appointment.customer.name,
        vehicle=str(appointment.vehicle) if appointment.vehicle_id else "",
        language=language,
    )


def customers_with_phone(*, phone: str) -> QuerySet[Customer]:
    """Every customer whose main or alternate number is `phone` (a household may share one)."""
    e164 = try_normalize_phone(phone, region="US") if phone else None
    if e164 is None:
        return Customer.objects.none()
    return Customer.objects.filter(Q(phone=e164) | Q(alt_phone=e164))


def next_appointment_for_phone(*, phone: str, now: datetime) -> Appointment | None:
    """The soonest upcoming appointment of any customer with this number (a test booking made as
    them is none of theirs: their "C" must not confirm it)."""
    return (
        Appointment.objects.real()
        .select_related("service_type", "customer")
        .filter(customer__in=customers_with_phone(phone=phone), status__in=UPCOMING, start__gt=now)
        .order_by("start")
        .first()
    )


def reminder_list_ordering() -> list[OrderBy]:
    """The reminders list's default order: those still to go out (or in flight) first, soonest due on
    top; then finished ones, latest first; no due time last in each group. Due time alone would put
    last month's delivered reminders above tomorrow's."""
    done = Case(
        When(status__in=Reminder.FINAL_STATUSES, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    open_due = Case(When(~Q(status__in=Reminder.FINAL_STATUSES), then=F("due_at")))
    # Wrapped rather than F("due_at"): the list would otherwise mark its due column "sorted descending".
    done_due = Case(When(status__in=Reminder.FINAL_STATUSES, then=F("due_at")))
    # Reminders due at the same time (the demo's 9:00 AM batch) follow their appointments' times.
    return [
        done.asc(),
        open_due.asc(nulls_last=True),
        done_due.desc(nulls_last=True),
        F("appointment__start").asc(),
        F("pk").asc(),
    ]
