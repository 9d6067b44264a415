import asyncio
import base64
import json

import pytest

from integrations.errors import ProviderError
from integrations.realtime import (
    AgentTranscriptDelta,
    AgentTranscriptDone,
    AudioDelta,
    AudioDone,
    CallerTranscript,
    FunctionCall,
    RealtimeError,
    RealtimeSession,
    ResponseCreated,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
)
from tests.fakes.fake_realtime import Say, fake_audio
from tests.fakes.server import unused_local_url

pytestmark = pytest.mark.asyncio

FRAME = b"\xff" * 160  # 20 ms of µ-law silence, as Twilio sends it
TOOLS = [
    {
        "type": "function",
        "name": "check_availability",
        "description": "Find open slots for a service.",
        "parameters": {"type": "object", "properties": {"service_type": {"type": "string"}}},
    }
]


async def next_event(rt: RealtimeSession, within: float = 2.0):
    return await asyncio.wait_for(anext(rt), within)


async def events_until(rt: RealtimeSession, kind: type, within: float = 3.0) -> list:
    """Events up to and including the first of `kind`."""
    seen = []
    async with asyncio.timeout(within):
        async for event in rt:
            seen.append(event)
            if isinstance(event, kind):
                return seen
    raise AssertionError(f"the session ended before a {kind.__name__}: {seen}")


async def open_session(**kwargs) -> RealtimeSession:
    rt = RealtimeSession(call_sid="CA1")
    await rt.connect("You are the receptionist.", TOOLS, **kwargs)
    return rt


async def test_it_configures_a_phone_session_with_mulaw_both_ways(fake_realtime, settings):
    settings.OPENAI_REALTIME_MODEL = "gpt-realtime-2.1"
    settings.OPENAI_VOICE = "marin"

    async with await open_session():
        pass

    session = fake_realtime.session
    assert session.query == {"model": "gpt-realtime-2.1"}
    assert session.headers["Authorization"] == f"Bearer {fake_realtime.api_key}"
    update = session.of_type("session.update")[0]
    assert update["session"] == {
        "type": "realtime",
        "output_modalities": ["audio"],
        "instructions": "You are the receptionist.",
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "turn_detection": {
                    "type": "server_vad",
                    "silence_duration_ms": 500,
                    "create_response": True,
                    "interrupt_response": True,
                },
                "transcription": {"model": "gpt-4o-mini-transcribe"},
            },
            "output": {"format": {"type": "audio/pcmu"}, "voice": "marin"},
        },
        "tools": TOOLS,
        "tool_choice": "auto",
    }


async def test_it_lets_the_engine_tune_turn_detection_and_transcription(fake_realtime):
    semantic = {"type": "semantic_vad", "eagerness": "high", "interrupt_response": True}

    async with await open_session(turn_detection=semantic, transcription_model=None):
        pass

    audio_input = fake_realtime.session.of_type("session.update")[0]["session"]["audio"]["input"]
    assert audio_input["turn_detection"] == semantic
    assert "transcription" not in audio_input


async def test_it_uses_the_voice_and_model_it_is_given(fake_realtime):
    async with RealtimeSession(model="gpt-realtime-2.1-mini", voice="cedar") as rt:
        await rt.connect("Hi", [])

    assert fake_realtime.session.query["model"] == "gpt-realtime-2.1-mini"
    assert fake_realtime.session.session_config["audio"]["output"]["voice"] == "cedar"


async def test_it_streams_the_callers_audio(fake_realtime):
    frames = [bytes([n]) * 160 for n in range(10)]

    async with await open_session() as rt:
        for frame in frames:
            await rt.append_audio(frame)
        await fake_realtime.await_for(lambda: fake_realtime.session.audio_bytes == 1600)

    assert bytes(fake_realtime.session.caller_audio) == b"".join(frames)


