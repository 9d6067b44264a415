from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections

from dealership.core.errors import ApplicationError
from integrations.errors import ProviderError
from scheduling.calendar_sync import (
    APPOINTMENT_PROPERTY,
    appointment_calendar_push,
    calendar_changes_pull,
    calendar_event_id_for,
)
from scheduling.models import Appointment, BusyBlock, CalendarSyncState, CalendarSyncStatus
from scheduling.selectors import availability_find
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from scheduling.tasks import calendar_pull_changes, calendar_push_appointment
from tests.fakes.server import unused_local_url

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=CHICAGO)  # a Monday morning
TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(shop, catalog, customer, eager_celery, django_capture_on_commit_callbacks):
    """Book through the real service; the commit hooks (our push) run as they would in production."""

    def book(start: datetime | None = None, notes: str = "", is_test: bool = False) -> Appointment:
        with django_capture_on_commit_callbacks(execute=True):
            appointment = appointment_book(
                customer=customer,
                service_code="oil_change",
                start=start or at(TUESDAY, 10),
                channel="ai_phone",
                notes=notes,
                is_test=is_test,
            )
        appointment.refresh_from_db()
        return appointment

    return book


def offered_times(day: date) -> list[str]:
    try:
        slots = availability_find(service_code="oil_change", preferred_date=day, limit=None).as_dicts()
    except ApplicationError:  # a day with no open time at all reads as closed
        return []
    return [slot["time"] for slot in slots if slot["date"] == day.isoformat()]


