"""The realtime engine's transcript: turns in spoken order, written once their facts are in."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from voice.agent.records import CallRecorder
from voice.engines.realtime.responses import Response
from voice.engines.realtime.turns import AgentItem, CallerEntry, TurnLog
from voice.models import Call, Turn
from voice.playout import Utterance

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call(transactional_db):
    return Call.objects.create(call_sid="CA" + "9" * 32, from_number="+13125550147")


class Played:
    """What the playout knows about each utterance (the part of CallSession an AgentItem reads)."""

    def __init__(self, **utterances: Utterance):
        self.utterances = utterances

    def utterance(self, label: str) -> Utterance | None:
        return self.utterances.get(label)


def agent_item(item_id: str, played: Played, *, response: Response | None = None) -> AgentItem:
    response = response or Response("resp_1", None, created_at=10.0, started_at=9.5, trigger_end=9.0)
    item = AgentItem(item_id, response, len(response.items), played, rt=None)  # type: ignore[arg-type]
    response.items.append(item)
    return item


async def turns(call) -> list[Turn]:
    return await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()


async def test_a_caller_turn_keeps_its_place_until_its_transcript_arrives(call):
    recorder = CallRecorder(call_id=call.pk)
    log = TurnLog(recorder, log=recorder.log)
    caller = CallerEntry("item_c1", started_at=1.0, ended_at=2.0)
    answer = agent_item("item_a1", Played(item_a1=Utterance("item_a1", 1600, 1600, final=True)))
    log.add(caller)
    log.add(answer)
    answer.text_final("Sure, which day works?")
    answer.heard_is(True)
    await asyncio.sleep(0.1)
    assert await turns(call) == []  # the agent's answer waits for the caller's words

    caller.transcribed("I need an oil change.", 2.3)
    await log.close()
    await recorder.close()

    saved = await turns(call)
    assert [(t.role, t.text) for t in saved] == [
        ("caller", "I need an oil change."),
        ("agent", "Sure, which day works?"),
    ]
    assert saved[0].stt_ms == 300
    assert log.history() == ["Caller: I need an oil change.", "You: Sure, which day works?"]


async def test_an_interrupted_item_keeps_the_share_of_words_that_was_heard(call):
    recorder = CallRecorder(call_id=call.pk)
    log = TurnLog(recorder, log=recorder.log)
    # 4 words generated (3200 bytes), 1600 sent before the cut, 800 heard: a quarter.
    cut = Utterance("item_a1", sent_bytes=1600, heard_bytes=800, interrupted=True)
    item = agent_item("item_a1", Played(item_a1=cut))
    item.audio_bytes = 3200
    item.first_audio_at, item.first_sent_at = 10.2, 10.25
    item.response.first_delta_at = 10.1
    log.add(item)
    item.text_final("We open at seven.")
    item.heard_is(False)
    await log.close()
    await recorder.close()

    [turn] = await turns(call)
    assert turn.interrupted and turn.heard_text == "We—"
    assert (turn.llm_first_token_ms, turn.tts_first_byte_ms, turn.response_ms) == (600, 200, 1250)


async def test_noise_without_words_and_items_without_text_are_left_out(call):
    recorder = CallRecorder(call_id=call.pk)
    log = TurnLog(recorder, log=recorder.log)
    noise = CallerEntry("item_c1", started_at=1.0, ended_at=1.5)
    silent = agent_item("item_a1", Played())
    log.add(noise)
    log.add(silent)
    noise.transcribed("  ", 2.0)
    silent.text_final("")
    silent.heard_is(True)
    await log.close()
    await recorder.close()

    assert await turns(call) == []


async def test_closing_writes_what_is_known_without_waiting(call):
    recorder = CallRecorder(call_id=call.pk)
    log = TurnLog(recorder, log=recorder.log)
    heard = Utterance("item_a1", sent_bytes=800, heard_bytes=800, final=True)
    item = agent_item("item_a1", Played(item_a1=heard))
    item.parts = ["Thanks ", "for calling."]
    log.add(item)
    await asyncio.wait_for(log.close(), 1.0)
    await recorder.close()

    [turn] = await turns(call)
    assert turn.text == "Thanks for calling." and not turn.interrupted
