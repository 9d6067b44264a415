import asyncio
import logging
import time

import pytest
from channels.db import database_sync_to_async

from voice.agent.records import CallRecorder
from voice.models import Call, Turn
from voice.services import callback_request_create, turn_record

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call(transactional_db):
    return Call.objects.create(call_sid="CA" + "2" * 32, from_number="+13125550147")


async def turns(call) -> list[tuple[str, str]]:
    return await database_sync_to_async(
        lambda: list(Turn.objects.filter(call=call).values_list("role", "text"))
    )()


async def test_writes_land_in_the_order_they_were_made(call):
    recorder = CallRecorder(call_id=call.pk)

    recorder.turn(role="agent", text="Hi, how can I help?")
    recorder.turn(role="caller", text="Oil change please.", stt_ms=180)
    recorder.turn(role="agent", text="Sure, which day", interrupted=True, heard_text="Sure")
    recorder.outcome("information")
    await recorder.close()

    assert await turns(call) == [
        ("agent", "Hi, how can I help?"),
        ("caller", "Oil change please."),
        ("agent", "Sure, which day"),
    ]
    assert (await database_sync_to_async(Call.objects.get)(pk=call.pk)).outcome == "information"


async def test_a_failed_write_is_logged_and_the_rest_still_land(call, caplog):
    recorder = CallRecorder(call_id=call.pk)

    with caplog.at_level(logging.ERROR):
        recorder.turn(role="robot", text="beep")
        recorder.turn(role="caller", text="Hello?")
        await recorder.close()

    assert await turns(call) == [("caller", "Hello?")]
    assert "turn_record failed" in caplog.text


async def test_an_awaited_write_returns_its_result_or_none(call):
    recorder = CallRecorder(call_id=call.pk)

    request = await recorder.write(
        callback_request_create, phone="+13125550147", reason="call me", call_id=call.pk
    )
    broken = await recorder.write(callback_request_create, phone="+13125550147", call_id=10**9)
    await recorder.close()

    assert request.reason == "call me"
    assert broken is None


def slow_turn(**fields):
    time.sleep(0.3)  # a database busy with every other call's hang-up
    return turn_record(**fields)


async def test_writes_a_slow_database_has_not_made_by_hang_up_still_land(call):
    recorder = CallRecorder(call_id=call.pk)
    slow = asyncio.ensure_future(recorder.write(slow_turn, call_id=call.pk, role="caller", text="Bye."))
    await asyncio.sleep(0)  # queued
    recorder.turn(role="agent", text="Goodbye!")

    started = time.monotonic()
    await recorder.close(within=0.05)

    assert time.monotonic() - started < 0.25  # the call is not held open for the database
    for _ in range(50):
        if len(await turns(call)) == 2:
            break
        await asyncio.sleep(0.05)
    assert await turns(call) == [("caller", "Bye."), ("agent", "Goodbye!")]
    await slow