class TestPush:
    def test_it_pushes_a_booking_as_an_event_without_contact_details(self, google, book):
        appointment = book(notes="Grinding noise when braking, call me back at (312) 555-0147")

        (event,) = google.live_events()
        assert event["id"] == appointment.calendar_event_id == calendar_event_id_for(appointment.pk)
        assert event["summary"] == "Oil change — Dana W."
        assert event["start"] == {"dateTime": "2026-12-08T10:00:00-06:00", "timeZone": "America/Chicago"}
        assert event["end"] == {"dateTime": "2026-12-08T10:30:00-06:00", "timeZone": "America/Chicago"}
        assert event["extendedProperties"]["private"] == {APPOINTMENT_PROPERTY: str(appointment.pk)}
        assert "2019 Honda Civic" in event["description"]
        assert "Grinding noise when braking" in event["description"]
        assert "555" not in event["description"] and "555" not in event["summary"]
        assert appointment.calendar_sync_status == CalendarSyncStatus.SYNCED
        assert appointment.calendar_synced_at == NOW

    def test_a_test_booking_never_reaches_the_shops_calendar(self, google, book):
        """A booking made on the back office's test call holds capacity but is no real customer's."""
        appointment = book(is_test=True)

        assert google.live_events() == []
        assert appointment.calendar_sync_status == CalendarSyncStatus.OFF

    def test_it_moves_the_same_event_when_the_appointment_is_rescheduled(
        self, google, book, eager_celery, django_capture_on_commit_callbacks
    ):
        appointment = book()

        with django_capture_on_commit_callbacks(execute=True):
            appointment_reschedule(appointment_id=appointment.pk, start=at(WEDNESDAY, 14), channel="staff")

        (event,) = google.live_events()
        assert event["id"] == appointment.calendar_event_id
        assert event["start"]["dateTime"] == "2026-12-09T14:00:00-06:00"
        assert len(google.requests_for("insert")) == 1

    def test_it_deletes_the_event_when_the_appointment_is_cancelled(
        self, google, book, eager_celery, django_capture_on_commit_callbacks
    ):
        appointment = book()

        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(appointment_id=appointment.pk, channel="staff", reason="car sold")

        assert google.live_events() == []
        assert google.events[appointment.calendar_event_id]["status"] == "cancelled"
        appointment.refresh_from_db()
        assert appointment.calendar_sync_status == CalendarSyncStatus.SYNCED

    def test_it_never_duplicates_an_event_when_the_insert_answer_is_lost(self, google, book):
        google.lose_next_response("insert")

        appointment = book()

        (event,) = google.live_events()
        assert event["id"] == appointment.calendar_event_id
        assert len(google.requests_for("insert")) == 2  # the lost one, then the retry that got 409
        assert len(google.requests_for("patch")) == 1
        assert appointment.calendar_sync_status == CalendarSyncStatus.SYNCED

    def test_it_treats_a_cancel_whose_answer_was_lost_as_done_on_retry(
        self, google, book, eager_celery, django_capture_on_commit_callbacks
    ):
        appointment = book()
        google.lose_next_response("delete")

        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(appointment_id=appointment.pk, channel="staff")

        assert google.live_events() == []
        assert len(google.requests_for("delete")) == 2  # the second answered 410 Gone
        appointment.refresh_from_db()
        assert appointment.calendar_sync_status == CalendarSyncStatus.SYNCED

    def test_it_recreates_nothing_and_reports_synced_when_pushed_twice(self, google, book):
        appointment = book()

        assert appointment_calendar_push(appointment_id=appointment.pk) == "updated"

        assert len(google.live_events()) == 1

    def test_it_keeps_booking_while_google_is_unreachable_and_syncs_later(self, google, book, settings):
        fake_base, fake_token_uri = settings.GOOGLE_API_BASE_URL, settings.GOOGLE_TOKEN_URI
        settings.GOOGLE_API_BASE_URL = settings.GOOGLE_TOKEN_URI = unused_local_url()

        appointment = book()

        assert Appointment.objects.filter(pk=appointment.pk, status="scheduled").exists()
        assert appointment.calendar_sync_status == CalendarSyncStatus.FAILED
        assert "unreachable" in appointment.calendar_sync_error

        settings.GOOGLE_API_BASE_URL, settings.GOOGLE_TOKEN_URI = fake_base, fake_token_uri
        calendar_pull_changes()  # the periodic task re-queues failed pushes

        appointment.refresh_from_db()
        assert appointment.calendar_sync_status == CalendarSyncStatus.SYNCED
        assert appointment.calendar_sync_error == ""
        assert [e["id"] for e in google.live_events()] == [appointment.calendar_event_id]

    def test_it_stops_retrying_when_google_refuses_for_good(self, google, book):
        google.fail_next("insert", 403, "forbidden", "The calendar isn't shared with this account.")

        appointment = book()

        assert len(google.requests_for("insert")) == 1
        assert appointment.calendar_sync_status == CalendarSyncStatus.FAILED
        assert "isn't shared" in appointment.calendar_sync_error

    def test_it_retries_transient_failures_until_the_push_succeeds(self, google, book):
        google.fail_next("insert", 503)
        google.fail_next("insert", 500)

        appointment = book()

        assert len(google.requests_for("insert")) == 3
        assert len(google.live_events()) == 1
        assert appointment.calendar_sync_status == CalendarSyncStatus.SYNCED

    @pytest.mark.django_db(transaction=True)
    def test_it_pushes_a_move_that_commits_while_an_earlier_push_is_in_flight(
        self, google, shop, catalog, customer, settings
    ):
        settings.GOOGLE_CALENDAR_ID = ""  # booked before sync is on: no task queued
        appointment = appointment_book(
            customer=customer, service_code="oil_change", start=at(TUESDAY, 10), channel="staff"
        )
        google.configure(settings)

        def advisor_moves_it() -> None:
            try:  # another connection commits while the insert's answer is on its way
                Appointment.objects.filter(pk=appointment.pk).update(
                    start=at(WEDNESDAY, 14), end=at(WEDNESDAY, 14, 30), local_date=WEDNESDAY
                )
            finally:
                connections.close_all()

        google.before_next_answer("insert", advisor_moves_it)

        appointment_calendar_push(appointment_id=appointment.pk)

        (event,) = google.live_events()
        assert event["start"]["dateTime"] == "2026-12-09T14:00:00-06:00"
        assert len(google.requests_for("patch")) == 1

    def test_it_does_nothing_while_sync_is_off(self, book, settings):
        settings.GOOGLE_CALENDAR_ID = ""

        appointment = book()

        assert appointment.calendar_sync_status == CalendarSyncStatus.OFF
        assert calendar_push_appointment(appointment.pk) == "off"
        assert calendar_pull_changes() == "off"
        assert calendar_changes_pull() is None


