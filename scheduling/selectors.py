"""Reads for scheduling: load the shop's rules and bookings, then ask the availability engine."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, F, IntegerField, OrderBy, Q, Sum, Value, When
from django.utils import timezone

from dealership.core.errors import ApplicationError, NotFound
from scheduling import availability as engine
from scheduling.formatting import say_date, say_datetime, say_time
from scheduling.models import Appointment, BusyBlock, Closure, ServiceType, Shop
from scheduling.rules_cache import ShopRules, rules_current, shop_copy

TIMES_OF_DAY = tuple(engine.TIME_OF_DAY_BOUNDS)


def rules_for(shop: Shop) -> engine.Rules:
    return engine.Rules(
        zone=shop.zone,
        slot_minutes=shop.slot_minutes,
        min_notice=timedelta(minutes=shop.min_notice_minutes),
        horizon_days=shop.horizon_days,
        per_slot_capacity=shop.per_slot_capacity,
        waiter_capacity=shop.waiter_capacity,
        daily_capacity=shop.daily_capacity,
        technician_minutes_per_day=shop.technician_minutes_per_day,
    )


def calendar_load(
    *, shop: Shop, first_day: date, last_day: date, rules: ShopRules | None = None
) -> engine.ShopCalendar:
    """Hours and closures from the per-process rules copy (`rules`, or the current one); busy time, like
    every other use of capacity, always from the database."""
    rules = rules or rules_current()
    hours = {weekday: list(spans) for weekday, spans in rules.hours.items()}
    closures: dict[date, list[tuple[time | None, time | None]]] = defaultdict(list)
    kept = rules.closures_between(first_day, last_day)
    if kept is not None:
        for day, spans in kept.items():
            closures[day] = [(span.starts, span.ends) for span in spans]
    else:
        for day, starts, ends in Closure.objects.filter(date__range=(first_day, last_day)).values_list(
            "date", "starts", "ends"
        ):
            closures[day].append((starts, ends))
    window_start = datetime.combine(first_day, time(0), tzinfo=shop.zone)
    window_end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=shop.zone)
    busy = list(
        BusyBlock.objects.filter(start__lt=window_end, end__gt=window_start).values_list("start", "end")
    )
    return engine.ShopCalendar(hours=hours, closures=dict(closures), busy=busy)


def _active_appointments(exclude_id: int | None):
    rows = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES).order_by()
    return rows.exclude(pk=exclude_id) if exclude_id is not None else rows


def bookings_load(
    *, first_day: date, last_day: date, exclude_id: int | None = None, days: list[date] | None = None
) -> list[engine.Booking]:
    """Active appointments on local dates `first_day`..`last_day` (or exactly `days`) for the engine."""
    rows = _active_appointments(exclude_id)
    rows = (
        rows.filter(local_date__in=days)
        if days is not None
        else rows.filter(local_date__range=(first_day, last_day))
    )
    return [
        engine.Booking(
            start=start,
            local_date=local_date,
            duration_minutes=minutes,
            code=code,
            waiter=transport == "waiter",
        )
        for start, local_date, minutes, code, transport in rows.values_list(
            "start", "local_date", "duration_minutes", "service_type__code", "transport"
        )
    ]


def day_usage(
    *, first_day: date, last_day: date, service_code: str, service_id: int | None = None
) -> dict[date, engine.DayLoad]:
    """Per-day totals only (one small grouped query), enough to skip days that are already full.
    With the service's id (same service as the code) the query needs no join to the catalog."""
    same = Q(service_type_id=service_id) if service_id is not None else Q(service_type__code=service_code)
    rows = (
        _active_appointments(None)
        .filter(local_date__range=(first_day, last_day))
        .values("local_date")
        .annotate(booked=Count("id"), minutes=Sum("duration_minutes"), same=Count("id", filter=same))
    )
    return {
        row["local_date"]: engine.DayLoad(
            count=row["booked"],
            technician_minutes=row["minutes"],
            per_code=Counter({service_code: row["same"]}),
        )
        for row in rows
    }


# Days fetched per round trip while searching: small first (the answer is usually near), then wider.
_BATCH_SIZES = (1, 2, 4, 8, 16)


