"""The demo's past four weeks: calls with outcomes and summaries, the appointments the AI and the
advisors booked, closed (completed with the invoice, no-show, cancelled), reminders and what came of
them, handled callbacks, so the owner's dashboard shows real figures on first run. Seeding again adds
nothing."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from insights.selectors import dashboard_figures
from reminders.models import Reminder
from scheduling.models import Appointment
from voice.models import Call, CallbackRequest, Turn

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=CHICAGO)
TODAY = NOW.date()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo(settings):
    settings.DEBUG = True  # the demo loads only in the local demo
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=StringIO())
        yield


def test_it_writes_weeks_of_past_calls_with_outcomes_and_summaries():
    past = Call.objects.filter(call_sid__startswith="CAhist", direction=Call.Direction.INBOUND)
    assert past.count() >= 200
    assert {c.started_at.astimezone(CHICAGO).date() for c in past} >= {
        TODAY - timedelta(days=d) for d in range(1, 29)
    }
    assert not past.filter(started_at__gte=NOW.replace(hour=0)).exists()  # history ends yesterday
    assert set(past.values_list("outcome", flat=True)) == {o for o in Call.Outcome.values if o}
    assert not past.filter(summary="").exists()
    assert Turn.objects.filter(call__in=past, response_ms__isnull=False).count() >= past.count()
    assert past.filter(created_at=F("started_at")).count() == past.count()  # listed when they rang


def test_past_appointments_are_closed_by_the_advisors():
    past = Appointment.objects.filter(local_date__lt=TODAY)
    statuses = set(past.values_list("status", flat=True))
    assert statuses == {
        Appointment.Status.COMPLETED,
        Appointment.Status.NO_SHOW,
        Appointment.Status.CANCELLED,
    }
    completed = past.filter(status=Appointment.Status.COMPLETED)
    assert not completed.filter(invoice_total__isnull=True).exists()
    assert past.filter(channel=Appointment.Channel.AI_PHONE, call__outcome=Call.Outcome.BOOKED).count() >= 40
    assert not past.exclude(status=Appointment.Status.COMPLETED).filter(invoice_total__isnull=False).exists()
    assert Reminder.objects.filter(appointment__in=past).count() >= past.count() // 2
    assert not CallbackRequest.objects.filter(call__call_sid__startswith="CAhist", handled=False).exists()


def test_the_dashboard_has_a_figure_in_every_panel():
    with time_machine.travel(NOW, tick=False):
        board = dashboard_figures(kind="day")

    assert board.calls.value >= 200
    assert all(f.value for f in board.calls_rang)  # open hours, after hours and weekend calls
    assert 0 < board.booking_rate.percent < 100
    assert board.revenue_booked.value > 0 and board.revenue_realised.value > 0
    assert all(f.value for f in board.reminder_results)
    assert board.no_show_not_reminded.percent > board.no_show_reminded.percent
    assert board.callbacks_median_wait is not None
    assert sum(p is not None for p in board.latency_p50) >= 28
    assert board.provider_errors.value > 0


def test_seeding_again_adds_no_history():
    before = (Call.objects.count(), Appointment.objects.count(), Reminder.objects.count())
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        out = StringIO()
        call_command("seed_demo", stdout=out)

    assert (Call.objects.count(), Appointment.objects.count(), Reminder.objects.count()) == before
    assert "past calls 0 new" in out.getvalue()
