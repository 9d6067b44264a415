import asyncio
import json

import pytest

from voice.media_streams import Encoder
from voice.playout import Playout

pytestmark = pytest.mark.asyncio


class Wire:
    """What would have gone to Twilio."""

    def __init__(self):
        self.frames: list[dict] = []

    async def send(self, text: str) -> None:
        self.frames.append(json.loads(text))

    def events(self) -> list[str]:
        return [f["event"] if f["event"] != "mark" else f["mark"]["name"] for f in self.frames]


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def playout(wire) -> Playout:
    return Playout(Encoder("MZ1"), wire.send)


async def test_streamed_pieces_are_marked_every_100_ms_of_the_utterance(playout, wire):
    for _ in range(3):
        await playout.play(b"\xff" * 500, label="a", final=False)
    await playout.play(b"", label="a", final=True)

    assert wire.events() == ["media", "media", "m-1", "media", "media", "m-2"]
    assert playout.utterances["a"].sent_bytes == 1500


async def test_an_utterance_is_not_heard_until_its_last_piece_is(playout, wire):
    await playout.play(b"\xff" * 800, label="a", final=False)
    waiting = asyncio.create_task(playout.wait_until_heard("a", 1))
    playout.on_mark("m-1")
    await asyncio.sleep(0)
    assert not waiting.done()

    await playout.play(b"\xff" * 100, label="a", final=True)
    playout.on_mark("m-2")

    assert await waiting is True


async def test_waiting_gives_up_after_max_wait(playout):
    await playout.play(b"\xff" * 800, label="a", final=True)

    assert await playout.wait_until_heard("a", 0.05) is False


async def test_marks_it_never_sent_are_ignored(playout):
    await playout.play(b"\xff" * 800, label="a", final=True)

    assert playout.on_mark("utt-7") is False
    assert playout.audio_pending


async def test_an_interrupt_leaves_earlier_fully_heard_utterances_alone(playout):
    await playout.play(b"\xff" * 800, label="first", final=True)
    playout.on_mark("m-1")
    await playout.play(b"\xff" * 800, label="second", final=True)

    cut = await playout.interrupt()

    assert set(cut) == {"second"}
    assert cut["second"].heard_bytes == 0
    assert playout.utterances["first"].fully_heard


async def test_a_play_waiting_on_the_lock_during_an_interrupt_is_refused(playout, wire):
    await playout.play(b"\xff" * 400, label="a", final=False)
    interrupting = asyncio.create_task(playout.interrupt())
    late = asyncio.create_task(playout.play(b"\xff" * 400, label="a", final=True))

    await asyncio.gather(interrupting, late)

    assert late.result() is False
    assert wire.events() == ["media", "clear"]


async def test_nothing_plays_after_close(playout, wire):
    playout.close()

    assert await playout.play(b"\xff" * 800, label="a", final=True) is False
    assert wire.frames == []
