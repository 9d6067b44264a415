"""The media stream end to end: a real WebSocket through the ASGI app, speaking Twilio's protocol."""

import asyncio
import base64
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from dealership.asgi import application
from voice.control import acall_control_send as call_control_send
from voice.models import Call
from voice.streams import stream_parameters
from voice.tests.engines import RecordingEngine

STREAM_SID = "MZ" + "9" * 32
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_limits(settings):
    settings.VOICE_STREAM_START_TIMEOUT = 0.3
    settings.VOICE_IDLE_SECONDS = 60
    settings.VOICE_MAX_CALL_SECONDS = 60


def start_frame(call: Call, **parameters: str) -> dict:
    return {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": "AC" + "0" * 32,
            "streamSid": STREAM_SID,
            "callSid": call.call_sid,
            "tracks": ["inbound"],
            "customParameters": {**stream_parameters(call), **parameters},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
        "streamSid": STREAM_SID,
    }


def media_frame(audio: bytes) -> dict:
    payload = base64.b64encode(audio).decode()
    return {"event": "media", "streamSid": STREAM_SID, "media": {"track": "inbound", "payload": payload}}


def mark_frame(name: str) -> dict:
    return {"event": "mark", "streamSid": STREAM_SID, "mark": {"name": name}}


async def eventually(condition, within: float = 2.0) -> None:
    """Poll: the session runs in the same loop, so there is nothing to await but time."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def open_stream() -> WebsocketCommunicator:
    stream = WebsocketCommunicator(application, "/voice/stream/")
    connected, _ = await stream.connect()
    assert connected
    await stream.send_json_to({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    return stream


async def started_stream(
    call: Call, engines: list[RecordingEngine]
) -> tuple[WebsocketCommunicator, RecordingEngine]:
    stream = await open_stream()
    await stream.send_json_to(start_frame(call))
    await eventually(lambda: engines and engines[0].session is not None)
    return stream, engines[0]


async def assert_closed(stream: WebsocketCommunicator, within: float = 2.0) -> None:
    message = await stream.receive_output(within)
    assert message["type"] == "websocket.close", message


async def sent_frames(stream: WebsocketCommunicator, count: int) -> list[dict]:
    return [await stream.receive_json_from(timeout=1) for _ in range(count)]


async def test_a_stream_that_never_starts_is_closed(engines):
    stream = await open_stream()

    await assert_closed(stream)
    assert engines == []
    await stream.disconnect()


async def test_a_stream_for_a_call_we_never_answered_is_closed(answered_call, engines):
    stream = await open_stream()
    unknown = Call(call_sid="CA" + "7" * 32, stream_token="whatever")

    await stream.send_json_to(start_frame(unknown, call_sid=unknown.call_sid))

    await assert_closed(stream)
    assert engines == []
    await stream.disconnect()


async def test_a_stream_without_the_calls_token_is_closed(answered_call, engines):
    stream = await open_stream()

    await stream.send_json_to(start_frame(answered_call, token="guessed"))

    await assert_closed(stream)
    assert engines == []
    await stream.disconnect()


async def test_a_started_stream_marks_the_call_live_and_starts_its_engine(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)

    assert engine.call.call_sid == answered_call.call_sid
    assert engine.call.call_id == answered_call.pk
    assert engine.call.caller_number == "+13125550147"
    assert engine.call.custom_parameters["engine"] == "recording"
    assert "token" not in engine.call.custom_parameters
    call = await database_sync_to_async(Call.objects.get)(pk=answered_call.pk)
    assert call.status == Call.Status.IN_PROGRESS
    assert call.stream_sid == STREAM_SID
    assert await stream.receive_nothing(timeout=0.5)  # outlived the start timeout
    await stream.disconnect()


async def test_bad_frames_are_dropped_and_the_call_continues(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)

    await stream.send_to(text_data="{not json")
    await stream.send_json_to({"event": "wiggle"})
    await stream.send_json_to({"event": "media", "media": {"payload": "%%% not base64 %%%"}})
    await stream.send_json_to(media_frame(b"\xff" * 5000))
    await stream.send_to(bytes_data=b"\x00\x01")
    await stream.send_json_to(media_frame(b"\x01" * 160))

    await eventually(lambda: engine.frames == 1)
    assert bytes(engine.audio) == b"\x01" * 160
    assert await stream.receive_nothing()
    await stream.disconnect()


async def test_audio_and_keys_reach_the_engine_in_order(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)

    for n in range(3):
        await stream.send_json_to(media_frame(bytes([n]) * 160))
    await stream.send_json_to({"event": "dtmf", "streamSid": STREAM_SID, "dtmf": {"digit": "1"}})

    await eventually(lambda: engine.digits == ["1"])
    assert bytes(engine.audio) == b"\x00" * 160 + b"\x01" * 160 + b"\x02" * 160
    await stream.disconnect()


async def test_agent_audio_goes_out_in_100_ms_chunks_each_followed_by_a_mark(answered_call, engines):
    RecordingEngine.greeting = bytes(range(250)) * 8  # 2000 bytes = 250 ms
    try:
        stream, engine = await started_stream(answered_call, engines)
    finally:
        RecordingEngine.greeting = b""

    frames = await sent_frames(stream, 6)

    assert [f["event"] for f in frames] == ["media", "mark", "media", "mark", "media", "mark"]
    assert all(f["streamSid"] == STREAM_SID for f in frames)
    audio = b"".join(base64.b64decode(f["media"]["payload"]) for f in frames if f["event"] == "media")
    assert audio == bytes(range(250)) * 8
    assert [len(base64.b64decode(f["media"]["payload"])) for f in frames[::2]] == [800, 800, 400]
    assert [f["mark"]["name"] for f in frames[1::2]] == ["m-1", "m-2", "m-3"]
    assert engine.session.audio_pending
    await stream.disconnect()


async def test_echoed_marks_advance_the_playout_clock(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)
    session = engine.session
    await session.play(b"\xff" * 2000, label="hello")
    await sent_frames(stream, 6)
    heard = asyncio.create_task(session.wait_until_heard("hello"))

    await stream.send_json_to(mark_frame("m-1"))
    await eventually(lambda: session.heard["hello"] == 800)
    assert session.audio_pending
    assert not heard.done()

    await stream.send_json_to(mark_frame("m-3"))  # marks come back in order: m-3 vouches for m-2
    assert await asyncio.wait_for(heard, 1) is True
    assert session.heard["hello"] == 2000
    assert not session.audio_pending
    assert session.utterance("hello").fully_heard
    await stream.disconnect()


async def test_interrupt_clears_twilio_and_reports_what_was_heard(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)
    session = engine.session
    await session.play(b"\xff" * 2400, label="long answer")
    await sent_frames(stream, 6)
    await stream.send_json_to(mark_frame("m-1"))
    await eventually(lambda: session.heard["long answer"] == 800)
    waiting = asyncio.create_task(session.wait_until_heard())
    await asyncio.sleep(0)  # let the waiter register before the interrupt

    cut = await session.interrupt()

    assert (await stream.receive_json_from(timeout=1)) == {"event": "clear", "streamSid": STREAM_SID}
    assert set(cut) == {"long answer"}
    assert cut["long answer"].heard_bytes == 800
    assert cut["long answer"].heard_fraction == pytest.approx(1 / 3)
    assert await asyncio.wait_for(waiting, 1) is False
    assert not session.audio_pending
    # Twilio also echoes the marks of the audio it flushed; they were not heard.
    await stream.send_json_to(mark_frame("m-2"))
    await stream.send_json_to(mark_frame("m-3"))
    await stream.send_json_to({"event": "dtmf", "streamSid": STREAM_SID, "dtmf": {"digit": "1"}})
    await eventually(lambda: engine.digits == ["1"])  # frames are handled in order: the marks were too
    assert session.heard["long answer"] == 800
    # A producer still holding the interrupted utterance cannot talk over the caller.
    assert await session.play(b"\xff" * 800, label="long answer") is False
    assert await stream.receive_nothing()
    await stream.disconnect()


async def test_stop_ends_the_engine_once(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)
    await engine.session.play(b"\xff" * 800, label="bye")
    waiting = asyncio.create_task(engine.session.wait_until_heard("bye"))

    await stream.send_json_to(
        {"event": "stop", "streamSid": STREAM_SID, "stop": {"callSid": answered_call.call_sid}}
    )
    await eventually(lambda: engine.stops == 1)
    await stream.disconnect()

    assert engine.stops == 1
    assert await asyncio.wait_for(waiting, 1) is False


async def test_a_hang_up_without_stop_still_ends_the_engine(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)

    await stream.disconnect()

    assert engine.stops == 1


async def test_an_engine_can_end_the_stream_from_a_task_its_stop_cancels(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)

    engine.task = asyncio.create_task(engine.session.end("goodbye said"))

    await assert_closed(stream)
    assert engine.stops == 1
    await stream.disconnect()


async def test_an_engine_that_cannot_start_closes_the_stream_and_records_why(answered_call, engines):
    RecordingEngine.fail_start = True
    try:
        stream = await open_stream()
        await stream.send_json_to(start_frame(answered_call))
        await assert_closed(stream)
    finally:
        RecordingEngine.fail_start = False

    call = await database_sync_to_async(Call.objects.get)(pk=answered_call.pk)
    assert "speech provider unreachable" in call.last_error
    assert engines[0].stops == 1
    await stream.disconnect()


async def test_a_quiet_call_tells_the_engine_it_is_idle(answered_call, engines, settings):
    settings.VOICE_IDLE_SECONDS = 0.2
    stream, engine = await started_stream(answered_call, engines)

    await eventually(lambda: len(engine.idle) >= 1)
    assert engine.idle[0] >= 0.2
    await stream.disconnect()


async def test_the_maximum_call_length_asks_the_engine_then_closes(answered_call, engines, settings):
    settings.VOICE_MAX_CALL_SECONDS = 0.2
    settings.VOICE_TIME_LIMIT_GRACE_SECONDS = 0.2
    stream, engine = await started_stream(answered_call, engines)

    await eventually(lambda: engine.time_limits == 1)
    await assert_closed(stream)
    assert engine.stops == 1
    await stream.disconnect()


async def test_control_messages_reach_the_live_call(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)
    await asyncio.sleep(0.1)  # the consumer joins the call's group right after start

    await call_control_send(call_sid=answered_call.call_sid, action="note", text="advisor says hi")
    await eventually(lambda: engine.controls)
    await call_control_send(call_sid=answered_call.call_sid, action="end_stream")

    assert engine.controls[0]["text"] == "advisor says hi"
    await assert_closed(stream)
    await stream.disconnect()


async def test_frames_sent_by_the_session_are_text_json(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)
    await engine.session.play(b"\xff" * 160, label="hi")

    output = await stream.receive_output(1)

    assert output["type"] == "websocket.send"
    assert "bytes" not in output
    assert json.loads(output["text"])["event"] == "media"
    await stream.disconnect()
