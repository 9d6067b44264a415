import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.calendar import (
    CalendarClient,
    EventExists,
    SyncTokenExpired,
    calendar_is_configured,
)
from integrations.errors import ProviderError
from tests.fakes.fake_google import JWT_BEARER, FakeGoogle
from tests.fakes.server import unused_local_url

SERVICE_ACCOUNT = "calendar-sync@shop-project.iam.gserviceaccount.com"
START = {"dateTime": "2030-03-05T10:00:00-06:00", "timeZone": "America/Chicago"}
END = {"dateTime": "2030-03-05T10:30:00-06:00", "timeZone": "America/Chicago"}


@pytest.fixture
def google(settings) -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.configure(settings)
        yield fake


@pytest.fixture
def client(google) -> Iterator[CalendarClient]:
    with CalendarClient(timeout=5) as calendar:
        yield calendar


def event(event_id: str = "appt00001", **extra) -> dict:
    return {"id": event_id, "summary": "Oil change — Dana W.", "start": START, "end": END, **extra}


def service_account_file(tmp_path, private_key: rsa.RSAPrivateKey) -> str:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "shop-project",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": SERVICE_ACCOUNT,
        "client_id": "1234567890",
        # Google's own endpoint, as in a real key file: GOOGLE_TOKEN_URI must override it.
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return str(path)


class TestConfiguration:
    def test_it_is_off_without_a_calendar_id_or_credentials(self, settings):
        settings.GOOGLE_CALENDAR_ID = ""
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""

        assert not calendar_is_configured()
        with pytest.raises(ProviderError) as raised:
            CalendarClient()
        assert raised.value.permanent

    def test_it_is_off_with_an_incomplete_user_grant(self, settings):
        settings.GOOGLE_CALENDAR_ID = "shop@group.calendar.google.com"
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""
        settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "id", "secret"
        settings.GOOGLE_REFRESH_TOKEN = ""

        assert not calendar_is_configured()


class TestSignIn:
    def test_it_refreshes_a_user_token_at_the_overridden_token_uri(self, google, client):
        client.insert_event(event())

        (grant,) = google.token_requests
        assert grant["grant_type"] == "refresh_token"
        assert grant["refresh_token"] == "1//fake-refresh-token"
        (insert,) = google.requests_for("insert")
        assert insert.authorization.startswith("Bearer ya29.fake-")

    def test_it_signs_in_with_a_service_account_key_file(self, google, settings, tmp_path):
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        google.trust_service_account(SERVICE_ACCOUNT, private_key.public_key())
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = service_account_file(tmp_path, private_key)
        settings.GOOGLE_CLIENT_ID = settings.GOOGLE_CLIENT_SECRET = settings.GOOGLE_REFRESH_TOKEN = ""

        with CalendarClient(timeout=5) as calendar:
            created = calendar.insert_event(event())

        assert created["id"] == "appt00001"
        (grant,) = google.token_requests
        assert grant["grant_type"] == JWT_BEARER

    def test_it_reports_a_key_google_does_not_know_as_permanent(self, google, settings, tmp_path):
        google.trust_service_account(SERVICE_ACCOUNT, rsa.generate_private_key(65537, 2048).public_key())
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = service_account_file(tmp_path, private_key)

        with CalendarClient(timeout=5) as calendar, pytest.raises(ProviderError) as raised:
            calendar.insert_event(event())

        assert raised.value.permanent
        assert "Invalid JWT Signature" in raised.value.message
        assert google.live_events() == []

    def test_it_reports_an_unreadable_service_account_file_as_permanent(self, google, settings, tmp_path):
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = str(tmp_path / "missing.json")

        with pytest.raises(ProviderError) as raised:
            CalendarClient()

        assert raised.value.permanent

    def test_it_reports_a_revoked_refresh_token_as_permanent(self, google, settings):
        settings.GOOGLE_REFRESH_TOKEN = "1//revoked"

        with CalendarClient(timeout=5) as calendar, pytest.raises(ProviderError) as raised:
            calendar.insert_event(event())

        assert raised.value.permanent
        assert "invalid_grant" in raised.value.message

    def test_it_signs_in_again_when_the_access_token_stops_working(self, google, client):
        client.insert_event(event("first0001"))
        google.expire_access_tokens()

        client.insert_event(event("second001"))

        assert len(google.token_requests) == 2
        assert {e["id"] for e in google.live_events()} == {"first0001", "second001"}


