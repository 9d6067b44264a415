import asyncio
import json

import pytest

from voice.agent.tooling import TIMED_OUT, ToolOutcome
from voice.engines.cascade.conversation import Conversation, ToolResult
from voice.engines.cascade.hearing import AudioPipe

pytestmark = pytest.mark.asyncio


async def test_the_audio_pipe_drops_the_oldest_frames_when_full():
    pipe = AudioPipe(max_frames=3)
    for n in range(5):
        pipe.put(bytes([n]) * 160)

    batch = await pipe.take()

    assert [frame[0] for frame, _ in batch] == [2, 3, 4]
    assert pipe.dropped == 2


async def test_the_audio_pipe_waits_for_audio():
    pipe = AudioPipe()
    taking = asyncio.create_task(pipe.take())
    await asyncio.sleep(0.01)
    assert not taking.done()

    pipe.put(b"\x01" * 160)

    assert [frame for frame, _ in await asyncio.wait_for(taking, 1)] == [b"\x01" * 160]


async def test_the_conversation_waits_for_a_running_tool_before_the_next_request():
    async def booking() -> ToolOutcome:
        await asyncio.sleep(0.05)
        return ToolOutcome("call_1", "schedule_appointment", {}, {"success": True, "appointment_id": 7}, 50)

    conversation = Conversation("You are the assistant.")
    conversation.add_caller("Book it.")
    conversation.add(ToolResult("call_1", asyncio.create_task(booking())))

    messages = await conversation.messages([{"role": "assistant", "content": "Done."}])

    assert [m["role"] for m in messages] == ["system", "user", "tool", "assistant"]
    assert messages[2] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": '{"success": true, "appointment_id": 7}',
    }


async def test_a_tool_that_never_finishes_reads_as_an_error_to_the_model():
    never = asyncio.create_task(asyncio.sleep(10))
    conversation = Conversation("system", tool_wait=0.05)
    conversation.add(ToolResult("call_1", never))  # type: ignore[arg-type]

    messages = await conversation.messages()

    assert json.loads(messages[1]["content"]) == TIMED_OUT
    assert not never.done()  # waiting never cancels the tool
    never.cancel()