def open_slots(
    *,
    shop: Shop,
    job: engine.Job,
    now: datetime,
    first_day: date,
    limit: int | None = 3,
    time_of_day: str | None = None,
    max_per_day: int | None = None,
    calendar: engine.ShopCalendar | None = None,
    service_id: int | None = None,
) -> list[datetime]:
    """The availability search used by everyone: earliest first from `first_day` to the horizon.

    Booking rows are fetched only for days that could still have room, a few days at a time, so the
    common "earliest three" question costs the same whatever the size of the book."""
    rules = rules_for(shop)
    last = engine.last_bookable_date(now, rules)
    calendar = calendar or calendar_load(shop=shop, first_day=first_day, last_day=last)
    usage = day_usage(first_day=first_day, last_day=last, service_code=job.code, service_id=service_id)
    days = [
        day
        for day in engine.bookable_days(first_day, now, rules)
        if engine.day_has_room(usage.get(day), job, rules)
        and engine.open_intervals(day, calendar, rules.zone)
    ]
    found: list[datetime] = []
    start = 0
    for round_trip in range(len(days)):
        if start >= len(days) or (limit is not None and len(found) >= limit):
            break
        batch = days[start : start + _BATCH_SIZES[min(round_trip, len(_BATCH_SIZES) - 1)]]
        start += len(batch)
        found += engine.find_slots(
            rules=rules,
            calendar=calendar,
            bookings=bookings_load(first_day=batch[0], last_day=batch[-1], days=batch),
            job=job,
            now=now,
            days=batch,
            limit=None if limit is None else limit - len(found),
            time_of_day=time_of_day,
            max_per_day=max_per_day,
        )
    return found if limit is None else found[:limit]


def service_get(*, code: str, for_ai: bool = False, rules: ShopRules | None = None) -> ServiceType:
    """The catalog entry for a code (or spoken name/synonym); a readable error when there is none.
    Read from the per-process rules copy; the instance returned is the caller's own."""
    services = (rules or rules_current()).services
    wanted = (code or "").strip().lower().replace(" ", "_").replace("-", "_")
    service = next((candidate for candidate in services if candidate.code == wanted), None)
    if service is None:
        spoken = wanted.replace("_", " ")
        for candidate in services:
            names = {candidate.name.lower(), *(s.strip().lower() for s in candidate.synonyms.split(",") if s)}
            if spoken in names:
                service = candidate
                break
    if service is None or (for_ai and not service.bookable_by_ai):
        offered = ", ".join(candidate.code for candidate in services)
        raise NotFound(f"We don't have a service called '{code}'. Services we book: {offered}.")
    return copy.copy(service)


def job_for(service: ServiceType, *, waiter: bool) -> engine.Job:
    if waiter and not service.waiter_eligible:
        raise ApplicationError(
            f"A {service.name} takes too long to wait for; it's booked as a drop-off.", code="not_waiter"
        )
    return engine.Job(
        code=service.code,
        duration_minutes=service.duration_minutes,
        waiter=waiter,
        daily_limit=service.daily_limit,
    )


@dataclass(frozen=True)
class AvailabilityResult:
    slots: list[datetime]
    service: ServiceType
    shop: Shop

    def as_dicts(self) -> list[dict]:
        zone = self.shop.zone
        return [
            {
                "start": slot.astimezone(zone).isoformat(),
                "date": slot.astimezone(zone).date().isoformat(),
                "time": slot.astimezone(zone).strftime("%H:%M"),
                "duration_minutes": self.service.duration_minutes,
                "spoken": say_datetime(slot, zone),
            }
            for slot in self.slots
        ]


