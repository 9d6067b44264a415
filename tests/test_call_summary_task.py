"""Post-call summaries around the LLM call: nothing to summarise, no key, a dead broker."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from dealership.celery import app as celery_app
from tests.calls import inbound_call
from tests.fakes.fake_openai import ErrorReply, JsonReply
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


def test_no_key_is_not_retried_and_the_call_stays_without_a_summary(
    call, settings, fake_openai, eager_celery, caplog
):
    settings.OPENAI_API_KEY = ""
    Call.objects.filter(pk=call.pk).update(ended_at=timezone.now() - timedelta(minutes=1))
    with caplog.at_level(logging.WARNING):
        assert call_summarise_task.apply_async(args=(call.pk,)).get() == "failed"
    # Logged once: asking again cannot bring a key.
    assert caplog.text.count(f"call={call.call_sid}") == 1
    assert (
        f"call={call.call_sid} no summary, not retried: The language model is not configured" in caplog.text
    )
    assert fake_openai.structured_requests == []
    call.refresh_from_db()
    assert call.summarized_at is None and call.turns.count() == 2


@pytest.mark.parametrize("status", [400, 401])
def test_a_request_openai_rejects_is_sent_once(call, status, fake_openai, eager_celery, caplog):
    fake_openai.structured = [ErrorReply(status, "rejected", error_type="invalid_request_error")] * 6
    with caplog.at_level(logging.WARNING):
        assert call_summarise_task.apply_async(args=(call.pk,)).get() == "failed"
    assert len(fake_openai.structured_requests) == 1
    assert caplog.text.count("no summary, not retried") == 1
    assert Call.objects.filter(pk=call.pk, summarized_at=None).exists()


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_task_does_not_ask_the_llm_while_the_first_is_asking(call, fake_openai, eager_celery):
    """The same call's summary queued twice (the hang-up and the sweep, a broker redelivering): the
    second task finds the first one's request in flight and leaves it alone. (`.result`, not `.get()`:
    Celery refuses a `.get()` while another thread's eager task is running.)"""
    fake_openai.structured = [JsonReply(delay=1.5), JsonReply()]
    results: list[str] = []

    def first() -> None:
        try:
            results.append(call_summarise_task.apply(args=(call.pk,)).result)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 10
    while not fake_openai.structured_requests:
        assert time.monotonic() < deadline, "the first task never asked"
        time.sleep(0.02)

    assert call_summarise_task.apply(args=(call.pk,)).result == "summary in progress"
    thread.join(timeout=30)
    assert results == ["summarised"]
    # Done: a third task does not ask either.
    assert call_summarise_task.apply(args=(call.pk,)).result == "already summarised"
    assert len(fake_openai.structured_requests) == 1
    assert Call.objects.get(pk=call.pk).summary == "fake summary"


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
