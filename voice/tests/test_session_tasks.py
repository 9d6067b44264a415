"""A call's tasks live in its session's CallTasks: when the call ends, work that ends with it is
cancelled, work that must not be cut short (a transfer, a text) finishes, and the call is marked
as ending before the engine stops."""

import asyncio

import pytest

from voice.session import CallSession
from voice.tests.test_consumer import eventually, media_frame, started_stream

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_the_end_of_a_call_cancels_its_work_and_finishes_guarded_work(answered_call, engines):
    stream, engine = await started_stream(answered_call, engines)
    tasks = engine.session.tasks
    done: list[str] = []

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def transfer() -> None:
        await asyncio.sleep(0.2)
        done.append("transfer")

    reader = tasks.spawn(forever())
    tasks.guard(transfer())
    assert not tasks.ending

    await stream.send_json_to({"event": "stop", "streamSid": "MZ", "stop": {}})
    await eventually(lambda: engine.stops == 1 and reader.done() and done)

    assert reader.cancelled() and done == ["transfer"] and tasks.ending
    await stream.disconnect()


async def test_a_broken_task_is_logged_and_the_call_goes_on(answered_call, engines, caplog):
    stream, engine = await started_stream(answered_call, engines)

    async def broken() -> None:
        raise RuntimeError("a bug in one part")

    failed = engine.session.tasks.spawn(broken())
    await asyncio.wait({failed})
    await stream.send_json_to(media_frame(b"\xff" * 160))

    await eventually(lambda: engine.frames == 1)
    assert not engine.session.tasks.ending
    assert "a bug in one part" in caplog.text  # logged with the call, not lost
    await stream.disconnect()


async def test_a_session_closed_before_any_stream_ends_its_own_tasks():
    sent: list[str] = []
    closed: list[bool] = []

    async def send_text(text: str) -> None:
        sent.append(text)

    async def close() -> None:
        closed.append(True)

    session = CallSession(send_text=send_text, close=close)
    assert session.tasks.running == 1  # its watchdog
    await session.closed()

    assert session.tasks.ending and session.tasks.running == 0
    assert not closed and not sent  # the socket was already gone: nothing sent, nothing closed