async def test_it_yields_the_agents_audio_decoded_with_its_transcript(fake_realtime):
    async with await open_session() as rt:
        response = fake_realtime.respond_audio("Thanks for calling", ms_per_word=100)
        events = await events_until(rt, ResponseDone)
        item_id = response.item_ids[0]
        received_ms = rt.audio_ms(item_id)

    audio = b"".join(e.audio for e in events if isinstance(e, AudioDelta))
    assert audio == fake_audio(100) * 3
    assert received_ms == 300
    assert {(e.item_id, e.response_id) for e in events if isinstance(e, AudioDelta)} == {
        (item_id, response.id)
    }
    assert [e.text for e in events if isinstance(e, AgentTranscriptDelta)] == ["Thanks", " for", " calling"]
    done = [e for e in events if isinstance(e, AgentTranscriptDone)]
    assert [(d.item_id, d.text) for d in done] == [(item_id, "Thanks for calling")]
    assert any(isinstance(e, AudioDone) and e.item_id == item_id for e in events)
    assert isinstance(events[0], ResponseCreated) and events[0].response_id == response.id
    assert (events[-1].response_id, events[-1].status) == (response.id, "completed")


async def test_it_asks_for_a_spoken_response_with_its_own_instructions(fake_realtime):
    fake_realtime.on_response_create = lambda session, event: Say("Hello, thanks for calling")

    async with await open_session() as rt:
        await rt.create_response("Greet the caller and say the call may be recorded.")
        events = await events_until(rt, ResponseDone)

    request = fake_realtime.session.of_type("response.create")[0]
    assert request["response"] == {"instructions": "Greet the caller and say the call may be recorded."}
    assert any(isinstance(e, AudioDelta) for e in events)
    assert events[-1].status == "completed"


async def test_it_runs_a_function_call_round_trip(fake_realtime):
    def conversation(session, event):
        if session.function_outputs:
            return Say("Tuesday at nine is open")
        return None

    fake_realtime.on_response_create = conversation

    async with await open_session() as rt:
        fake_realtime.call_function("check_availability", {"service_type": "oil_change"}, call_id="call_7")
        events = await events_until(rt, ResponseDone)
        calls = [e for e in events if isinstance(e, FunctionCall)]
        await rt.send_function_result("call_7", {"available": True, "slots": ["Tuesday 9:00"]})
        follow_up = await events_until(rt, ResponseDone)

    assert [(c.call_id, c.name, json.loads(c.arguments_json)) for c in calls] == [
        ("call_7", "check_availability", {"service_type": "oil_change"})
    ]
    assert calls[0].item_id
    output = fake_realtime.session.function_outputs[0]
    assert (output["type"], output["call_id"]) == ("function_call_output", "call_7")
    assert json.loads(output["output"]) == {"available": True, "slots": ["Tuesday 9:00"]}
    assert fake_realtime.session.event_types[-2:] == ["conversation.item.create", "response.create"]
    assert (
        "".join(e.text for e in follow_up if isinstance(e, AgentTranscriptDelta)) == "Tuesday at nine is open"
    )


async def test_it_can_hand_back_several_results_before_one_response(fake_realtime):
    async with await open_session() as rt:
        await rt.send_function_result("call_1", {"found": True}, respond=False)
        await rt.send_function_result("call_2", {"available": False})
        await fake_realtime.await_for(lambda: len(fake_realtime.session.responses) == 1)

    assert [o["call_id"] for o in fake_realtime.session.function_outputs] == ["call_1", "call_2"]
    assert fake_realtime.session.event_types[-3:] == [
        "conversation.item.create",
        "conversation.item.create",
        "response.create",
    ]


async def test_it_cancels_a_response_mid_stream(fake_realtime):
    long_reply = " ".join(["word"] * 30)  # 6 s of audio, streamed over ~0.6 s

    async with await open_session() as rt:
        fake_realtime.respond_audio(long_reply)
        await events_until(rt, AudioDelta)
        await rt.cancel_response()
        events = await events_until(rt, ResponseDone)
        item_id = fake_realtime.session.responses[0].item_ids[0]
        received_ms = rt.audio_ms(item_id)

    done = events[-1]
    assert (done.status, done.reason) == ("cancelled", "client_cancelled")
    assert 0 < received_ms < 6000
    transcript = next(e for e in events if isinstance(e, AgentTranscriptDone))
    assert len(transcript.text.split()) < 30


