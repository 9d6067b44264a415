"""Sockets that never become a call, or outlive theirs, are closed; junk is logged sparingly."""

import logging

import pytest

from voice.tests.test_consumer import STREAM_SID, assert_closed, open_stream, started_stream
from voice.tests.test_stream_tokens import call  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

START_TIMEOUT = 0.3


@pytest.fixture(autouse=True)
def fast_limits(settings):
    settings.VOICE_STREAM_START_TIMEOUT = START_TIMEOUT
    settings.VOICE_IDLE_SECONDS = 60
    settings.VOICE_MAX_CALL_SECONDS = 60


def stop_frame(call_sid: str = "CA" + "1" * 32) -> dict:
    return {"event": "stop", "streamSid": STREAM_SID, "stop": {"callSid": call_sid}}


async def test_a_socket_that_stops_before_it_starts_is_closed_within_the_start_timeout(engines):
    stream = await open_stream()

    await stream.send_json_to(stop_frame())

    await assert_closed(stream, within=START_TIMEOUT + 0.5)
    assert engines == []
    await stream.disconnect()


async def test_a_socket_left_open_after_its_call_stopped_is_closed(call, engines):  # noqa: F811
    stream, engine = await started_stream(call, engines)

    await stream.send_json_to(stop_frame(call.call_sid))

    await assert_closed(stream, within=START_TIMEOUT + 0.5)
    assert engine.stops == 1
    await stream.disconnect()


async def test_binary_frames_are_logged_with_the_bad_frame_rate_limit(call, engines, caplog):  # noqa: F811
    stream, engine = await started_stream(call, engines)
    caplog.set_level(logging.WARNING)

    for _ in range(50):
        await stream.send_to(bytes_data=b"\x00\x01")
    await stream.send_json_to({"event": "dtmf", "streamSid": STREAM_SID, "dtmf": {"digit": "5"}})
    await stream.receive_nothing(timeout=0.2)

    assert engine.digits == ["5"]  # the call carried on
    dropped = [r for r in caplog.records if "binary" in r.getMessage()]
    assert 1 <= len(dropped) <= 5
    assert all(r.getMessage().startswith(f"call={call.call_sid}") for r in dropped)
    await stream.disconnect()
