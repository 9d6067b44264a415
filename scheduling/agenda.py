"""Reads for the advisors' day agenda: who is coming on a shop-local date and how much of each
capacity rule is used. The figures come from the same loaders and engine the booking services use,
so "left" here is exactly what the AI and the booking form can still take."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from crm.selectors import customer_search, vehicle_search
from dealership.core.parsing import small_int
from scheduling import availability as engine
from scheduling.models import Appointment, BusyBlock, Closure, ServiceType, Shop
from scheduling.selectors import bookings_load, calendar_load, rules_for
from scheduling.shop import shop_get


@dataclass(frozen=True)
class Usage:
    label: str
    used: int
    capacity: int | None  # None = no limit

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.used, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.used >= self.capacity


@dataclass(frozen=True)
class SlotUsage:
    start: time
    write_ups: Usage
    waiters: Usage
    open: bool


@dataclass
class Agenda:
    day: date
    shop: Shop
    weekly_hours: list[tuple[time, time]]
    closures: list[Closure]
    busy_blocks: list[BusyBlock]
    open_hours: list[tuple[time, time]]
    appointments: list[Appointment]
    day_usage: list[Usage] = field(default_factory=list)
    slots: list[SlotUsage] = field(default_factory=list)
    services: list[Usage] = field(default_factory=list)

    @property
    def closed_all_day(self) -> bool:
        return not self.open_hours

    @property
    def active_count(self) -> int:
        return sum(1 for a in self.appointments if a.status in Appointment.ACTIVE_STATUSES)


def shop_today(*, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(shop_get().zone).date()


def _slot_rows(
    day: date, shop: Shop, load: engine.DayLoad, open_hours: list[engine.Interval]
) -> list[SlotUsage]:
    """One row per grid start that is open or has arrivals (an override can book outside hours)."""
    rows = []
    for minute in range(0, 24 * 60, shop.slot_minutes):
        wall = time(minute // 60, minute % 60)
        instant = engine.local_datetime(day, wall, shop.zone)
        if instant is None:
            continue
        is_open = any(s <= instant < e for s, e in open_hours)
        arrivals = load.arrivals.get(minute // shop.slot_minutes, 0)
        if not is_open and not arrivals:
            continue
        waiting = engine.max_overlap(load.waiters, instant, instant + timedelta(microseconds=1))
        rows.append(
            SlotUsage(
                start=wall,
                write_ups=Usage("write-ups", arrivals, shop.per_slot_capacity),
                waiters=Usage("waiters", waiting, shop.waiter_capacity),
                open=is_open,
            )
        )
    return rows


def agenda_for_day(*, day: date) -> Agenda:
    """Everything the agenda page shows for one shop-local date."""
    shop = shop_get()
    zone = shop.zone
    rules = rules_for(shop)
    calendar = calendar_load(shop=shop, first_day=day, last_day=day)
    load = engine.day_loads(bookings_load(first_day=day, last_day=day), rules).get(day, engine.DayLoad())
    intervals = engine.open_intervals(day, calendar, zone)
    window = (
        datetime.combine(day, time(0), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
    )
    agenda = Agenda(
        day=day,
        shop=shop,
        weekly_hours=sorted(calendar.hours.get(day.weekday(), [])),
        closures=list(Closure.objects.filter(date=day)),
        busy_blocks=list(BusyBlock.objects.filter(start__lt=window[1], end__gt=window[0])),
        open_hours=[(s.astimezone(zone).time(), e.astimezone(zone).time()) for s, e in intervals],
        appointments=list(
            Appointment.objects.filter(local_date=day)
            .select_related("customer", "vehicle", "service_type")
            .order_by("start", "pk")
        ),
    )
    agenda.day_usage = [
        Usage("appointments", load.count, shop.daily_capacity),
        Usage("technician minutes", load.technician_minutes, shop.technician_minutes_per_day),
        Usage("waiters at once (peak)", engine.max_overlap(load.waiters), shop.waiter_capacity),
    ]
    agenda.slots = _slot_rows(day, shop, load, intervals)
    limited = ServiceType.objects.filter(active=True, daily_limit__isnull=False)
    booked = ServiceType.objects.filter(code__in=list(load.per_code))
    agenda.services = [
        Usage(service.name, load.per_code.get(service.code, 0), service.daily_limit)
        for service in (limited | booked).distinct().order_by("name")
    ]
    return agenda


def appointment_search(*, query: str, region: str | None = None) -> QuerySet[Appointment]:
    """Appointments whose customer matches by name or phone (any format), whose vehicle matches by
    VIN or plate, or whose number is the query ("123" or "#123")."""
    query = (query or "").strip()
    if not query:
        return Appointment.objects.all()
    region = region or shop_get().phone_region
    by_id = query.removeprefix("#")
    matches = Appointment.objects.filter(
        customer__in=customer_search(query=query, region=region).values("pk")
    )
    matches |= Appointment.objects.filter(vehicle__in=vehicle_search(query=query, region=region).values("pk"))
    if (number := small_int(by_id, max_digits=11)) is not None:
        matches |= Appointment.objects.filter(pk=number)
    return matches
