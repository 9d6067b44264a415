"""Every asyncio task of one live call, in one place (asyncio tasks, not Celery).

The session owns one `CallTasks` per call and hands it to the engine and the agent's parts through
the transport (`transport.tasks`). Two kinds of work:
- `spawn`: work that ends with the call (readers, timers, a reply being produced). `close()` cancels
  it. An exception is logged with the call SID and the call goes on: one broken task never takes the
  call down with it.
- `guard`: work the end of the call must not cut short (a transfer, a hang-up, Twilio's apology, a
  record still being written). The call often ends *because* of it, so `close()` waits for it,
  within a bound, instead of cancelling it.
`ending` is the one flag that says the call is ending: set once by `begin_ending()` (a transfer, a
hang-up, the end of the stream) or by `close()`, read by every part that must stop starting new things
the caller would hear. `closed` says more: the call's work is being torn down (the engine stops), so
readers stop reading too; between the two, an engine still follows its provider's last events (the
goodbye's transcript, the records).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

CANCEL_WITHIN = 2.0  # seconds cancelled tasks get to unwind
GUARDED_WITHIN = 5.0  # seconds guarded work gets to finish before it is cancelled too


class CallTasks:
    def __init__(self, log: logging.Logger | logging.LoggerAdapter[Any]):
        self.log = log
        self._spawned: set[asyncio.Task[Any]] = set()
        self._guarded: set[asyncio.Task[Any]] = set()
        self._ending = False
        self._ending_reason = ""
        self._closed = False

    @property
    def ending(self) -> bool:
        """The call is ending: start nothing new that the caller would hear."""
        return self._ending

    @property
    def closed(self) -> bool:
        """`close()` was called: the call's tasks are being cancelled."""
        return self._closed

    @property
    def ending_reason(self) -> str:
        return self._ending_reason

    def begin_ending(self, reason: str) -> bool:
        """Mark the call as ending; True the first time only (the caller of that one acts on it)."""
        if self._ending:
            return False
        self._ending, self._ending_reason = True, reason
        return True

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run `coro` until it finishes or the call closes."""
        return self._track(coro, self._spawned, name)

    def guard(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run `coro` to its end even while the call closes (bounded by `close`)."""
        return self._track(coro, self._guarded, name)

    @property
    def running(self) -> int:
        return len(self._spawned) + len(self._guarded)

    async def close(
        self, *, cancel_within: float = CANCEL_WITHIN, guarded_within: float = GUARDED_WITHIN
    ) -> None:
        """Cancel spawned work, let guarded work finish (each within its bound). Never cancels the
        task that calls it, and never raises."""
        self.begin_ending("closed")
        self._closed = True
        current = asyncio.current_task()
        spawned = [task for task in self._spawned if task is not current]
        for task in spawned:
            task.cancel()
        if spawned:
            await asyncio.wait(spawned, timeout=cancel_within)
        guarded = [task for task in self._guarded if task is not current]
        if guarded:
            _, late = await asyncio.wait(guarded, timeout=guarded_within)
            for task in late:
                self.log.warning(
                    "%s still running %g s after the call ended; cancelled", task.get_name(), guarded_within
                )
                task.cancel()

    def _track(
        self, coro: Coroutine[Any, Any, Any], into: set[asyncio.Task[Any]], name: str | None
    ) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name or getattr(coro, "__qualname__", None))
        into.add(task)
        task.add_done_callback(into.discard)
        task.add_done_callback(self._report)
        return task

    def _report(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.log.error("task %s failed", task.get_name(), exc_info=error)
