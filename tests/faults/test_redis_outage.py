"""With Redis gone (the proxy cut): liveness stays up, readiness says what is missing, an advisor's
"Send now" is told when the reminder will go out, and everything recovers when Redis is back."""

import json
import time
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from dealership.core.heartbeats import heartbeat_record
from reminders.models import Reminder
from reminders.selectors import reminder_list_due
from reminders.services import reminder_schedule
from tests.faults.broker import broker  # noqa: F401  (a fixture)

BOUND = 2.0


@pytest.fixture
def alive_background() -> None:
    heartbeat_record(name="worker")
    heartbeat_record(name="beat")


def test_liveness_stays_up_and_readiness_says_redis_is_down_until_it_is_back(web, alive_background):
    assert web.get("/health/ready/").status == 200

    web.redis.cut("blackhole")
    liveness = web.get("/health/")
    readiness = web.get("/health/ready/")

    assert liveness.seconds < BOUND and readiness.seconds < BOUND
    assert liveness.status == 200  # the balancer keeps the process: calls still work
    assert '"redis": "error"' in liveness.text
    assert readiness.status == 503
    checks = json.loads(readiness.body)["checks"]
    assert checks["redis"]["state"] == "error" and "REDIS_URL" in checks["redis"]["message"]
    assert {name for name, check in checks.items() if not check["ok"]} == {"redis"}

    web.redis.restore()

    assert web.until("/health/ready/", 200).status == 200


@pytest.fixture
def reminders(transactional_db, shop, customer, make_appointment) -> list[Reminder]:
    now = timezone.now()
    made = []
    for days in (2, 3):
        appointment = make_appointment(customer, now + timedelta(days=days))
        made.append(reminder_schedule(appointment_id=appointment.pk, now=now))
    return made


def send_now(admin_client, reminders: list[Reminder]):
    return admin_client.post(
        reverse("admin:reminders_reminder_changelist"),
        {"action": "send_now", "_selected_action": [reminder.pk for reminder in reminders]},
        follow=True,
    )


def test_send_now_without_a_broker_says_the_next_dispatch_sends_them(
    admin_client,
    reminders,
    broker,  # noqa: F811
    settings,
):
    # Telephony is configured (without it Send now refuses before queueing anything).
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    settings.TWILIO_PHONE_NUMBER = "+13125550100"
    queue = redis.Redis.from_url(settings.REDIS_URL)
    queue.delete("celery")
    broker.cut("refuse")

    started = time.monotonic()
    response = send_now(admin_client, reminders)

    assert time.monotonic() - started < BOUND  # one connection attempt each, no 4 s retry loop
    assert response.status_code == 200
    assert "2 reminder(s) could not be queued right now" in response.text
    assert "will go out with the next dispatch" in response.text
    assert sorted(reminder_list_due(now=timezone.now())) == sorted(r.pk for r in reminders)
    assert queue.llen("celery") == 0

    broker.restore()
    response = send_now(admin_client, reminders)

    assert "2 reminder(s) queued to go out now." in response.text
    assert queue.llen("celery") == 2
    queue.delete("celery")