async def test_it_reports_a_barge_in_and_the_servers_cancel(fake_realtime):
    async with await open_session() as rt:
        fake_realtime.respond_audio(" ".join(["word"] * 30))
        await events_until(rt, AudioDelta)
        fake_realtime.speech_started(3400, item_id="item_caller")
        events = await events_until(rt, ResponseDone)

    started = next(e for e in events if isinstance(e, SpeechStarted))
    assert (started.audio_start_ms, started.item_id) == (3400, "item_caller")
    assert (events[-1].status, events[-1].reason) == ("cancelled", "turn_detected")


async def test_it_reports_the_callers_turn_and_its_transcript(fake_realtime):
    async with await open_session() as rt:
        fake_realtime.speech_started(1200, item_id="item_c1")
        fake_realtime.speech_stopped(2900, item_id="item_c1")
        fake_realtime.caller_transcript("I need an oil change.", item_id="item_c1")
        events = [await next_event(rt) for _ in range(3)]

    started, stopped, transcript = events
    assert isinstance(started, SpeechStarted) and started.audio_start_ms == 1200
    assert isinstance(stopped, SpeechStopped) and (stopped.audio_end_ms, stopped.item_id) == (2900, "item_c1")
    assert isinstance(transcript, CallerTranscript)
    assert (transcript.item_id, transcript.text) == ("item_c1", "I need an oil change.")


async def test_it_truncates_an_item_to_the_audio_heard(fake_realtime):
    async with await open_session() as rt:
        response = fake_realtime.respond_audio("Your car is ready", ms_per_word=100)
        await events_until(rt, ResponseDone)
        item_id = response.item_ids[0]
        await rt.truncate(item_id, min(250, rt.audio_ms(item_id)))
        await rt.truncate(item_id, -40)
        await fake_realtime.await_for(lambda: len(fake_realtime.session.truncates) == 2)

    assert [
        (t["item_id"], t["content_index"], t["audio_end_ms"]) for t in fake_realtime.session.truncates
    ] == [
        (item_id, 0, 250),
        (item_id, 0, 0),
    ]
    assert fake_realtime.session.errors_sent == []


async def test_it_yields_the_servers_refusal_of_a_truncate_past_the_audio(fake_realtime):
    async with await open_session() as rt:
        response = fake_realtime.respond_audio("Your car is ready", ms_per_word=100)
        await events_until(rt, ResponseDone)
        await rt.truncate(response.item_ids[0], rt.audio_ms(response.item_ids[0]) + 500)
        error = await next_event(rt)
        fake_realtime.respond_audio("Anything else?")
        after = await events_until(rt, ResponseDone)

    assert isinstance(error, RealtimeError)
    assert error.message == "Audio content of 400ms is already shorter than 900ms"
    assert error.error_type == "invalid_request_error"
    assert fake_realtime.session.truncates == []
    assert after[-1].status == "completed"  # not fatal: the conversation goes on


async def test_it_yields_a_refused_cancel_as_a_non_fatal_error(fake_realtime):
    async with await open_session() as rt:
        await rt.cancel_response()
        error = await next_event(rt)
        await rt.append_audio(FRAME)
        await fake_realtime.await_for(lambda: fake_realtime.session.audio_bytes == 160)

    assert isinstance(error, RealtimeError) and error.code == "response_cancel_not_active"