def availability_find(
    *,
    service_code: str,
    preferred_date: date | None = None,
    time_of_day: str | None = None,
    waiter: bool = False,
    limit: int | None = 3,
    for_ai: bool = False,
    now: datetime | None = None,
    max_per_day: int | None = None,
) -> AvailabilityResult:
    """Open start times for a service, earliest first from the preferred date (or today).

    A preferred date that is past, closed or beyond the horizon raises ApplicationError whose
    `extra["alternatives"]` holds the earliest openings anyway, so the agent can offer them.
    """
    now = now or timezone.now()
    # One read of the rules for the whole answer: one version check instead of one per helper.
    current = rules_current()
    shop = shop_copy(current)
    rules = rules_for(shop)
    service = service_get(code=service_code, for_ai=for_ai, rules=current)
    job = job_for(service, waiter=waiter)
    if time_of_day and time_of_day not in TIMES_OF_DAY:
        raise ApplicationError(f"Time of day must be one of {', '.join(TIMES_OF_DAY)}.")
    today = now.astimezone(rules.zone).date()
    last = engine.last_bookable_date(now, rules)
    problem = (
        _preferred_date_problem(preferred_date, today=today, last=last, shop=shop) if preferred_date else None
    )
    first = preferred_date if preferred_date and problem is None else today
    calendar = calendar_load(shop=shop, first_day=first, last_day=last, rules=current)
    slots = open_slots(
        shop=shop,
        job=job,
        now=now,
        first_day=first,
        limit=limit,
        time_of_day=time_of_day,
        max_per_day=max_per_day,
        calendar=calendar,
        service_id=service.pk,
    )
    result = AvailabilityResult(slots=slots, service=service, shop=shop)
    if problem is None and preferred_date and not engine.open_intervals(preferred_date, calendar, rules.zone):
        problem = f"We're closed on {say_date(preferred_date)}{_closure_reason(preferred_date, current)}."
    if problem:
        raise ApplicationError(problem, code="unavailable_date", extra={"alternatives": result.as_dicts()})
    return result


def _preferred_date_problem(preferred: date, *, today: date, last: date, shop: Shop) -> str | None:
    if preferred < today:
        return f"{say_date(preferred)} has already passed."
    if preferred > last:
        return f"We book up to {shop.horizon_days} days ahead; {say_date(preferred)} is too far out."
    return None


def _closure_reason(day: date, rules: ShopRules | None = None) -> str:
    kept = (rules or rules_current()).closures_between(day, day)
    if kept is not None:
        reason = next((span.reason for span in kept.get(day, ()) if span.reason), None)
    else:
        reason = Closure.objects.filter(date=day).exclude(reason="").values_list("reason", flat=True).first()
    return f" for {reason}" if reason else ""


def refusal_sentence(refusal: engine.Refusal, *, start: datetime, service: ServiceType, shop: Shop) -> str:
    zone = shop.zone
    day = start.astimezone(zone).date()
    at = say_time(start, zone)
    match refusal:
        case engine.Refusal.PAST:
            return f"{say_datetime(start, zone)} has already passed."
        case engine.Refusal.NOTICE:
            return f"We need at least {_minutes_words(shop.min_notice_minutes)} notice to book."
        case engine.Refusal.HORIZON:
            return f"We book up to {shop.horizon_days} days ahead; {say_date(day)} is too far out."
        case engine.Refusal.CLOSED_DAY:
            return f"We're closed on {say_date(day)}{_closure_reason(day)}."
        case engine.Refusal.OUTSIDE_HOURS:
            return f"{at} on {say_date(day)} is outside our opening hours."
        case engine.Refusal.OFF_GRID:
            return f"Appointments start every {shop.slot_minutes} minutes; {at} isn't one of our start times."
        case engine.Refusal.DOES_NOT_FIT:
            return f"A {service.name} starting at {at} on {say_date(day)} wouldn't finish before we close."
        case _:
            return f"{say_datetime(start, zone)} is fully booked."


def _minutes_words(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}'"
    return f"{minutes} minutes'"


def appointment_list_ordering(*, today: date) -> list[OrderBy]:
    """The appointment list's default order: today and upcoming first, soonest on top, then past ones,
    latest first (a list sorted by date alone buries tomorrow under months of history)."""
    past = Case(When(local_date__lt=today, then=Value(1)), default=Value(0), output_field=IntegerField())
    upcoming_start = Case(When(local_date__gte=today, then=F("start")))
    # Wrapped rather than F("start"): the list would otherwise mark its date column "sorted descending".
    past_start = Case(When(local_date__lt=today, then=F("start")))
    # pk last: two bookings at the same time show in the order they were made (#3 above #4).
    return [past.asc(), upcoming_start.asc(nulls_last=True), past_start.desc(nulls_last=True), F("pk").asc()]