class TestEvents:
    def test_it_answers_event_exists_when_an_id_is_inserted_twice(self, google, client):
        client.insert_event(event())

        with pytest.raises(EventExists):
            client.insert_event(event(summary="again"))

        assert [e["summary"] for e in google.live_events()] == ["Oil change — Dana W."]

    def test_it_keeps_a_deleted_events_id_reserved(self, client):
        client.insert_event(event())
        client.delete_event("appt00001")

        with pytest.raises(EventExists):
            client.insert_event(event())

    def test_it_patches_only_the_given_fields(self, client):
        client.insert_event(event(extendedProperties={"private": {"dealership_appointment_id": "7"}}))
        later = {"dateTime": "2030-03-05T13:00:00-06:00", "timeZone": "America/Chicago"}

        patched = client.patch_event("appt00001", {"start": later})

        assert patched["start"]["dateTime"] == later["dateTime"]
        assert patched["summary"] == "Oil change — Dana W."
        assert patched["extendedProperties"]["private"] == {"dealership_appointment_id": "7"}

    def test_it_treats_deleting_a_deleted_or_unknown_event_as_done(self, client):
        client.insert_event(event())

        assert client.delete_event("appt00001") is True
        assert client.delete_event("appt00001") is False
        assert client.delete_event("neverexisted") is False

    def test_it_returns_a_deleted_event_as_cancelled(self, client):
        client.insert_event(event())
        client.delete_event("appt00001")

        assert client.get_event("appt00001")["status"] == "cancelled"


class TestListing:
    def test_it_follows_every_page_of_a_full_listing(self, google, client):
        google.page_size = 2
        for day in range(1, 6):
            google.add_event(f"Bay closed {day}", date(2030, 3, day), date(2030, 3, day + 1))

        changes = client.list_changes(time_min=datetime(2030, 1, 1, tzinfo=UTC))

        assert sorted(e["summary"] for e in changes.events) == [f"Bay closed {d}" for d in range(1, 6)]
        assert changes.next_sync_token
        lists = google.requests_for("list")
        assert len(lists) == 3
        assert lists[0].query["timeMin"] == "2030-01-01T00:00:00Z"
        assert "pageToken" in lists[1].query and "pageToken" in lists[2].query

    def test_it_lists_only_changes_since_the_sync_token(self, google, client):
        kept = google.add_event("Lift inspection", date(2030, 3, 2), date(2030, 3, 3))
        removed = google.add_event("Training", date(2030, 3, 4), date(2030, 3, 5))
        first = client.list_changes(time_min=datetime(2030, 1, 1, tzinfo=UTC))
        google.cancel_event(removed["id"])
        added = google.add_event("Bay 2 resurfacing", date(2030, 3, 9), date(2030, 3, 10))

        changes = client.list_changes(sync_token=first.next_sync_token)

        assert {(e["id"], e["status"]) for e in changes.events} == {
            (removed["id"], "cancelled"),
            (added["id"], "confirmed"),
        }
        assert kept["id"] not in {e["id"] for e in changes.events}
        last = google.requests_for("list")[-1]
        assert last.query["syncToken"] == first.next_sync_token
        assert "timeMin" not in last.query
        assert changes.next_sync_token != first.next_sync_token

    def test_it_raises_sync_token_expired_when_google_wants_a_full_sync(self, google, client):
        token = client.list_changes(time_min=datetime(2030, 1, 1, tzinfo=UTC)).next_sync_token
        google.expire_sync_tokens()

        with pytest.raises(SyncTokenExpired):
            client.list_changes(sync_token=token)


class TestFailures:
    def test_it_reports_unreachable_google_as_transient(self, google, settings):
        settings.GOOGLE_API_BASE_URL = settings.GOOGLE_TOKEN_URI = unused_local_url()

        with CalendarClient(timeout=2) as calendar, pytest.raises(ProviderError) as raised:
            calendar.insert_event(event())

        assert not raised.value.permanent

    def test_it_reports_a_lost_answer_as_transient_although_the_insert_happened(self, google, client):
        google.lose_next_response("insert")

        with pytest.raises(ProviderError) as raised:
            client.insert_event(event())

        assert not raised.value.permanent
        assert [e["id"] for e in google.live_events()] == ["appt00001"]

    @pytest.mark.parametrize(
        ("status", "reason", "permanent"),
        [
            (500, "backendError", False),
            (503, "backendError", False),
            (429, "rateLimitExceeded", False),
            (403, "rateLimitExceeded", False),
            (403, "forbidden", True),
            (400, "invalid", True),
        ],
    )
    def test_it_tells_transient_from_permanent_errors(self, google, client, status, reason, permanent):
        google.fail_next("insert", status, reason)

        with pytest.raises(ProviderError) as raised:
            client.insert_event(event())

        assert raised.value.permanent is permanent
        assert str(status) in raised.value.message
