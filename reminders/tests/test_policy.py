from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminders import policy

CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")
LEAD = timedelta(hours=1)


def rules(*zones: ZoneInfo, closed: tuple[date, ...] = ()) -> policy.ContactRules:
    return policy.ContactRules(
        zones=zones or (CHICAGO,),
        shop_zone=CHICAGO,
        window_start=time(9),
        window_end=time(20),
        closed_days=frozenset(closed),
    )


def at(y: int, m: int, d: int, hh: int, mm: int = 0, zone: ZoneInfo = CHICAGO) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=zone)


def when(r: policy.ContactRules, appointment: datetime, now: datetime) -> datetime | None:
    return policy.reminder_time(r, appointment_start=appointment, now=now, min_lead=LEAD).at


def test_it_reminds_at_the_start_of_the_window_the_day_before():
    # Appointment Wednesday 10:00; booked Monday noon → Tuesday 9:00 Chicago time.
    assert when(rules(), at(2026, 3, 11, 10), now=at(2026, 3, 9, 12)) == at(2026, 3, 10, 9)


def test_it_follows_daylight_saving_time_in_the_customers_zone():
    # Monday 9 March 2026 is the first weekday after spring-forward: 9:00 CDT is 14:00 UTC.
    due = when(rules(), at(2026, 3, 10, 10), now=at(2026, 3, 5, 12))
    assert due == datetime(2026, 3, 9, 14, tzinfo=UTC)
    # Monday 2 November 2026 is the first weekday after fall-back: 9:00 CST is 15:00 UTC.
    due = when(rules(), at(2026, 11, 3, 10), now=at(2026, 10, 29, 12))
    assert due == datetime(2026, 11, 2, 15, tzinfo=UTC)


def test_it_calls_a_customer_in_another_zone_inside_their_own_window():
    # Shop in Chicago, customer in Los Angeles: 9:00 Pacific, which is 11:00 in the shop.
    due = when(rules(LOS_ANGELES), at(2026, 3, 11, 10), now=at(2026, 3, 9, 12))
    assert due == at(2026, 3, 10, 9, zone=LOS_ANGELES)
    assert due.astimezone(CHICAGO).hour == 11


def test_it_respects_the_window_in_every_zone_a_customer_might_be_in():
    # A Texas address could be Central or Mountain time: 9:00 Mountain = 10:00 Central.
    due = when(rules(CHICAGO, DENVER), at(2026, 3, 11, 10), now=at(2026, 3, 9, 12))
    assert due == at(2026, 3, 10, 10)


def test_it_never_calls_on_a_sunday_and_goes_to_the_saturday_before():
    # Appointment Monday 9 March: the day before is Sunday → Saturday 7 March at 9:00.
    due = when(rules(), at(2026, 3, 9, 10), now=at(2026, 3, 4, 12))
    assert due == at(2026, 3, 7, 9)
    assert due.weekday() == 5


def test_it_skips_a_shop_holiday_and_takes_the_nearest_earlier_allowed_day():
    # Monday appointment, Sunday never, Saturday a shop holiday → Friday.
    due = when(rules(closed=(date(2026, 3, 7),)), at(2026, 3, 9, 10), now=at(2026, 3, 2, 12))
    assert due == at(2026, 3, 6, 9)


def test_the_nearest_earlier_time_must_still_be_in_the_future():
    # Saturday's window is open now: call now rather than at 9:00 (already past).
    now = at(2026, 3, 7, 15, 30)
    assert when(rules(), at(2026, 3, 9, 10), now=now) == now


def test_it_gives_up_when_no_allowed_time_is_left():
    # Saturday 20:30: Saturday's window is over, Sunday is never allowed, Monday is the day itself.
    timing = policy.reminder_time(
        rules(), appointment_start=at(2026, 3, 9, 10), now=at(2026, 3, 7, 20, 30), min_lead=LEAD
    )
    assert timing.at is None
    assert "No allowed time" in timing.reason


def test_a_booking_for_later_today_is_reminded_if_a_window_slot_remains():
    now = at(2026, 3, 10, 10, 15)
    assert when(rules(), at(2026, 3, 10, 16), now=now) == now


def test_a_short_notice_booking_without_a_window_slot_before_it_is_skipped_with_a_reason():
    # Booked Monday 20:30 for Tuesday 9:30: Monday's window closed, Tuesday's opens too late.
    timing = policy.reminder_time(
        rules(), appointment_start=at(2026, 3, 10, 9, 30), now=at(2026, 3, 9, 20, 30), min_lead=LEAD
    )
    assert timing.at is None
    assert timing.reason == "No calling-window time is left before the appointment."


