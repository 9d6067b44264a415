"""With PostgreSQL gone (the proxy cut), every webhook and health answer keeps its bound, a STOP is
never lost, and the process recovers by itself when the database is back."""

import threading
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Customer
from reminders.models import ConsentEvent
from tests.faults.web import Web
from voice import twiml

BOUND = 2.0  # seconds: Twilio gives a webhook 15 s in all; a balancer's health probe a few
OUR_NUMBER = "+13125550100"


def inbound(web: Web, sid: str, caller: str) -> str:
    answer = web.twilio("/voice/inbound/", call(sid, caller))
    assert answer.status == 200 and answer.seconds < BOUND, answer
    return answer.text


def call(sid: str, caller: str) -> dict[str, str]:
    return {"CallSid": sid, "From": caller, "To": OUR_NUMBER}


def text(web: Web, body: str, sid: str, sender: str):
    return web.twilio("/voice/sms/", {"From": sender, "To": OUR_NUMBER, "Body": body, "MessageSid": sid})


def message(answer) -> str:
    assert answer.status == 200
    return ET.fromstring(answer.body).findtext("Message")


@pytest.mark.parametrize("mode", ["blackhole", "refuse"])
def test_webhooks_and_health_answer_within_2s_while_the_database_is_unreachable(web, customer, mode):
    web.database.cut(mode)

    answers = {
        "inbound": web.twilio("/voice/inbound/", call("CA1", customer.phone)),
        "status": web.twilio("/voice/status/", {"CallSid": "CA1", "CallStatus": "completed"}),
        "sms": text(web, "Is my car ready?", "SM1", customer.phone),
        "reminder": web.twilio("/voice/outbound/reminder/1/?attempt=1", {"CallSid": "CA2"}),
        "reminder status": web.twilio(
            "/voice/outbound/reminder/1/status/?attempt=1", {"CallSid": "CA2", "CallStatus": "busy"}
        ),
        "health": web.get("/health/"),
        "ready": web.get("/health/ready/"),
    }

    slow = {name: round(answer.seconds, 2) for name, answer in answers.items() if answer.seconds >= BOUND}
    assert slow == {}
    assert answers["inbound"].status == 200
    assert twiml.FALLBACK_MESSAGE in answers["inbound"].text  # apologise and ask to call back
    assert "<Stream" not in answers["inbound"].text
    assert answers["status"].status == 503  # Twilio retries the callback later
    assert "couldn't process your message" in message(answers["sms"])
    assert answers["reminder"].status == 200
    assert "automated appointment reminder. " + twiml.FALLBACK_MESSAGE in answers["reminder"].text
    assert twiml.CALL_BACK_MESSAGE in answers["reminder"].text  # no transfer number configured
    assert answers["reminder status"].status == 503
    assert answers["health"].status == 503
    assert answers["health"].text.count('"error"') == 1  # the database; Redis is fine
    assert answers["ready"].status == 503

    web.database.restore()

    assert web.until("/health/", 200).status == 200
    assert "<Stream" in inbound(web, "CA3", customer.phone)


def _kill_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_after_backends_are_killed_the_first_request_answers_within_2s_and_the_next_succeeds(web, customer):
    # Load, so the pool holds several connections (all of which the kill leaves dead in the pool).
    def load() -> None:
        for _ in range(10):
            web.get("/health/ready/")

    threads = [threading.Thread(target=load) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _kill_backends() >= 3

    first = web.twilio("/voice/inbound/", call("CA10", customer.phone))
    second = web.twilio("/voice/inbound/", call("CA11", customer.phone))

    assert first.status == 200 and first.seconds < BOUND, first
    assert second.status == 200 and second.seconds < BOUND / 2, second  # served, no stall
    assert "<Stream" in second.text
    assert web.get("/health/").status == 200


def test_a_stop_texted_during_an_outage_is_answered_and_applied_when_the_database_is_back(web, customer):
    web.database.cut("blackhole")
    before = timezone.now()
    answer = text(web, "STOP", "SM" + "7" * 32, customer.phone)
    after = timezone.now()

    assert answer.seconds < BOUND
    assert message(answer).startswith("You won't get any more reminder texts or calls from us.")
    assert "SM" + "7" * 32 in (web.spool / "opt-outs.jsonl").read_text()

    web.database.restore()
    assert web.until("/health/", 200).status == 200  # the next request applies the spool
    web.get("/health/")  # and the one after changes nothing twice

    customer = Customer.objects.get(pk=customer.pk)
    assert not customer.sms_allowed and not customer.calls_allowed
    [event] = ConsentEvent.objects.filter(customer=customer)
    assert event.action == ConsentEvent.Action.OPT_OUT
    assert event.message_sid == "SM" + "7" * 32
    assert before <= event.at <= after  # when they asked, not when the database came back
    assert before <= customer.sms_opted_out_at <= after


def test_a_stop_is_answered_and_recorded_at_once_when_the_database_is_up(web, customer):
    answer = text(web, "STOP", "SM" + "8" * 32, customer.phone)

    assert message(answer).startswith("Lakeside Auto Service: you won't get any more reminder texts")
    assert ConsentEvent.objects.filter(message_sid="SM" + "8" * 32).count() == 1
    web.get("/health/")  # the spooled copy of it is not applied a second time
    assert ConsentEvent.objects.filter(message_sid="SM" + "8" * 32).count() == 1
