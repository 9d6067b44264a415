"""RealtimeSession: text items (keypad digits, notes for the model) and mid-call turn detection."""

import asyncio

import pytest

from integrations.realtime import RealtimeSession, ResponseDone, SessionUpdated, SpeechStopped
from tests.fakes.fake_realtime import Say

pytestmark = pytest.mark.asyncio


async def open_session() -> RealtimeSession:
    rt = RealtimeSession(call_sid="CA1")
    await rt.connect("You are the receptionist.", [])
    return rt


async def test_it_adds_the_callers_keypad_digits_as_a_user_message(fake_realtime):
    fake_realtime.on_response_create = lambda session, event: Say("Option one, got it.")
    async with await open_session() as rt:
        await rt.send_user_text("[keypad: 1 2]")
        await rt.create_response()
        async with asyncio.timeout(3):
            async for event in rt:
                if isinstance(event, ResponseDone):
                    break

    session = fake_realtime.session
    [added] = session.of_type("conversation.item.create")
    assert added["item"] == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "[keypad: 1 2]"}],
    }
    assert session.event_types[-2:] == ["conversation.item.create", "response.create"]
    assert not session.errors_sent


async def test_it_adds_a_note_for_the_model_as_a_system_message(fake_realtime):
    async with await open_session() as rt:
        await rt.add_system_note("The caller asked for a person: offer to transfer them.")
        await fake_realtime.await_for(lambda: fake_realtime.session.of_type("conversation.item.create"))

    [added] = fake_realtime.session.of_type("conversation.item.create")
    assert added["item"]["role"] == "system"
    assert added["item"]["content"][0]["text"] == "The caller asked for a person: offer to transfer them."


async def test_it_changes_turn_detection_mid_call_and_keeps_the_rest_of_the_session(fake_realtime):
    async with await open_session() as rt:
        await rt.update_turn_detection(
            {
                "type": "server_vad",
                "silence_duration_ms": 500,
                "create_response": False,
                "interrupt_response": False,
            }
        )
        await fake_realtime.await_for(lambda: len(fake_realtime.session.of_type("session.update")) == 2)
        await asyncio.sleep(0.05)

    session = fake_realtime.session
    assert session.turn_detection == {
        "type": "server_vad",
        "silence_duration_ms": 500,
        "create_response": False,
        "interrupt_response": False,
    }
    assert session.session_config["audio"]["input"]["format"]["type"] == "audio/pcmu"
    assert session.session_config["instructions"] == "You are the receptionist."
    assert not session.errors_sent


async def test_it_says_when_the_server_applied_a_turn_detection_change_in_event_order(fake_realtime):
    detection = {"type": "server_vad", "create_response": True, "interrupt_response": True}
    async with await open_session() as rt:
        fake_realtime.hold_session_updates = True
        await rt.update_turn_detection(detection)
        await fake_realtime.await_for(lambda: fake_realtime.session.held)
        fake_realtime.speech_stopped(900)  # committed before the server applied the update
        fake_realtime.release_session_updates()
        events = []
        async with asyncio.timeout(3):
            async for event in rt:
                events.append(event)
                if isinstance(event, SessionUpdated):
                    break

    assert [type(event) for event in events] == [SpeechStopped, SessionUpdated]
    assert detection.items() <= events[1].turn_detection.items()  # merged into the session's


async def test_it_can_ask_for_a_response_that_only_speaks(fake_realtime):
    fake_realtime.on_response_create = lambda session, event: Say("Thanks for calling.")
    async with await open_session() as rt:
        await rt.create_response("Say goodbye.", use_tools=False)
        await fake_realtime.await_for(lambda: fake_realtime.session.of_type("response.create"))

    [create] = fake_realtime.session.of_type("response.create")
    assert create["response"] == {"instructions": "Say goodbye.", "tool_choice": "none"}
