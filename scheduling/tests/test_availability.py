from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.availability import (
    Booking,
    Job,
    Refusal,
    Rules,
    ShopCalendar,
    day_loads,
    day_slots,
    find_slots,
    local_datetime,
    open_intervals,
    why_unavailable,
)

CHICAGO = ZoneInfo("America/Chicago")
RULES = Rules(
    zone=CHICAGO,
    slot_minutes=30,
    min_notice=timedelta(hours=2),
    horizon_days=60,
    per_slot_capacity=2,
    waiter_capacity=1,
    daily_capacity=20,
    technician_minutes_per_day=16 * 60,
)
WEEKDAYS = {d: [(time(7, 30), time(18, 0))] for d in range(5)} | {5: [(time(8), time(13))]}
CALENDAR = ShopCalendar(hours=WEEKDAYS)
OIL = Job(code="oil_change", duration_minutes=30)
MONDAY = date(2026, 11, 23)
SUNDAY_BEFORE = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CHICAGO).astimezone(UTC)


def slots_on(
    day: date,
    *,
    job: Job = OIL,
    calendar: ShopCalendar = CALENDAR,
    bookings=(),
    now=SUNDAY_BEFORE,
    rules=RULES,
):
    loads = day_loads(bookings, rules)
    return day_slots(day, rules=rules, calendar=calendar, loads=loads, job=job, now=now)


def walls(slots: list[datetime]) -> list[str]:
    return [s.astimezone(CHICAGO).strftime("%H:%M") for s in slots]


def booking(start: datetime, *, minutes: int = 30, code: str = "oil_change", waiter: bool = False) -> Booking:
    return Booking(
        start=start,
        local_date=start.astimezone(CHICAGO).date(),
        duration_minutes=minutes,
        code=code,
        waiter=waiter,
    )


def test_it_offers_the_half_hour_grid_inside_opening_hours():
    slots = walls(slots_on(MONDAY))
    assert slots[0] == "07:30"
    assert slots[-1] == "17:30"
    assert len(slots) == 21


def test_it_needs_a_waiter_job_to_finish_before_closing():
    job = Job(code="diagnostic", duration_minutes=90, waiter=True)
    assert walls(slots_on(MONDAY, job=job))[-1] == "16:30"


def test_it_has_no_slots_on_sundays_or_closures():
    assert slots_on(date(2026, 11, 29)) == []
    holiday = ShopCalendar(hours=WEEKDAYS, closures={MONDAY: [(None, None)]})
    assert slots_on(MONDAY, calendar=holiday) == []


def test_it_removes_a_partial_closure_and_busy_blocks():
    calendar = ShopCalendar(
        hours=WEEKDAYS,
        closures={MONDAY: [(time(12), time(13))]},
        busy=[(local(MONDAY, 8), local(MONDAY, 9))],
    )
    slots = walls(slots_on(MONDAY, calendar=calendar))
    assert "08:00" not in slots and "08:30" not in slots
    assert "12:00" not in slots and "12:30" not in slots
    assert "07:30" in slots and "09:00" in slots and "13:00" in slots


def test_it_respects_minimum_notice_and_rounds_up_to_the_grid():
    now = datetime(2026, 11, 23, 9, 5, tzinfo=CHICAGO)
    assert walls(slots_on(MONDAY, now=now))[0] == "11:30"


def test_it_stops_at_the_horizon():
    now = SUNDAY_BEFORE
    beyond = now.date() + timedelta(days=RULES.horizon_days + 1)
    while beyond.weekday() > 4:
        beyond += timedelta(days=1)
    assert slots_on(beyond, now=now) == []


def test_it_fills_a_slot_at_its_write_up_capacity():
    bookings = [booking(local(MONDAY, 8)), booking(local(MONDAY, 8))]
    slots = walls(slots_on(MONDAY, bookings=bookings))
    assert "08:00" not in slots
    assert "08:30" in slots


def test_it_fills_a_day_at_its_daily_cap():
    rules = replace(RULES, daily_capacity=2)
    bookings = [booking(local(MONDAY, 8)), booking(local(MONDAY, 9))]
    assert slots_on(MONDAY, bookings=bookings, rules=rules) == []
    assert slots_on(MONDAY + timedelta(days=1), bookings=bookings, rules=rules) != []


def test_it_counts_technician_minutes_from_the_catalog():
    rules = replace(RULES, technician_minutes_per_day=120)
    bookings = [booking(local(MONDAY, 8), minutes=90)]
    assert slots_on(MONDAY, bookings=bookings, rules=rules) != []  # 90 + 30 fits
    assert slots_on(MONDAY, job=Job(code="x", duration_minutes=45), bookings=bookings, rules=rules) == []


def test_it_applies_a_per_service_daily_limit():
    diagnostic = Job(code="diagnostic", duration_minutes=90, daily_limit=2)
    bookings = [booking(local(MONDAY, 8), code="diagnostic"), booking(local(MONDAY, 10), code="diagnostic")]
    assert slots_on(MONDAY, job=diagnostic, bookings=bookings) == []
    assert slots_on(MONDAY, job=OIL, bookings=bookings) != []


def test_it_keeps_waiters_within_the_waiting_bays():
    waiter = Job(code="oil_change", duration_minutes=60, waiter=True)
    bookings = [booking(local(MONDAY, 9), minutes=60, waiter=True)]
    slots = walls(slots_on(MONDAY, job=waiter, bookings=bookings))
    assert "08:30" not in slots and "09:00" not in slots and "09:30" not in slots
    assert "08:00" in slots and "10:00" in slots
    # a drop-off is not limited by the waiter bays
    assert "09:00" in walls(slots_on(MONDAY, bookings=bookings))


