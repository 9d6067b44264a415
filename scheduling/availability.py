"""The availability engine: pure functions, no database.

Everything that decides whether a job can start at a given instant lives here, so listing slots (AI,
admin, tools API) and booking (which re-checks inside its transaction) can never disagree.

Pipeline, per shop-local date: weekly hours → minus closures → minus external busy blocks → slot grid
where the job fits → drop times before now + notice or past the horizon → capacity (per day, technician
minutes, per-service daily limit, write-ups per slot, waiters in the shop at once) → earliest first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

TIME_OF_DAY_BOUNDS = {
    "morning": (time(0), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), None),
}


@dataclass(frozen=True)
class Rules:
    zone: ZoneInfo
    slot_minutes: int
    min_notice: timedelta
    horizon_days: int
    per_slot_capacity: int
    waiter_capacity: int
    daily_capacity: int
    technician_minutes_per_day: int


@dataclass(frozen=True)
class Job:
    """What is being booked."""

    code: str
    duration_minutes: int
    waiter: bool = False
    daily_limit: int | None = None


@dataclass(frozen=True)
class Booking:
    """An existing appointment that uses capacity."""

    start: datetime
    local_date: date
    duration_minutes: int
    code: str
    waiter: bool = False


@dataclass(frozen=True)
class ShopCalendar:
    """Opening hours by weekday (0 = Monday), closures by local date (None times = all day), busy blocks."""

    hours: dict[int, list[tuple[time, time]]]
    closures: dict[date, list[tuple[time | None, time | None]]] = field(default_factory=dict)
    busy: list[Interval] = field(default_factory=list)


class Refusal(StrEnum):
    PAST = "past"
    NOTICE = "notice"
    HORIZON = "horizon"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    OFF_GRID = "off_grid"
    DOES_NOT_FIT = "does_not_fit"
    FULL = "full"


CAPACITY_REFUSALS = frozenset({Refusal.FULL})


def local_datetime(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """`wall` on `day` in `zone` as an aware UTC instant; None if the clock skips it (spring forward).
    On fall-back the first occurrence is used (fold=0)."""
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=zone)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return instant


def _day_end(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def _resolve(day: date, wall: time | None, zone: ZoneInfo, *, is_end: bool) -> datetime:
    """Like local_datetime, but a skipped wall time moves forward to the first real instant after it."""
    if wall is None:
        return _day_end(day, zone) if is_end else datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    resolved = local_datetime(day, wall, zone)
    if resolved is not None:
        return resolved
    naive = datetime.combine(day, wall)
    return (naive + timedelta(hours=1)).replace(tzinfo=zone).astimezone(UTC)


def _subtract(intervals: list[Interval], cut_start: datetime, cut_end: datetime) -> list[Interval]:
    kept: list[Interval] = []
    for start, end in intervals:
        if cut_end <= start or cut_start >= end:
            kept.append((start, end))
            continue
        if start < cut_start:
            kept.append((start, cut_start))
        if cut_end < end:
            kept.append((cut_end, end))
    return kept


def open_intervals(day: date, calendar: ShopCalendar, zone: ZoneInfo) -> list[Interval]:
    """The instants (UTC) the shop is open for work on a local date, closures and busy time removed."""
    intervals = [
        (_resolve(day, opens, zone, is_end=False), _resolve(day, closes, zone, is_end=True))
        for opens, closes in calendar.hours.get(day.weekday(), [])
    ]
    for starts, ends in calendar.closures.get(day, []):
        if starts is None and ends is None:
            return []
        intervals = _subtract(
            intervals, _resolve(day, starts, zone, is_end=False), _resolve(day, ends, zone, is_end=True)
        )
    for busy_start, busy_end in calendar.busy:
        intervals = _subtract(intervals, busy_start, busy_end)
    return sorted(i for i in intervals if i[0] < i[1])


def _minute_of_day(instant: datetime, day: date, zone: ZoneInfo) -> int:
    local = instant.astimezone(zone)
    return 24 * 60 if local.date() > day else local.hour * 60 + local.minute


def _grid_starts(
    day: date, slot_minutes: int, zone: ZoneInfo, intervals: list[Interval]
) -> Iterator[tuple[time, datetime]]:
    """Grid wall times (aligned to local midnight) between the day's first opening and last closing."""
    first = min(_minute_of_day(start, day, zone) for start, _ in intervals)
    last = max(_minute_of_day(end, day, zone) for _, end in intervals)
    for minute in range(first - first % slot_minutes, min(last, 24 * 60), slot_minutes):
        wall = time(minute // 60, minute % 60)
        instant = local_datetime(day, wall, zone)
        if instant is not None:
            yield wall, instant


def _bucket(instant: datetime, zone: ZoneInfo, slot_minutes: int) -> int:
    local = instant.astimezone(zone)
    return (local.hour * 60 + local.minute) // slot_minutes


@dataclass
class DayLoad:
    """Capacity already used on one local date."""

    count: int = 0
    technician_minutes: int = 0
    per_code: Counter[str] = field(default_factory=Counter)
    arrivals: Counter[int] = field(default_factory=Counter)
    waiters: list[Interval] = field(default_factory=list)


def day_loads(bookings: Iterable[Booking], rules: Rules) -> dict[date, DayLoad]:
    loads: dict[date, DayLoad] = defaultdict(DayLoad)
    for booking in bookings:
        load = loads[booking.local_date]
        load.count += 1
        load.technician_minutes += booking.duration_minutes
        load.per_code[booking.code] += 1
        load.arrivals[_bucket(booking.start, rules.zone, rules.slot_minutes)] += 1
        if booking.waiter:
            load.waiters.append((booking.start, booking.start + timedelta(minutes=booking.duration_minutes)))
    return loads


def max_overlap(intervals: list[Interval], start: datetime | None = None, end: datetime | None = None) -> int:
    """Most of `intervals` in progress at any one instant of [start, end) (unbounded where None)."""
    if not intervals:
        return 0
    start = start or min(s for s, _ in intervals)
    end = end or max(e for _, e in intervals)
    events: list[tuple[datetime, int]] = []
    for s, e in intervals:
        if s < end and e > start:
            events.append((max(s, start), 1))
            events.append((min(e, end), -1))
    peak = current = 0
    for _, delta in sorted(events, key=lambda ev: (ev[0], ev[1])):
        current += delta
        peak = max(peak, current)
    return peak


def day_has_room(load: DayLoad | None, job: Job, rules: Rules) -> bool:
    if load is None:
        return job.duration_minutes <= rules.technician_minutes_per_day and rules.daily_capacity > 0
    if load.count >= rules.daily_capacity:
        return False
    if load.technician_minutes + job.duration_minutes > rules.technician_minutes_per_day:
        return False
    return not (job.daily_limit is not None and load.per_code[job.code] >= job.daily_limit)


def _slot_has_room(load: DayLoad | None, job: Job, rules: Rules, start: datetime) -> bool:
    if load is None:
        return rules.per_slot_capacity > 0 and (not job.waiter or rules.waiter_capacity > 0)
    if load.arrivals[_bucket(start, rules.zone, rules.slot_minutes)] >= rules.per_slot_capacity:
        return False
    if job.waiter:
        end = start + timedelta(minutes=job.duration_minutes)
        return max_overlap(load.waiters, start, end) < rules.waiter_capacity
    return True


def _time_of_day_ok(wall: time, time_of_day: str | None) -> bool:
    if not time_of_day:
        return True
    low, high = TIME_OF_DAY_BOUNDS[time_of_day]
    return wall >= low and (high is None or wall < high)


def last_bookable_date(now: datetime, rules: Rules) -> date:
    return now.astimezone(rules.zone).date() + timedelta(days=rules.horizon_days)


def day_slots(
    day: date,
    *,
    rules: Rules,
    calendar: ShopCalendar,
    loads: dict[date, DayLoad],
    job: Job,
    now: datetime,
    time_of_day: str | None = None,
    check_capacity: bool = True,
) -> list[datetime]:
    """Every instant on a local date at which `job` can start, earliest first (UTC)."""
    if day > last_bookable_date(now, rules):
        return []
    intervals = open_intervals(day, calendar, rules.zone)
    if not intervals:
        return []
    load = loads.get(day)
    if check_capacity and not day_has_room(load, job, rules):
        return []
    earliest = now + rules.min_notice
    # A drop-off needs its write-up slot inside opening hours; a waiter needs the whole job.
    needed = timedelta(minutes=job.duration_minutes if job.waiter else rules.slot_minutes)
    starts: list[datetime] = []
    for wall, start in _grid_starts(day, rules.slot_minutes, rules.zone, intervals):
        if start < earliest or not _time_of_day_ok(wall, time_of_day):
            continue
        if not any(s <= start and start + needed <= e for s, e in intervals):
            continue
        if check_capacity and not _slot_has_room(load, job, rules, start):
            continue
        starts.append(start)
    return starts


def bookable_days(first_day: date, now: datetime, rules: Rules) -> Iterator[date]:
    """Local dates from `first_day` (never before today) to the horizon."""
    day = max(first_day, now.astimezone(rules.zone).date())
    last = last_bookable_date(now, rules)
    while day <= last:
        yield day
        day += timedelta(days=1)


def find_slots(
    *,
    rules: Rules,
    calendar: ShopCalendar,
    bookings: Iterable[Booking],
    job: Job,
    now: datetime,
    first_day: date | None = None,
    days: Iterable[date] | None = None,
    limit: int | None = 3,
    time_of_day: str | None = None,
    max_per_day: int | None = None,
) -> list[datetime]:
    """Open start instants on `days` (default: from `first_day` to the horizon), earliest first, at
    most `limit`. `bookings` must cover every day searched."""
    loads = day_loads(bookings, rules)
    if days is None:
        days = bookable_days(first_day or now.astimezone(rules.zone).date(), now, rules)
    found: list[datetime] = []
    for day in days:
        if limit is not None and len(found) >= limit:
            break
        slots = day_slots(
            day, rules=rules, calendar=calendar, loads=loads, job=job, now=now, time_of_day=time_of_day
        )
        found.extend(slots[:max_per_day] if max_per_day else slots)
    return found if limit is None else found[:limit]


def why_unavailable(
    start: datetime,
    *,
    rules: Rules,
    calendar: ShopCalendar,
    bookings: Iterable[Booking],
    job: Job,
    now: datetime,
) -> Refusal | None:
    """None when `job` can start at `start`; otherwise the first rule it breaks."""
    if start <= now:
        return Refusal.PAST
    if start < now + rules.min_notice:
        return Refusal.NOTICE
    day = start.astimezone(rules.zone).date()
    if day > last_bookable_date(now, rules):
        return Refusal.HORIZON
    if not open_intervals(day, calendar, rules.zone):
        return Refusal.CLOSED_DAY
    local = start.astimezone(rules.zone)
    if local.second or local.microsecond or (local.hour * 60 + local.minute) % rules.slot_minutes:
        return Refusal.OFF_GRID
    loads = day_loads(bookings, rules)
    common = {"rules": rules, "calendar": calendar, "loads": loads, "job": job, "now": now}
    if start not in day_slots(day, check_capacity=False, **common):
        return (
            Refusal.DOES_NOT_FIT
            if _starts_inside_hours(start, day, calendar, rules)
            else Refusal.OUTSIDE_HOURS
        )
    if start not in day_slots(day, **common):
        return Refusal.FULL
    return None


def _starts_inside_hours(start: datetime, day: date, calendar: ShopCalendar, rules: Rules) -> bool:
    return any(s <= start < e for s, e in open_intervals(day, calendar, rules.zone))
