"""The dashboard's figures are the admin lists' counts: each figure's link opens the changelist with its
filters, and that list holds exactly the rows the figure counts (sums, for money). Test calls and test
bookings are in the data and in none of the figures."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db.models import Sum
from django.test import Client

from insights import rollup
from insights.models import CallDay
from insights.selectors import Figure, dashboard_figures
from reminders.models import ConsentEvent, Reminder, ReminderAttempt
from scheduling.models import Appointment, AppointmentChange
from voice.models import Call, CallbackRequest, ToolCall, Turn

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=CHICAGO)  # a Wednesday afternoon
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=CHICAGO)  # open 7:30 AM – 6 PM
TUESDAY_NIGHT = datetime(2026, 11, 24, 21, 30, tzinfo=CHICAGO)
SATURDAY_MORNING = datetime(2026, 11, 21, 9, 0, tzinfo=CHICAGO)  # open, but the weekend
Outcome = Call.Outcome
Status = Appointment.Status
AI = Appointment.Channel.AI_PHONE


def _call(sid: str, started: datetime, outcome: str = "", *, is_test: bool = False, **extra) -> Call:
    return Call.objects.create(
        call_sid=sid,
        started_at=started,
        outcome=outcome,
        status=Call.Status.COMPLETED,
        is_test=is_test,
        **extra,
    )


@pytest.fixture
def weeks(shop, catalog, customer, make_appointment) -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        booked = _call("CA1", TUESDAY_NOON, Outcome.BOOKED)
        asked = _call("CA2", TUESDAY_NIGHT, Outcome.MESSAGE_TAKEN, last_error="Deepgram: HTTP 503")
        _call("CA3", SATURDAY_MORNING, Outcome.INFORMATION)
        _call("CA4", TUESDAY_NOON - timedelta(hours=1), Outcome.ABANDONED)
        _call("CA5", NOW - timedelta(days=40), Outcome.BOOKED)  # before the 30 days
        _call("CAout", TUESDAY_NOON, direction=Call.Direction.OUTBOUND)  # a reminder call, not answered
        test = _call("CAtest", TUESDAY_NOON, Outcome.BOOKED, is_test=True, last_error="OpenAI: 500")
        for call in (booked, asked, test):
            ToolCall.objects.create(call=call, name="check_availability")
        for call, ms in ((booked, 700), (booked, 900), (asked, 1500), (test, 9000)):
            Turn.objects.create(call=call, seq=ms, role="agent", started_at=call.started_at, response_ms=ms)

        # The AI's bookings: one completed and paid, one no-show, one ahead, one cancelled; a test one.
        last_week = NOW - timedelta(days=6)
        paid = make_appointment(customer, last_week, status=Status.COMPLETED, channel=AI, call=booked)
        Appointment.objects.filter(pk=paid.pk).update(invoice_total=Decimal("212.40"))
        missed = make_appointment(customer, last_week + timedelta(hours=2), "brake_inspection", channel=AI)
        Appointment.objects.filter(pk=missed.pk).update(status=Status.NO_SHOW)
        make_appointment(customer, NOW + timedelta(days=2), "tire_rotation", channel=AI)
        make_appointment(customer, NOW + timedelta(days=3), channel=AI, status=Status.CANCELLED)
        make_appointment(customer, NOW + timedelta(days=3), channel=AI, is_test=True)
        make_appointment(customer, last_week, status=Status.COMPLETED, is_test=True, channel=AI)
        staff_visit = make_appointment(customer, last_week + timedelta(hours=3), status=Status.COMPLETED)

        # Reminders: the paid one confirmed on the call, the missed one never answered, the staff
        # booking's customer opted out on the reminder call.
        for appointment, outcome in ((paid, "completed"), (missed, "no_answer"), (staff_visit, "completed")):
            reminder = Reminder.objects.create(
                appointment=appointment,
                status=Reminder.Status.DELIVERED if outcome == "completed" else Reminder.Status.FAILED,
            )
            reminder_call = _call(f"CAr{appointment.pk}", last_week - timedelta(days=1), direction="outbound")
            ReminderAttempt.objects.create(
                reminder=reminder,
                kind="call",
                started_at=last_week - timedelta(days=1),
                outcome=outcome,
                call=reminder_call,
            )
            if appointment == paid:
                AppointmentChange.objects.create(
                    appointment=paid, kind="status", channel=AI, detail="scheduled → confirmed (by voice)"
                )
            if appointment == staff_visit:
                ConsentEvent.objects.create(
                    phone=customer.phone, action="opt_out", scope="calls", source="voice_phrase",
                    call=reminder_call, at=last_week,
                )  # fmt: skip

        CallbackRequest.objects.create(call=asked, phone=customer.phone, reason="Brakes")
        CallbackRequest.objects.create(call=test, phone=customer.phone, reason="Test call message")
        yield


def _list(client: Client, figure: Figure):
    response = client.get(figure.url)
    assert response.status_code == 200, figure.url
    return response.context["cl"].queryset


def _assert_every_figure_is_its_list(client: Client, board) -> None:
    counted = [
        board.calls,
        *board.calls_rang,
        *board.outcomes,
        board.booking_rate.part,
        board.booking_rate.whole,
        *board.reminder_results,
        board.no_show_reminded.part,
        board.no_show_reminded.whole,
        board.no_show_not_reminded.part,
        board.no_show_not_reminded.whole,
        board.callbacks_open,
        board.provider_errors,
    ]
    for figure in counted:
        assert _list(client, figure).count() == figure.value, figure.label
    booked = _list(client, board.revenue_booked).aggregate(total=Sum("price_quoted"))["total"]
    realised = _list(client, board.revenue_realised).aggregate(total=Sum("invoice_total"))["total"]
    assert booked == board.revenue_booked.value
    assert realised == board.revenue_realised.value


# NOW: Tuesday's calls are yesterday's (live); LATER: every call of the fixture is on a settled day, so
# the second view reads the call figures from the kept days.
LATER = NOW + timedelta(days=7)


@pytest.mark.django_db
@pytest.mark.parametrize("now", [NOW, LATER], ids=["yesterday live", "settled days kept"])
@pytest.mark.parametrize("kind", ["day", "month"])
def test_every_figure_is_what_its_admin_list_shows(weeks, client, now, kind):
    client.force_login(User.objects.create_superuser("owner", password="pw-12345678"))
    with time_machine.travel(now, tick=False):
        cold = dashboard_figures(kind=kind)
        warm = dashboard_figures(kind=kind)
        _assert_every_figure_is_its_list(client, warm)

    assert warm == cold
    assert warm.calls.value == (4 if kind == "day" else 5)


@pytest.mark.django_db
def test_it_leaves_test_calls_and_test_bookings_out(weeks, catalog):
    with time_machine.travel(NOW, tick=False):
        board = dashboard_figures(kind="day")

    assert board.calls.value == 4  # inbound, real, in the last 30 days
    assert [f.value for f in board.calls_rang] == [2, 1, 1]  # open, after hours, weekend
    assert {f.label: f.value for f in board.outcomes}["Booked"] == 1
    assert (board.booking_rate.part.value, board.booking_rate.whole.value) == (1, 2)
    expected = (
        catalog["oil_change"].price + catalog["brake_inspection"].price + catalog["tire_rotation"].price
    )
    assert board.revenue_booked.value == expected
    assert board.revenue_realised.value == Decimal("212.40")
    results = {f.label: f.value for f in board.reminder_results}
    assert (results["Confirmed"], results["No answer"], results["Opted out"]) == (1, 1, 1)
    assert (board.no_show_reminded.part.value, board.no_show_reminded.whole.value) == (0, 2)
    assert (board.no_show_not_reminded.part.value, board.no_show_not_reminded.whole.value) == (1, 1)
    assert board.callbacks_open.value == 1
    assert board.provider_errors.value == 1
    tuesday = board.labels.index("Nov 24")
    assert board.latency_p50[tuesday] == 900  # 700, 900, 1500: the test call's 9,000 ms is not there
    assert board.latency_p95[tuesday] == pytest.approx(1440)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "buckets", "first"), [("week", 12, "Sep 7"), ("month", 12, "Dec 2025")])
def test_weeks_and_months_cover_the_same_calls(weeks, kind, buckets, first):
    with time_machine.travel(NOW, tick=False):
        board = dashboard_figures(kind=kind)

    assert len(board.labels) == buckets
    assert board.labels[0] == first
    assert board.calls.value == 5  # the call of 40 days ago is inside 12 weeks and 12 months
    assert sum(sum(per_bucket) for per_bucket in board.calls_per_bucket.values()) == 5
    assert sum(sum(hours) for hours in board.calls_per_hour.values()) == 5


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_rows(weeks, customer, make_appointment):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            dashboard_figures(kind="day")
        return len(captured)

    queries()  # the shop's row is cached and the settled days are kept after the first view
    warm = queries()
    for n in range(30):
        call = _call(f"CAmore{n}", TUESDAY_NOON - timedelta(days=n % 20), Outcome.BOOKED)
        visit = make_appointment(customer, TUESDAY_NOON - timedelta(days=n % 20), channel=AI, call=call)
        Reminder.objects.create(appointment=visit, status=Reminder.Status.DELIVERED)
        CallbackRequest.objects.create(call=call, phone=customer.phone, reason="More")
    cold = queries()  # the new calls' settled days were dropped: computed again, all in one go

    assert queries() == warm
    rollup.forget()  # every day to compute again: still the same queries, not one per day
    assert queries() == cold


@pytest.mark.django_db
def test_settled_days_are_kept_and_still_leave_test_calls_out(weeks):
    with time_machine.travel(LATER, tick=False):
        dashboard_figures(kind="day")
        assert CallDay.objects.filter(day=TUESDAY_NOON.date()).exists()
        board = dashboard_figures(kind="day")

    assert board.calls.value == 4
    assert [f.value for f in board.calls_rang] == [2, 1, 1]
    assert (board.booking_rate.part.value, board.booking_rate.whole.value) == (1, 2)
    assert board.provider_errors.value == 1  # the test call's error is not there
    tuesday = board.labels.index("Nov 24")
    assert board.latency_p50[tuesday] == 900  # the test call's 9,000 ms is not there
    assert board.latency_p95[tuesday] == pytest.approx(1440)


@pytest.mark.django_db
def test_a_late_change_to_a_settled_day_shows_at_once(weeks, client):
    """An old call edited or erased, a tool call recorded on one, the weekly hours changed: the kept days
    are computed again, and every figure is still its list."""
    from scheduling.models import BusinessHours

    client.force_login(User.objects.create_superuser("owner", password="pw-12345678"))
    with time_machine.travel(LATER, tick=False):
        dashboard_figures(kind="day")  # keeps the fixture's days
        abandoned = Call.objects.get(call_sid="CA4")
        abandoned.outcome = Outcome.BOOKED
        abandoned.save()
        ToolCall.objects.create(call=abandoned, name="schedule_appointment")
        Call.objects.get(call_sid="CA3").delete()  # Saturday's call, erased
        BusinessHours.objects.filter(weekday=1).update(closes="11:30")  # Tuesday noon is after hours now
        board = dashboard_figures(kind="day")
        _assert_every_figure_is_its_list(client, board)

    assert board.calls.value == 3
    assert {f.label: f.value for f in board.outcomes}["Booked"] == 2
    assert (board.booking_rate.part.value, board.booking_rate.whole.value) == (2, 3)
    assert [f.value for f in board.calls_rang] == [1, 2, 0]  # open, after hours, weekend


@pytest.mark.django_db
def test_the_median_wait_of_handled_callbacks(weeks, customer):
    asked = Call.objects.get(call_sid="CA2")
    with time_machine.travel(NOW, tick=False):
        for minutes in (10, 20, 30, 100):
            request = CallbackRequest.objects.create(call=asked, phone=customer.phone, reason="Call me")
            CallbackRequest.objects.filter(pk=request.pk).update(
                handled=True, handled_at=request.created_at + timedelta(minutes=minutes)
            )
        board = dashboard_figures(kind="day")

    assert board.callbacks_median_wait == timedelta(minutes=25)  # between 20 and 30, as statistics.median


@pytest.mark.django_db
def test_a_response_time_added_to_a_settled_day_counts(weeks):
    with time_machine.travel(LATER, tick=False):
        before = dashboard_figures(kind="day")
        Turn.objects.create(
            call=Call.objects.get(call_sid="CA1"),
            seq=1,
            role="agent",
            started_at=TUESDAY_NOON,
            response_ms=3100,
        )
        after = dashboard_figures(kind="day")

    tuesday = before.labels.index("Nov 24")
    assert before.latency_p50[tuesday] == 900  # 700, 900, 1500
    assert after.latency_p50[tuesday] == 1200  # 700, 900, 1500, 3100