def test_it_counts_waiters_at_the_same_instant_not_merely_overlapping():
    rules = replace(RULES, waiter_capacity=2)
    waiter = Job(code="x", duration_minutes=60, waiter=True)
    bookings = [
        booking(local(MONDAY, 8), minutes=30, waiter=True),
        booking(local(MONDAY, 8, 30), minutes=30, waiter=True),
    ]
    assert "08:00" in walls(slots_on(MONDAY, job=waiter, bookings=bookings, rules=rules))


def test_it_filters_by_time_of_day():
    loads = day_loads([], RULES)
    common = {"rules": RULES, "calendar": CALENDAR, "loads": loads, "job": OIL, "now": SUNDAY_BEFORE}
    assert walls(day_slots(MONDAY, time_of_day="morning", **common))[-1] == "11:30"
    assert walls(day_slots(MONDAY, time_of_day="afternoon", **common))[0] == "12:00"
    assert walls(day_slots(MONDAY, time_of_day="evening", **common)) == ["17:00", "17:30"]


def test_it_lists_earliest_first_from_the_first_day_and_skips_closed_days():
    saturday_noon = datetime(2026, 11, 28, 10, 0, tzinfo=CHICAGO)
    slots = find_slots(
        rules=RULES,
        calendar=CALENDAR,
        bookings=[],
        job=OIL,
        now=saturday_noon,
        first_day=saturday_noon.date(),
        limit=3,
    )
    assert [s.astimezone(CHICAGO).strftime("%a %H:%M") for s in slots] == [
        "Sat 12:00",
        "Sat 12:30",
        "Mon 07:30",
    ]


def test_it_spreads_results_over_days_when_asked():
    slots = find_slots(
        rules=RULES,
        calendar=CALENDAR,
        bookings=[],
        job=OIL,
        now=SUNDAY_BEFORE,
        first_day=MONDAY,
        limit=4,
        max_per_day=2,
    )
    assert [s.astimezone(CHICAGO).strftime("%a %H:%M") for s in slots] == [
        "Mon 07:30",
        "Mon 08:00",
        "Tue 07:30",
        "Tue 08:00",
    ]


# --- Daylight saving time: 2026-03-08 springs forward at 2:00, 2026-11-01 falls back at 2:00 (Chicago).

SPRING = date(2026, 3, 8)
FALL = date(2026, 11, 1)
ALL_DAY = ShopCalendar(hours={6: [(time(0), time(6))]})  # both DST days are Sundays


def test_it_skips_wall_times_that_do_not_exist_on_spring_forward():
    assert local_datetime(SPRING, time(2, 30), CHICAGO) is None
    slots = walls(slots_on(SPRING, calendar=ALL_DAY, now=datetime(2026, 3, 1, tzinfo=UTC)))
    assert slots == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00", "05:30"]


def test_it_uses_the_first_occurrence_of_repeated_times_on_fall_back():
    slots = slots_on(FALL, calendar=ALL_DAY, now=datetime(2026, 10, 20, tzinfo=UTC))
    assert walls(slots) == [f"{h:02d}:{m:02d}" for h in range(6) for m in (0, 30)]
    one_am = slots[2]
    assert one_am == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 1:00 CDT (UTC-5), the first 1:00


def test_it_measures_opening_hours_in_real_time_across_dst():
    spring = open_intervals(SPRING, ALL_DAY, CHICAGO)
    fall = open_intervals(FALL, ALL_DAY, CHICAGO)
    assert spring[0][1] - spring[0][0] == timedelta(hours=5)
    assert fall[0][1] - fall[0][0] == timedelta(hours=7)


def test_it_keeps_shop_hours_in_local_time_on_both_sides_of_dst():
    weekdays = ShopCalendar(hours=WEEKDAYS)
    before = slots_on(date(2026, 3, 6), calendar=weekdays, now=datetime(2026, 3, 1, tzinfo=UTC))
    after = slots_on(date(2026, 3, 9), calendar=weekdays, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert before[0] == datetime(2026, 3, 6, 13, 30, tzinfo=UTC)  # 7:30 CST
    assert after[0] == datetime(2026, 3, 9, 12, 30, tzinfo=UTC)  # 7:30 CDT


def test_it_explains_why_a_time_is_not_available():
    now = SUNDAY_BEFORE

    def why(start, bookings=(), job=OIL):
        return why_unavailable(start, rules=RULES, calendar=CALENDAR, bookings=bookings, job=job, now=now)

    assert why(local(MONDAY, 8)) is None
    assert why(now - timedelta(hours=1)) == Refusal.PAST
    assert why(now + timedelta(minutes=30)) == Refusal.NOTICE
    assert why(local(MONDAY + timedelta(days=70), 8)) == Refusal.HORIZON
    assert why(local(date(2026, 11, 29), 9)) == Refusal.CLOSED_DAY
    assert why(local(MONDAY, 19)) == Refusal.OUTSIDE_HOURS
    assert why(local(MONDAY, 9, 15)) == Refusal.OFF_GRID
    assert why(local(MONDAY, 17), job=Job(code="d", duration_minutes=90, waiter=True)) == Refusal.DOES_NOT_FIT
    full = [booking(local(MONDAY, 8)), booking(local(MONDAY, 8))]
    assert why(local(MONDAY, 8), bookings=full) == Refusal.FULL
