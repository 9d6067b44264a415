"""The calendar sync pages of the admin: what advisors see when Google sync fails, and the fixes."""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from scheduling.admin_calendar import OFF_NOTE
from scheduling.models import Appointment, CalendarSyncState, CalendarSyncStatus
from scheduling.services import appointment_book

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=CHICAGO)
STATE_LIST = reverse("admin:scheduling_calendarsyncstate_changelist")
APPOINTMENT_LIST = reverse("admin:scheduling_appointmentcalendarsync_changelist")


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def failed_push(shop, catalog, customer) -> Appointment:
    appointment = appointment_book(
        customer=customer,
        service_code="oil_change",
        start=datetime(2026, 12, 8, 10, 0, tzinfo=CHICAGO),
        channel="staff",
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        calendar_sync_status=CalendarSyncStatus.FAILED,
        calendar_sync_error="Google Calendar unreachable during insert (ConnectionError)",
    )
    return appointment


def test_it_shows_the_last_pull_error(admin_client, google):
    CalendarSyncState.objects.create(
        calendar_id=google.calendar_id, sync_token="t1", last_error="HTTP 403 forbidden: not shared"
    )

    response = admin_client.get(STATE_LIST)

    assert response.status_code == 200
    assert "HTTP 403 forbidden: not shared" in response.content.decode()


def test_it_says_when_sync_is_off(admin_client, settings):
    settings.GOOGLE_CALENDAR_ID = ""

    response = admin_client.get(STATE_LIST, follow=True)

    assert OFF_NOTE in [str(m) for m in response.context["messages"]]


def test_it_forgets_the_sync_token_so_the_next_pull_is_full(admin_client, google):
    state = CalendarSyncState.objects.create(calendar_id=google.calendar_id, sync_token="t1")

    admin_client.post(STATE_LIST, {"action": "resync_from_scratch", "_selected_action": [state.pk]})

    state.refresh_from_db()
    assert state.sync_token == ""


def test_it_lists_appointments_whose_push_failed_with_the_reason(admin_client, failed_push):
    response = admin_client.get(APPOINTMENT_LIST, {"calendar_sync_status__exact": "failed"})

    assert response.status_code == 200
    assert "Google Calendar unreachable during insert" in response.content.decode()


def test_it_pushes_again_from_the_admin(admin_client, google, eager_celery, failed_push):
    admin_client.post(APPOINTMENT_LIST, {"action": "push_again", "_selected_action": [failed_push.pk]})

    failed_push.refresh_from_db()
    assert failed_push.calendar_sync_status == CalendarSyncStatus.SYNCED
    assert failed_push.calendar_sync_error == ""
    assert [e["id"] for e in google.live_events()] == [failed_push.calendar_event_id]
