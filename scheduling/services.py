"""Book, reschedule and cancel appointments. Every write re-checks availability inside its transaction
while holding a row lock per affected shop-local date, so two callers can never both take the last slot.

Advisors' staff-only writes live here too (at the end): status steps through the day and detail edits,
neither of which uses capacity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from crm.models import Customer, Vehicle
from dealership.core.errors import ApplicationError, NotFound, SlotTaken
from scheduling import availability as engine
from scheduling.formatting import say_datetime
from scheduling.models import Appointment, AppointmentChange, ScheduleDay, ServiceType, Shop
from scheduling.selectors import (
    AvailabilityResult,
    bookings_load,
    calendar_load,
    job_for,
    open_slots,
    refusal_sentence,
    rules_for,
    service_get,
)
from scheduling.shop import shop_get

logger = logging.getLogger(__name__)

User = AbstractBaseUser | AnonymousUser
OVERRIDE_PERMISSION = "scheduling.override_capacity"
# Hooks other apps register (reminders, calendar sync) to run after a change commits.
after_change_hooks: list[Callable[[Appointment, str], None]] = []


def _lock_days(days: set[date]) -> None:
    """Serialise writers per local date: create the day rows if missing, then SELECT ... FOR UPDATE them in
    date order (a fixed order, so a reschedule locking two days cannot deadlock with another)."""
    ScheduleDay.objects.bulk_create([ScheduleDay(date=d) for d in days], ignore_conflicts=True)
    list(ScheduleDay.objects.select_for_update().filter(date__in=days).order_by("date"))


def _can_override(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(OVERRIDE_PERMISSION))


def _alternatives(
    *, shop: Shop, service: ServiceType, waiter: bool, near: datetime, now: datetime
) -> list[dict]:
    """Up to three open times: the closest on the same day, then the earliest after it."""
    rules = rules_for(shop)
    job = job_for(service, waiter=waiter)
    day = near.astimezone(rules.zone).date()
    if day > engine.last_bookable_date(now, rules):
        day = now.astimezone(rules.zone).date()
    calendar = calendar_load(shop=shop, first_day=day, last_day=day)
    loads = engine.day_loads(bookings_load(first_day=day, last_day=day), rules)
    same_day = engine.day_slots(day, rules=rules, calendar=calendar, loads=loads, job=job, now=now)
    picked = sorted(same_day, key=lambda s: abs(s - near))[:3]
    if len(picked) < 3:
        picked += open_slots(
            shop=shop,
            job=job,
            now=now,
            first_day=day + timedelta(days=1),
            limit=3 - len(picked),
            service_id=service.pk,
        )
    return AvailabilityResult(slots=sorted(picked), service=service, shop=shop).as_dicts()


def _check_start(
    *,
    shop: Shop,
    service: ServiceType,
    start: datetime,
    waiter: bool,
    now: datetime,
    exclude_id: int | None,
    user: User | None,
    override: bool,
) -> bool:
    """Raise with a readable sentence when `start` can't be booked. Returns True when it is allowed only
    because a permitted staff member overrode capacity."""
    if timezone.is_naive(start):
        raise ApplicationError("The appointment time needs a time zone.")
    rules = rules_for(shop)
    job = job_for(service, waiter=waiter)
    day = start.astimezone(rules.zone).date()
    calendar = calendar_load(shop=shop, first_day=day, last_day=day)
    bookings = bookings_load(first_day=day, last_day=day, exclude_id=exclude_id)
    refusal = engine.why_unavailable(
        start, rules=rules, calendar=calendar, bookings=bookings, job=job, now=now
    )
    if refusal is None:
        return False
    if refusal in engine.CAPACITY_REFUSALS:
        if override and _can_override(user):
            return True
        if override:
            raise ApplicationError("You don't have permission to book over capacity.", code="forbidden")
        alternatives = _alternatives(shop=shop, service=service, waiter=waiter, near=start, now=now)
        raise SlotTaken(
            f"Sorry, {say_datetime(start, shop.zone)} was just taken.",
            extra={"alternatives": alternatives},
        )
    raise ApplicationError(
        refusal_sentence(refusal, start=start, service=service, shop=shop),
        code=str(refusal),
        extra={"alternatives": _alternatives(shop=shop, service=service, waiter=waiter, near=start, now=now)},
    )


def _run_hooks(appointment: Appointment, event: str) -> None:
    for hook in after_change_hooks:
        transaction.on_commit(lambda hook=hook: hook(appointment, event))


def appointment_book(
    *,
    customer: Customer,
    service_code: str,
    start: datetime,
    channel: str,
    vehicle: Vehicle | None = None,
    waiter: bool = False,
    notes: str = "",
    user: User | None = None,
    override: bool = False,
    override_reason: str = "",
    call_id: int | None = None,
    is_test: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Book a service for a customer at `start` (aware). Duration and price come from the catalog.
    `is_test`: booked in a test call from the back office (it holds capacity, but is no real booking).

    Raises SlotTaken (with alternatives) when the time filled up, ApplicationError for any other rule."""
    now = now or timezone.now()
    shop = shop_get()
    service = service_get(code=service_code, for_ai=channel == Appointment.Channel.AI_PHONE)
    if vehicle is not None and vehicle.customer_id != customer.pk:
        raise ApplicationError("That vehicle belongs to a different customer.")
    if vehicle is None:
        vehicles = list(customer.vehicles.all()[:2])
        vehicle = vehicles[0] if len(vehicles) == 1 else None
    with transaction.atomic():
        _lock_days({start.astimezone(shop.zone).date()})
        overridden = _check_start(
            shop=shop,
            service=service,
            start=start,
            waiter=waiter,
            now=now,
            exclude_id=None,
            user=user,
            override=override,
        )
        appointment = Appointment.objects.create(
            customer=customer,
            vehicle=vehicle,
            service_type=service,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            local_date=start.astimezone(shop.zone).date(),
            duration_minutes=service.duration_minutes,
            price_quoted=service.price,
            transport=Appointment.Transport.WAITER if waiter else Appointment.Transport.DROP_OFF,
            channel=channel,
            notes=notes,
            capacity_override=overridden,
            override_by=user if overridden else None,
            override_reason=override_reason if overridden else "",
            call_id=call_id,
            is_test=is_test,
        )
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.BOOKED,
            channel=channel,
            user=_real_user(user),
            new_start=start,
            detail="capacity override: " + override_reason if overridden else "",
        )
        _run_hooks(appointment, "booked")
    logger.info("appointment %s booked via %s for %s", appointment.pk, channel, start.isoformat())
    return appointment