def test_a_short_notice_booking_for_tomorrow_morning_is_called_the_next_morning_when_time_allows():
    # Booked Monday 21:00 for Tuesday 11:00: Tuesday 9:00 is still an hour before the lead time.
    assert when(rules(), at(2026, 3, 10, 11), now=at(2026, 3, 9, 21)) == at(2026, 3, 10, 9)


def test_the_window_edges_are_start_inclusive_and_end_exclusive():
    r = rules()
    assert not policy.is_allowed(r, at(2026, 3, 10, 8, 59))
    assert policy.is_allowed(r, at(2026, 3, 10, 9, 0))
    assert policy.is_allowed(r, at(2026, 3, 10, 19, 59))
    assert not policy.is_allowed(r, at(2026, 3, 10, 20, 0))
    assert not policy.is_allowed(r, at(2026, 3, 8, 12, 0))  # Sunday


def test_texts_may_use_a_sunday_and_a_wider_window():
    sms = policy.ContactRules(
        zones=(CHICAGO,),
        shop_zone=CHICAGO,
        window_start=time(8),
        window_end=time(21),
        sundays=True,
        closed_days=frozenset({date(2026, 3, 8)}),
        honour_closures=False,
    )
    assert policy.is_allowed(sms, at(2026, 3, 8, 20, 30))
    assert when(sms, at(2026, 3, 9, 10), now=at(2026, 3, 4, 12)) == at(2026, 3, 8, 8)


def test_the_retry_comes_later_in_the_window_or_not_at_all():
    r = rules()
    appointment = at(2026, 3, 11, 11)
    retry = policy.retry_time(
        r, now=at(2026, 3, 10, 9, 1), delay=timedelta(hours=2), appointment_start=appointment, min_lead=LEAD
    )
    assert retry.at == at(2026, 3, 10, 11, 1)
    late = policy.retry_time(
        r, now=at(2026, 3, 10, 19, 0), delay=timedelta(hours=2), appointment_start=appointment, min_lead=LEAD
    )
    assert late.at == at(2026, 3, 11, 9)  # next morning, still an hour before the appointment
    none = policy.retry_time(
        r,
        now=at(2026, 3, 10, 19, 0),
        delay=timedelta(hours=2),
        appointment_start=at(2026, 3, 11, 9, 30),
        min_lead=LEAD,
    )
    assert none.at is None and none.reason


def test_the_attempt_log_shows_the_customers_wall_clock():
    label = policy.local_time_label(datetime(2026, 3, 10, 16, tzinfo=UTC), (LOS_ANGELES,))
    assert label == "2026-03-10 09:00 PDT (America/Los_Angeles)"


def moved(r: policy.ContactRules, *, due: datetime, appointment: datetime, now: datetime) -> datetime | None:
    return policy.moved_reminder_time(r, due=due, appointment_start=appointment, now=now, min_lead=LEAD).at


def test_a_reminder_due_on_a_new_holiday_moves_to_the_nearest_earlier_allowed_day():
    # Due Tuesday 9:00 for Wednesday 10:00; Tuesday became a holiday; looked at on Saturday.
    tuesday_closed = rules(closed=(date(2026, 3, 10),))
    assert moved(
        tuesday_closed, due=at(2026, 3, 10, 9), appointment=at(2026, 3, 11, 10), now=at(2026, 3, 7, 8)
    ) == at(2026, 3, 9, 9)
    # Monday closed too: Sunday is never allowed, so Saturday, from now since its window is open.
    both = rules(closed=(date(2026, 3, 9), date(2026, 3, 10)))
    assert moved(both, due=at(2026, 3, 10, 9), appointment=at(2026, 3, 11, 10), now=at(2026, 3, 7, 12)) == at(
        2026, 3, 7, 12
    )


def test_a_moved_reminder_never_lands_on_the_appointment_day():
    # Found on the holiday itself: the earlier days are past and Wednesday morning is the appointment day.
    tuesday_closed = rules(closed=(date(2026, 3, 10),))
    assert (
        moved(tuesday_closed, due=at(2026, 3, 10, 9), appointment=at(2026, 3, 11, 14), now=at(2026, 3, 10, 9))
        is None
    )
    # Found before the window opens on an allowed day: later that same day is fine.
    assert moved(
        rules(), due=at(2026, 3, 10, 6), appointment=at(2026, 3, 11, 14), now=at(2026, 3, 10, 7)
    ) == at(2026, 3, 10, 9)
