"""A restartable timer in the call's task set: run an action after a quiet spell."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from voice.call_tasks import CallTasks


class Later:
    """Runs an action `seconds` after `start()` unless started again or cancelled first, and never
    once the call is ending. One per purpose (a held turn, a message being left)."""

    def __init__(self, tasks: CallTasks, name: str):
        self._tasks = tasks
        self._name = name
        self._generation = 0

    def start(self, seconds: float, action: Callable[[], Awaitable[None]]) -> None:
        self._generation += 1
        self._tasks.spawn(self._run(seconds, action, self._generation), name=f"later-{self._name}")

    def cancel(self) -> None:
        self._generation += 1  # a sleeping timer wakes up to find it is stale

    async def _run(self, seconds: float, action: Callable[[], Awaitable[None]], generation: int) -> None:
        await asyncio.sleep(seconds)
        if generation == self._generation and not self._tasks.ending:
            await action()
