import asyncio
import logging

import pytest

from voice.call_tasks import CallTasks

pytestmark = pytest.mark.asyncio

log = logging.getLogger("test.call_tasks")


async def test_close_cancels_spawned_work_but_lets_guarded_work_finish():
    tasks = CallTasks(log)
    done: list[str] = []

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def hang_up() -> None:
        await asyncio.sleep(0.05)
        done.append("hung up")

    reader = tasks.spawn(forever())
    tasks.guard(hang_up())
    await tasks.close()

    assert reader.cancelled()
    assert done == ["hung up"]
    assert tasks.ending and tasks.running == 0


async def test_guarded_work_is_bounded():
    tasks = CallTasks(log)
    stuck = tasks.guard(asyncio.sleep(3600))

    await tasks.close(guarded_within=0.05)
    await asyncio.sleep(0)

    assert stuck.cancelled()


async def test_a_failing_task_is_logged_and_the_others_go_on(caplog):
    tasks = CallTasks(log)

    async def broken() -> None:
        raise RuntimeError("boom")

    survivor = tasks.spawn(asyncio.sleep(0.05, result="ok"))
    failed = tasks.spawn(broken())
    await asyncio.wait([failed])

    assert await survivor == "ok"
    assert "failed" in caplog.text and "boom" in caplog.text


async def test_close_from_inside_a_task_does_not_cancel_that_task():
    tasks = CallTasks(log)

    async def ends_the_call() -> str:
        await tasks.close()
        return "finished"

    assert await tasks.spawn(ends_the_call()) == "finished"


async def test_the_call_starts_ending_once():
    tasks = CallTasks(log)

    assert tasks.begin_ending("caller hung up") is True
    assert tasks.begin_ending("time limit") is False
    assert tasks.ending_reason == "caller hung up"
