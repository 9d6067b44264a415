"""Post-call summaries around the LLM call: nothing to summarise, no key, a dead broker."""

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from dealership.celery import app as celery_app
from tests.calls import inbound_call
from tests.fakes.fake_openai import JsonReply
from voice.models import Call
from voice.services import turn_record
from voice.summaries import call_summary_queue
from voice.tasks import call_summarise_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(shop) -> Call:
    call = inbound_call()
    turn_record(call_id=call.pk, role="agent", text="Lakeside Auto, how can I help?")
    turn_record(call_id=call.pk, role="caller", text="My check engine light is flashing.")
    return call


@pytest.fixture
def dead_broker():
    """The broker is unreachable (nothing listens on the port)."""
    conf = celery_app.conf
    previous = conf.broker_url, conf.broker_connection_timeout
    conf.broker_url, conf.broker_connection_timeout = "redis://127.0.0.1:9/0", 1
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    conf.broker_url, conf.broker_connection_timeout = previous
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_it_keeps_the_urgency_set_live_when_the_summary_says_less(call, fake_openai, eager_celery):
    Call.objects.filter(pk=call.pk).update(urgency=Call.Urgency.SAFETY)
    fake_openai.structured = [JsonReply()]  # urgency "routine", the schema's first
    assert call_summarise_task.apply(args=(call.pk,)).get() == "summarised"
    call.refresh_from_db()
    assert call.urgency == Call.Urgency.SAFETY and call.summary == "fake summary"


def test_it_does_not_ask_about_a_call_where_nobody_spoke(shop, fake_openai, eager_celery):
    silent = inbound_call(call_sid="CA" + "7" * 32)
    assert call_summarise_task.apply(args=(silent.pk,)).get() == "nothing to summarise"
    assert fake_openai.structured_requests == []


def test_it_retries_without_a_key_then_leaves_the_call_alone(call, settings, eager_celery, caplog):
    settings.OPENAI_API_KEY = ""
    Call.objects.filter(pk=call.pk).update(ended_at=timezone.now() - timedelta(minutes=1))
    with caplog.at_level(logging.WARNING):
        call_summarise_task.apply_async(args=(call.pk,))
    assert (
        f"call={call.call_sid} no summary after 6 attempts: The language model is not configured"
        in caplog.text
    )
    call.refresh_from_db()
    assert call.summarized_at is None and call.turns.count() == 2


def test_a_dead_broker_is_logged_and_the_call_stands(
    call, dead_broker, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            call_summary_queue(call_id=call.pk)
        # The live calls' database thread queues this: it must not wait out the broker's timeout.
        assert time.monotonic() - started < 0.5
        deadline = time.monotonic() + 10
        while f"call={call.call_sid} summary not queued" not in caplog.text:
            assert time.monotonic() < deadline, "the failure was not logged"
            time.sleep(0.05)
    assert Call.objects.filter(pk=call.pk, summarized_at=None).exists()