async def test_it_sends_events_in_the_order_they_were_made(fake_realtime):
    async with await open_session() as rt:
        await rt.append_audio(FRAME)
        await rt.create_response()  # the audio spoken before it goes first
        await rt.append_audio(FRAME)
        await rt.append_audio(FRAME)
        await rt.append_audio(FRAME)  # a lone last frame still leaves within ~30 ms
        await fake_realtime.await_for(lambda: fake_realtime.session.audio_bytes == 640)

    events = fake_realtime.session.events
    assert [e["type"] for e in events] == [
        "session.update",
        "input_audio_buffer.append",
        "response.create",
        "input_audio_buffer.append",
        "input_audio_buffer.append",
    ]
    # 40 ms of audio per message: half the messages of one per 20 ms frame.
    assert [len(base64.b64decode(e["audio"])) for e in events if "audio" in e] == [160, 320, 160]


async def test_it_skips_a_malformed_event_and_keeps_listening(fake_realtime):
    async with await open_session() as rt:
        fake_realtime.emit(
            {"type": "response.done", "response": "not an object"},
            {"type": "input_audio_buffer.speech_started", "audio_start_ms": 80, "item_id": "item_c2"},
        )
        event = await next_event(rt)

    assert isinstance(event, SpeechStarted) and event.item_id == "item_c2"


async def test_it_reports_a_session_the_server_ended_as_transient_with_its_reason(fake_realtime):
    async with await open_session() as rt:
        fake_realtime.expire()
        error = await next_event(rt)
        with pytest.raises(ProviderError) as failure:
            await next_event(rt)

    assert isinstance(error, RealtimeError) and error.code == "session_expired"
    assert not failure.value.permanent
    assert "maximum duration" in failure.value.message


async def test_it_reports_a_dropped_socket_as_transient(fake_realtime):
    async with await open_session() as rt:
        fake_realtime.drop()
        with pytest.raises(ProviderError) as failure:
            await next_event(rt)
        with pytest.raises(ProviderError) as later:
            await rt.append_audio(FRAME)
        with pytest.raises(ProviderError):
            await rt.create_response()

    assert not failure.value.permanent and failure.value.provider == "openai"
    assert not later.value.permanent


async def test_it_ends_the_events_when_closed(fake_realtime):
    rt = await open_session()
    await rt.close()
    await rt.close()

    with pytest.raises(StopAsyncIteration):
        await next_event(rt)
    with pytest.raises(ProviderError):
        await rt.append_audio(FRAME)
    await fake_realtime.await_for(lambda: fake_realtime.session.closed)


async def test_it_refuses_a_wrong_key_permanently(fake_realtime):
    rt = RealtimeSession(api_key="sk-wrong")

    with pytest.raises(ProviderError) as failure:
        await rt.connect("Hi", [])

    assert failure.value.permanent and "401" in failure.value.message
    assert fake_realtime.rejected_handshakes == 1
    await rt.close()  # still safe, and the (empty) event stream ends
    with pytest.raises(StopAsyncIteration):
        await next_event(rt)


async def test_it_fails_permanently_when_the_session_config_is_refused(fake_realtime):
    rt = RealtimeSession(voice="robot")

    with pytest.raises(ProviderError) as failure:
        await rt.connect("Hi", [])

    assert failure.value.permanent
    assert "Invalid value: 'robot'" in failure.value.message
    await fake_realtime.await_for(lambda: fake_realtime.session.closed)


async def test_it_gives_up_on_a_server_that_never_confirms_the_session(fake_realtime):
    fake_realtime.answer_session_update = False
    rt = RealtimeSession(connect_timeout=0.3)

    with pytest.raises(ProviderError) as failure:
        await rt.connect("Hi", [])

    assert not failure.value.permanent and "timed out" in failure.value.message
    await fake_realtime.await_for(lambda: fake_realtime.session.closed)


async def test_it_needs_an_api_key(settings):
    settings.OPENAI_API_KEY = ""

    with pytest.raises(ProviderError) as failure:
        await RealtimeSession().connect("Hi", [])

    assert failure.value.permanent and "not configured" in failure.value.message


async def test_it_reports_an_unreachable_server_as_transient(settings):
    settings.OPENAI_API_KEY = "sk-test"

    with pytest.raises(ProviderError) as failure:
        await RealtimeSession(base_url=f"{unused_local_url()}/v1").connect("Hi", [])

    assert not failure.value.permanent
