"""A call that ends gets a summary: the caller talks to the cascade engine on the fake phone, the call's
records are written, a Celery task (inline here, as a worker would run it) asks the fake OpenAI, through
the real SDK, for JSON following the summary schema, and the summary lands on the call. A failing LLM is
retried a bounded number of times, then the call stays as it was, without a summary."""

import asyncio
import json
import logging

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone, caller_says, eventually, greeted, spoken
from tests.fakes.fake_openai import ErrorReply, JsonReply, TextReply
from voice.models import Call, Turn
from voice.tasks import SUMMARY_MAX_RETRIES

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live", "eager_celery"),
]

WORDS = "My brakes are grinding on my 2019 Civic, can someone look at it this week?"
SUMMARY = {
    "summary": "Dana called about grinding brakes on her 2019 Honda Civic. She wants them checked this week.",
    "reason_for_calling": "grinding brakes",
    "vehicle_mentioned": "2019 Honda Civic",
    "service_wanted": "brake inspection",
    "urgency": "safety",
    "sentiment": "neutral",
    "follow_up_needed": True,
    "follow_up_reason": "Brakes may be unsafe; an advisor should call her today.",
}


async def a_short_call(call: Call, fake_deepgram, fake_openai) -> None:
    fake_openai.script = [TextReply("I can book a brake inspection for you. Which day suits you?")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, WORDS)
        await phone.wait_for(lambda: any("brake inspection" in t for t in spoken(fake_deepgram)))
        await phone.played_out(next(t for t in spoken(fake_deepgram) if "brake inspection" in t))
    finally:
        await phone.hang_up()


async def fresh(call: Call) -> Call:
    return await database_sync_to_async(Call.objects.get)(pk=call.pk)


async def summarised(call: Call, within: float = 10.0) -> Call:
    """The call once its summary is kept (the task runs in the records' thread, after the call)."""
    for _ in range(int(within / 0.05)):
        record = await fresh(call)
        if record.summarized_at is not None:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError("no summary kept")


async def test_an_ended_call_gets_its_summary_and_fields(call, fake_deepgram, fake_openai, caplog):
    fake_openai.structured = [JsonReply(SUMMARY)]
    with caplog.at_level(logging.DEBUG):
        await a_short_call(call, fake_deepgram, fake_openai)
        await eventually(lambda: fake_openai.structured_requests, within=10, what="summary requested")
        record = await summarised(call)
        # The worker logs after it saved (and after raising any alert): wait for the line, not the row.
        await eventually(lambda: f"call={call.call_sid} summarised" in caplog.text, within=10, what="log")

    assert record.summary == SUMMARY["summary"]
    assert record.reason_for_calling == "grinding brakes"
    assert record.vehicle_mentioned == "2019 Honda Civic"
    assert record.service_wanted == "brake inspection"
    assert record.urgency == Call.Urgency.SAFETY
    assert record.sentiment == Call.Sentiment.NEUTRAL
    assert record.follow_up_needed is True
    assert record.follow_up_reason.startswith("Brakes may be unsafe")

    (request,) = fake_openai.structured_requests
    assert not request.get("stream")
    assert request["response_format"]["type"] == "json_schema"
    schema = request["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert set(schema["schema"]["required"]) == set(SUMMARY)
    sent = json.dumps(request["messages"])
    assert "grinding on my 2019 Civic" in sent  # the caller's words, as transcribed
    assert "Which day suits you" in sent  # and the receptionist's
    # The transcript went to the LLM only: the logs name the call, never what was said.
    assert "grinding" not in caplog.text


async def test_broken_json_is_asked_again(call, fake_deepgram, fake_openai):
    fake_openai.structured = [JsonReply('{"summary": "cut off'), JsonReply()]  # then schema-made JSON
    await a_short_call(call, fake_deepgram, fake_openai)
    assert (await summarised(call)).summary == "fake summary"
    assert len(fake_openai.structured_requests) == 2


async def test_a_failing_llm_is_retried_then_the_call_stays_without_summary(
    call, fake_deepgram, fake_openai, caplog
):
    fake_openai.structured = lambda body: ErrorReply(500)
    with caplog.at_level(logging.INFO):
        await a_short_call(call, fake_deepgram, fake_openai)
        await eventually(
            lambda: f"call={call.call_sid} no summary after" in caplog.text, within=10, what="retries end"
        )
    assert len(fake_openai.structured_requests) == 1 + SUMMARY_MAX_RETRIES

    kept = await fresh(call)
    assert kept.summary == "" and kept.summarized_at is None and kept.urgency == ""
    turns = await database_sync_to_async(list)(kept.turns.values_list("role", "text"))
    assert (Turn.Role.CALLER, WORDS) in turns
    assert "grinding" not in caplog.text
