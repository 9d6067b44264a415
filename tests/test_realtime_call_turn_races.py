"""Caller turns the server commits while a turn-detection change is on its way: each gets exactly one
answer. The fake holds the engine's session.update (and response.create) so the server's events land
in the window a real server leaves open for a few milliseconds."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone
from tests.fakes.fake_realtime import CallFunction, FakeRealtime, Say, Session
from tests.realtime_calls import (
    Brain,
    caller_says,
    connected,
    finished,
    said,
    scripted_line,
)
from voice.models import Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_live"),
]

ANSWER = "Sure, which day works best for you this week?"


def holding_after_greeting(fake: FakeRealtime, brain: Brain):
    """The model; once asked for the greeting, the server stops applying session updates."""

    def model(session: Session, event: dict) -> object:
        if scripted_line(event) is not None:
            fake.hold_session_updates = True
        return brain(session, event)

    return model


def held(session: Session, kind: str) -> list[dict]:
    return [event for event in session.held if event["type"] == kind]


async def greeting_over_update_pending(phone: FakePhone, fake: FakeRealtime) -> Session:
    """The greeting was played to its last mark and the engine asked the server to answer turns by
    itself again, but the server has not applied that yet."""
    await connected(fake)
    session = fake.session
    await fake.await_for(lambda: held(session, "session.update"), within=5)
    assert phone.all_heard and session.responses[0].finished
    assert session.turn_detection["create_response"] is False  # still the greeting's setting
    return session


async def turns_of(call) -> list[tuple[str, str]]:
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    return [(t.role, t.text) for t in turns]


async def test_a_turn_committed_as_the_greeting_ends_is_answered_once(call, fake_realtime):
    brain = Brain(lambda session, event: Say(ANSWER))
    fake_realtime.on_response_create = holding_after_greeting(fake_realtime, brain)
    phone = await FakePhone.dial(call)
    try:
        session = await greeting_over_update_pending(phone, fake_realtime)
        await caller_says(fake_realtime, "Hi, I need an oil change.")
        await finished(fake_realtime, 2)  # the caller is answered, though the server did not answer
        await asyncio.to_thread(fake_realtime.release_session_updates)
        await phone.wait_for(lambda: phone.all_heard)

        await caller_says(fake_realtime, "Tuesday morning.")  # the server answers by itself again
        await finished(fake_realtime, 3)
        await phone.wait_for(lambda: phone.all_heard)
        await asyncio.sleep(0.3)
    finally:
        await phone.hang_up()

    assert len(session.responses) == 3  # the greeting and one answer per turn
    assert [t["type"] for t in brain.triggers] == [
        "response.create",
        "response.create",  # the engine's: the turn came before auto answers were back on
        "input_audio_buffer.committed",
    ]
    assert not session.errors_sent
    assert (await turns_of(call))[1:] == [
        ("caller", "Hi, I need an oil change."),
        ("agent", ANSWER),
        ("caller", "Tuesday morning."),
        ("agent", ANSWER),
    ]


async def test_an_answer_of_ours_crossed_by_the_servers_own_is_not_said_twice(call, fake_realtime):
    brain = Brain(lambda session, event: Say(ANSWER, ms_per_word=300))
    fake_realtime.on_response_create = holding_after_greeting(fake_realtime, brain)
    fake_realtime.chunk_interval = 0.01  # the server's answer is still streaming when ours arrives
    phone = await FakePhone.dial(call)
    try:
        session = await greeting_over_update_pending(phone, fake_realtime)
        fake_realtime.hold_response_creates = True
        await caller_says(fake_realtime, "Hi, I need")  # before the update: the engine asks
        await fake_realtime.await_for(lambda: held(session, "response.create"))
        await asyncio.to_thread(fake_realtime.release_session_updates)
        await caller_says(fake_realtime, "an oil change.")  # after it: the server answers itself
        await fake_realtime.await_for(lambda: len(session.responses) == 2)
        await asyncio.to_thread(fake_realtime.release_response_creates)  # ours arrives: refused
        await fake_realtime.await_for(lambda: session.errors_sent)
        await finished(fake_realtime, 2)
        await phone.wait_for(lambda: phone.all_heard)
        await asyncio.sleep(0.5)
    finally:
        await phone.hang_up()

    assert len(session.responses) == 2  # the greeting, then one answer to both turns
    assert [e["code"] for e in session.errors_sent] == ["conversation_already_has_active_response"]
    assert session.responses[1].status == "completed"
    assert (await turns_of(call))[1:] == [
        ("caller", "Hi, I need"),
        ("caller", "an oil change."),
        ("agent", ANSWER),
    ]


async def test_a_turn_committed_as_a_tool_hold_ends_is_answered(call, fake_realtime):
    lookup = CallFunction("check_availability", {"service_type": "oil_change"})

    def answer(session: Session, event: dict) -> object:
        if event["type"] == "input_audio_buffer.committed":
            return lookup
        if session.function_outputs and len(session.responses) == 2:  # the answer with the results
            fake_realtime.hold_session_updates = True  # the hold's release stays pending
            result = json.loads(session.function_outputs[-1]["output"])
            return Say(f"I have {result['slots'][0]['spoken']}, or later that week.", ms_per_word=300)
        return Say("Of course, the afternoon then.")

    brain = fake_realtime.on_response_create = Brain(answer)
    fake_realtime.chunk_interval = 0.01
    phone = await FakePhone.dial(call)
    try:
        await connected(fake_realtime)
        session = fake_realtime.session
        await fake_realtime.await_for(
            lambda: (session.turn_detection or {}).get("create_response") is True, within=5
        )
        await phone.wait_for(lambda: phone.all_heard)
        await caller_says(fake_realtime, "When can you do an oil change?")
        await fake_realtime.await_for(lambda: held(session, "session.update"), within=5)
        assert session.turn_detection["create_response"] is False  # still held for the tool
        await caller_says(fake_realtime, "Anything in the afternoon?")  # cuts the answer in
        await finished(fake_realtime, 4)
        await asyncio.to_thread(fake_realtime.release_session_updates)
        await phone.wait_for(lambda: phone.all_heard)
        await asyncio.sleep(0.3)
    finally:
        await phone.hang_up()

    assert len(session.responses) == 4
    assert session.responses[2].status == "cancelled"  # the caller talked over the results' answer
    assert [t["type"] for t in brain.triggers[2:]] == ["response.create", "response.create"]
    assert said(session)[-1] == "Of course, the afternoon then."
    assert not session.errors_sent
