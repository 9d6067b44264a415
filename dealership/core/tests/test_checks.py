"""/health/ready/: strict readiness from the one checks selector (and /health/ stays liveness)."""

from datetime import timedelta

import pytest
from django.test import override_settings

from dealership.core.checks import checks_ready, checks_run
from dealership.core.heartbeats import heartbeat_record
from dealership.core.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings) -> None:
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_PHONE_NUMBER = "+13125550100"
    settings.OPENAI_API_KEY = "sk-test"
    settings.DEEPGRAM_API_KEY = "dg-test"
    settings.VOICE_ENGINE = "cascade"
    settings.VOICE_ENGINE_BY_NUMBER = {}
    settings.GOOGLE_CALENDAR_ID = ""


@pytest.fixture
def alive() -> None:
    heartbeat_record(name="worker")
    heartbeat_record(name="beat")


def test_it_is_ready_when_every_required_part_is_there(client, configured, alive):
    response = client.get("/health/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert list(body["checks"]) == [
        "database",
        "redis",
        "worker",
        "beat",
        "twilio",
        "openai",
        "deepgram",
        "google_calendar",
    ]
    assert body["checks"]["google_calendar"] == {
        "state": "not_configured",
        "required": False,
        "ok": True,
        "message": "GOOGLE_CALENDAR_ID and Google credentials not set: calendar sync is off.",
    }


def test_it_is_not_ready_when_the_worker_stopped_beating(client, configured, alive, time_machine):
    time_machine.move_to(Heartbeat.objects.get(name="worker").at + timedelta(minutes=2, seconds=30))
    heartbeat_record(name="beat")

    response = client.get("/health/ready/")

    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["state"] == "stale" and not worker["ok"]
    assert "No sign of a Celery worker for 2 min" in worker["message"]


def test_it_is_not_ready_when_beat_never_reported(client, configured):
    heartbeat_record(name="worker")

    response = client.get("/health/ready/")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["state"] == "missing"
    assert response.json()["checks"]["worker"]["state"] == "ok"


def test_it_is_not_ready_without_provider_credentials(client, configured, alive, settings):
    settings.OPENAI_API_KEY = ""

    response = client.get("/health/ready/")

    assert response.status_code == 503
    assert response.json()["checks"]["openai"]["state"] == "missing"
    assert "OPENAI_API_KEY not set" in response.json()["checks"]["openai"]["message"]


def test_deepgram_is_optional_when_no_number_uses_the_cascade(configured, alive, settings):
    settings.DEEPGRAM_API_KEY = ""
    settings.VOICE_ENGINE = "realtime"

    checks = {check.name: check for check in checks_run()}

    assert checks["deepgram"].state == "not_configured" and not checks["deepgram"].required
    assert checks_ready(list(checks.values()))
    settings.VOICE_ENGINE_BY_NUMBER = {"+13125550101": "cascade"}
    assert not checks_ready(checks_run())


@override_settings(REDIS_URL="")
def test_redis_is_not_required_in_the_embedded_setup(client, configured, alive):
    response = client.get("/health/ready/")

    assert response.status_code == 200
    assert response.json()["checks"]["redis"]["state"] == "not_configured"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_redis_fails_readiness_but_not_liveness(client, configured, alive):
    ready = client.get("/health/ready/")
    live = client.get("/health/")

    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"]["state"] == "error"
    assert live.status_code == 200 and live.json()["status"] == "degraded"


def test_the_beat_task_records_beats_sign_of_life():
    from dealership.core.tasks import beat_heartbeat

    beat_heartbeat()

    assert Heartbeat.objects.filter(name="beat").exists()


def test_todays_warning_panel_names_what_readiness_finds_missing(admin_client, shop, configured, settings):
    heartbeat_record(name="worker")  # beat never reported
    settings.OPENAI_API_KEY = ""

    page = admin_client.get("/admin/").content.decode()

    warnings = page.split('id="today-warnings"', 1)[1]
    assert "Celery beat" in warnings and "OpenAI" in warnings
    assert "Celery worker" not in page  # it reported: nothing to say about it


def test_an_advisor_is_not_shown_the_servers_own_parts(client, shop, configured, settings):
    from django.contrib.auth.models import Group, User

    advisor = User.objects.create_user("desk", password="x", is_staff=True)
    advisor.groups.add(Group.objects.get(name="Service advisor"))
    client.force_login(advisor)
    settings.OPENAI_API_KEY = ""  # and beat never reported

    page = client.get("/admin/").content.decode()

    assert "Celery beat" not in page and "OpenAI" not in page