class TestPull:
    def test_it_blocks_availability_with_a_google_only_event(self, google, shop, catalog):
        google.add_event("Lift 2 maintenance", at(TUESDAY, 10), at(TUESDAY, 12))
        assert "10:00" in offered_times(TUESDAY)

        calendar_changes_pull()

        times = offered_times(TUESDAY)
        assert not {"10:00", "10:30", "11:00", "11:30"} & set(times)
        assert {"9:30", "12:00"} <= {t.lstrip("0") for t in times}
        (block,) = BusyBlock.objects.all()
        assert (block.source, block.summary) == ("google", "Lift 2 maintenance")

    def test_it_ignores_our_own_free_and_cancelled_events(self, google, book):
        book()
        google.add_event("Lunch", at(TUESDAY, 12), at(TUESDAY, 13), transparency="transparent")
        gone = google.add_event("Staff meeting", at(TUESDAY, 8), at(TUESDAY, 9))
        google.cancel_event(gone["id"])

        calendar_changes_pull()

        assert not BusyBlock.objects.exists()

    def test_it_ends_all_day_events_exclusively(self, google, shop, catalog):
        google.add_event("Shop painting", TUESDAY, WEDNESDAY)

        calendar_changes_pull()

        (block,) = BusyBlock.objects.all()
        assert (block.start, block.end) == (at(TUESDAY, 0), at(WEDNESDAY, 0))
        assert offered_times(TUESDAY) == []
        assert offered_times(WEDNESDAY)[0] == "07:30"

    def test_it_pulls_incrementally_with_the_sync_token(self, google, shop):
        calendar_changes_pull()
        first_token = CalendarSyncState.objects.get().sync_token
        added = google.add_event("Alignment rack calibration", at(TUESDAY, 14), at(TUESDAY, 15))

        result = calendar_changes_pull()

        assert result is not None and not result.full
        assert BusyBlock.objects.get().external_id == added["id"]
        second = google.requests_for("list")[-1]
        assert second.query["syncToken"] == first_token
        assert "timeMin" not in second.query

        google.cancel_event(added["id"])
        calendar_changes_pull()

        assert not BusyBlock.objects.exists()

    def test_it_moves_a_block_when_the_google_event_moves(self, google, shop):
        event = google.add_event("Bay closed", at(TUESDAY, 9), at(TUESDAY, 10))
        calendar_changes_pull()

        google.change_event(
            event["id"],
            start={"dateTime": at(WEDNESDAY, 9).isoformat()},
            end={"dateTime": at(WEDNESDAY, 11).isoformat()},
        )
        calendar_changes_pull()

        (block,) = BusyBlock.objects.all()
        assert (block.start, block.end) == (at(WEDNESDAY, 9), at(WEDNESDAY, 11))

    def test_it_resyncs_fully_when_google_expires_the_sync_token(self, google, shop):
        kept = google.add_event("Bay 1 closed", at(TUESDAY, 9), at(TUESDAY, 10))
        dropped = google.add_event("Bay 2 closed", at(TUESDAY, 13), at(TUESDAY, 14))
        calendar_changes_pull()
        google.cancel_event(dropped["id"])
        google.expire_sync_tokens()
        stale_token = CalendarSyncState.objects.get().sync_token

        result = calendar_changes_pull()

        assert result is not None and result.full
        assert list(BusyBlock.objects.values_list("external_id", flat=True)) == [kept["id"]]
        refused, relisted = google.requests_for("list")[-2:]
        assert refused.query["syncToken"] == stale_token
        assert "syncToken" not in relisted.query and "timeMin" in relisted.query
        state = CalendarSyncState.objects.get()
        assert state.sync_token not in ("", stale_token)
        assert state.last_full_sync_at == NOW

    def test_it_keeps_blocks_added_by_hand_on_a_full_resync(self, google, shop):
        BusyBlock.objects.create(start=at(TUESDAY, 8), end=at(TUESDAY, 9), source="manual")

        calendar_changes_pull()

        assert BusyBlock.objects.filter(source="manual").count() == 1

    def test_it_reads_every_page(self, google, shop):
        google.page_size = 2
        for hour in range(8, 13):
            google.add_event(f"Block {hour}", at(TUESDAY, hour), at(TUESDAY, hour, 30))

        calendar_changes_pull()

        assert BusyBlock.objects.count() == 5

    def test_it_records_a_failed_pull_for_the_admin_and_clears_it_after(self, google, shop):
        google.fail_next("list", 500, "backendError")

        with pytest.raises(ProviderError):
            calendar_changes_pull()

        state = CalendarSyncState.objects.get()
        assert "500" in state.last_error and state.last_error_at == NOW
        assert state.sync_token == ""

        calendar_changes_pull()

        state.refresh_from_db()
        assert (state.last_error, state.last_pull_at) == ("", NOW)

    def test_it_retries_a_failed_pull_from_the_periodic_task(self, google, shop, eager_celery):
        google.fail_next("list", 503)
        google.add_event("Bay closed", at(TUESDAY, 9), at(TUESDAY, 10))

        calendar_pull_changes.apply_async()

        assert BusyBlock.objects.count() == 1
        assert CalendarSyncState.objects.get().last_error == ""

    def test_it_skips_events_with_unreadable_times(self, google, shop):
        broken = google.add_event("Broken", at(TUESDAY, 9), at(TUESDAY, 10))
        google.change_event(broken["id"], start={"dateTime": "next tuesday-ish"})
        google.add_event("Fine", at(TUESDAY, 11), at(TUESDAY, 12))

        calendar_changes_pull()

        assert list(BusyBlock.objects.values_list("summary", flat=True)) == ["Fine"]


def test_it_uses_utc_instants_for_blocks(google, shop):
    google.add_event(
        "Overnight", datetime(2026, 12, 8, 23, 0, tzinfo=UTC), datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    )

    calendar_changes_pull()

    block = BusyBlock.objects.get()
    assert block.end - block.start == timedelta(hours=2)