def _real_user(user: User | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _active_appointment(appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("service_type")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(f"I can't find appointment number {appointment_id}.")
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
        raise ApplicationError(
            f"Appointment {appointment_id} is already {appointment.get_status_display().lower()}."
        )
    if appointment.status in (Appointment.Status.ARRIVED, Appointment.Status.COMPLETED):
        raise ApplicationError(
            f"Appointment {appointment_id} has already {appointment.status}; it can't change."
        )
    return appointment


def appointment_reschedule(
    *,
    appointment_id: int,
    start: datetime,
    channel: str,
    user: User | None = None,
    override: bool = False,
    override_reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment atomically; its own old time does not count as busy."""
    now = now or timezone.now()
    shop = shop_get()
    with transaction.atomic():
        current = Appointment.objects.filter(pk=appointment_id).values_list("local_date", flat=True).first()
        new_day = start.astimezone(shop.zone).date()
        _lock_days({new_day} | ({current} if current else set()))
        appointment = _active_appointment(appointment_id)
        if appointment.start == start:
            return appointment
        overridden = _check_start(
            shop=shop,
            service=appointment.service_type,
            start=start,
            waiter=appointment.transport == Appointment.Transport.WAITER,
            now=now,
            exclude_id=appointment.pk,
            user=user,
            override=override,
        )
        old_start = appointment.start
        appointment.start = start
        appointment.end = start + timedelta(minutes=appointment.duration_minutes)
        appointment.local_date = new_day
        if appointment.status == Appointment.Status.CONFIRMED:
            appointment.status = Appointment.Status.SCHEDULED
        if overridden:
            appointment.capacity_override = True
            appointment.override_by = _real_user(user)
            appointment.override_reason = override_reason
        appointment.save()
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.RESCHEDULED,
            channel=channel,
            user=_real_user(user),
            old_start=old_start,
            new_start=start,
            detail="capacity override: " + override_reason if overridden else "",
        )
        _run_hooks(appointment, "rescheduled")
    logger.info("appointment %s rescheduled via %s", appointment.pk, channel)
    return appointment


def appointment_cancel(
    *, appointment_id: int, channel: str, reason: str = "", user: User | None = None
) -> Appointment:
    """Cancel at once (capacity frees immediately); the row and its history are kept."""
    with transaction.atomic():
        appointment = _active_appointment(appointment_id)
        appointment.status = Appointment.Status.CANCELLED
        appointment.cancelled_at = timezone.now()
        appointment.cancel_reason = reason[:200]
        appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.CANCELLED,
            channel=channel,
            user=_real_user(user),
            old_start=appointment.start,
            detail=reason[:300],
        )
        _run_hooks(appointment, "cancelled")
    logger.info("appointment %s cancelled via %s", appointment.pk, channel)
    return appointment


def appointment_confirmation(appointment: Appointment) -> str:
    """The sentence read back to the caller: weekday, date, time and service."""
    shop = shop_get()
    vehicle = f" for the {appointment.vehicle}" if appointment.vehicle_id else ""
    kind = " (you'll wait)" if appointment.transport == Appointment.Transport.WAITER else ""
    return (
        f"{appointment.service_type.name.capitalize()}{vehicle} on "
        f"{say_datetime(appointment.start, shop.zone)}{kind}, confirmation number {appointment.pk}."
    )


# Staff-only writes the booking services above don't cover: moving an appointment through its day
# (confirmed → arrived → completed, or no-show) and editing details that use no capacity.

Status = Appointment.Status
# Cancelling has its own service (it frees capacity and keeps a reason); these steps never add load.
STATUS_STEPS: dict[str, tuple[str, ...]] = {
    Status.SCHEDULED: (Status.CONFIRMED, Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW),
    Status.CONFIRMED: (Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW),
    Status.ARRIVED: (Status.COMPLETED,),
}


def status_choices_for(status: str) -> list[tuple[str, str]]:
    """The statuses an advisor may pick for an appointment that is now `status` (itself first)."""
    allowed = (status, *STATUS_STEPS.get(status, ()))
    return [(value, label) for value, label in Status.choices if value in allowed]


def _appointment_locked(appointment_id: int) -> Appointment:
    appointment = Appointment.objects.select_for_update().filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound(f"I can't find appointment number {appointment_id}.")
    return appointment


def appointment_status_set(
    *, appointment_id: int, status: str, user: User | None, now: datetime | None = None
) -> Appointment:
    """Record an advisor's status step (see STATUS_STEPS) with a history row.

    Raises ApplicationError when the step isn't allowed from the current status, or when a
    no-show is recorded before the appointment has even started."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _appointment_locked(appointment_id)
        old = appointment.status
        if status == old:
            return appointment
        if status not in Status.values:
            raise ApplicationError(f"'{status}' isn't an appointment status.")
        if status not in STATUS_STEPS.get(old, ()):
            raise ApplicationError(
                f"Appointment {appointment_id} is {appointment.get_status_display().lower()}; "
                f"it can't be marked {Status(status).label.lower()}."
            )
        if status == Status.NO_SHOW and appointment.start > now:
            raise ApplicationError(
                f"Appointment {appointment_id} hasn't started yet; it can be marked a no-show after "
                f"{say_datetime(appointment.start, shop_get().zone)}."
            )
        appointment.status = status
        appointment.save(update_fields=["status", "updated_at"])
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.STATUS,
            channel=Appointment.Channel.STAFF,
            user=_real_user(user),
            detail=f"{Status(old).label.lower()} → {Status(status).label.lower()}",
        )
    logger.info("appointment %s status %s -> %s by staff", appointment_id, old, status)
    return appointment


def appointment_details_update(
    *, appointment_id: int, vehicle: Vehicle | None, notes: str, user: User | None
) -> Appointment:
    """Change the vehicle or the advisor's notes; neither affects capacity."""
    with transaction.atomic():
        appointment = _appointment_locked(appointment_id)
        if vehicle is not None and vehicle.customer_id != appointment.customer_id:
            raise ApplicationError("That vehicle belongs to a different customer.")
        changed = []
        if appointment.vehicle_id != (vehicle.pk if vehicle else None):
            appointment.vehicle = vehicle
            changed.append("vehicle")
        if appointment.notes != notes:
            appointment.notes = notes
            changed.append("notes")
        if changed:
            appointment.save(update_fields=[*changed, "updated_at"])
            logger.info("appointment %s %s edited by staff", appointment_id, "/".join(changed))
    return appointment
