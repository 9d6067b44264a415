"""The live board's side of a call's records: register the call, publish what was written, unregister.

Used by `voice.agent.records.CallRecorder`, the one path every engine and transport writes its
turns, tool calls and outcome through; publishing runs on the recorder's background task, never on
the audio path, and registering/unregistering run as tasks of their own, so a slow or vanished Redis
delays neither the call's records nor its end. Nothing here raises: after a failure the call is left
off the board for `QUIET_AFTER_FAILURE` seconds instead of paying a timeout on every turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

from voice.live import events
from voice.live.publish import BOARD_GROUP, call_live_group, live_publish
from voice.live.registry import REDIS_TIMEOUT, live_call_register, live_call_unregister
from voice.services import call_set_outcome, tool_call_record, turn_record

logger = logging.getLogger(__name__)

QUIET_AFTER_FAILURE = 10.0  # seconds


# Registrations still finishing after their call moved on (a reference keeps each task alive).
_pending: set[asyncio.Task[None]] = set()


def _background(coroutine: Any, name: str) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(coroutine, name=name)
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return task


class LiveWatch:
    def __init__(self, call_id: int, log: logging.Logger | logging.LoggerAdapter = logger):
        self.call_id = call_id
        self.log = log
        self.registered = False
        self._quiet_until = 0.0
        self._opening: asyncio.Task[None] | None = None
        self._ended = False

    def open(self) -> None:
        """The call started: register it and tell the board, in the background."""
        if self._opening is None and not self._ended:
            self._opening = _background(self.opened(), f"live-open-{self.call_id}")

    def close(self) -> None:
        """The call ended: take it off the board, in the background (after the registration)."""
        self._ended = True
        _background(self._close_after_open(), f"live-close-{self.call_id}")

    async def _close_after_open(self) -> None:
        if self._opening is not None and not self._opening.done():
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._opening), REDIS_TIMEOUT * 3)
        await self.closed()

    def _quiet(self) -> bool:
        return asyncio.get_running_loop().time() < self._quiet_until

    def _failed(self, what: str, exc: BaseException) -> None:
        self._quiet_until = asyncio.get_running_loop().time() + QUIET_AFTER_FAILURE
        self.log.warning("live board: %s failed (%s); not shown for a while", what, type(exc).__name__)

    async def opened(self) -> None:
        """The call started: it appears on the board."""
        try:
            header = await database_sync_to_async(events.call_header_by_id)(self.call_id)
            if header is None:
                return
            await asyncio.wait_for(live_call_register(header), REDIS_TIMEOUT * 3)
            self.registered = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed("registering the call", exc)
            return
        await live_publish(BOARD_GROUP, {"kind": "open", "call": header}, log=self.log)

    async def written(self, fn: Callable[..., Any], kwargs: dict[str, Any], result: Any) -> None:
        """A record was saved: one send to the call's watchers (turns, tool calls, outcome only)."""
        if not self.registered or self._quiet():
            return
        if fn is turn_record and result is not None:
            event = events.turn_event(result)
        elif fn is tool_call_record and result is not None:
            event = events.tool_event(result)
        elif fn is call_set_outcome:
            event = events.outcome_event(self.call_id, kwargs.get("outcome", ""))
        else:
            return
        if not await live_publish(call_live_group(self.call_id), event, log=self.log):
            self._quiet_until = asyncio.get_running_loop().time() + QUIET_AFTER_FAILURE

    async def closed(self) -> None:
        """The call ended: it leaves the board."""
        if not self.registered:
            return
        self.registered = False
        try:
            await asyncio.wait_for(live_call_unregister(self.call_id), REDIS_TIMEOUT * 3)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the deadline takes it off the board within LIVE_CALL_TTL_SECONDS
            self._failed("unregistering the call", exc)
        await live_publish(BOARD_GROUP, {"kind": "end", "call_id": self.call_id}, log=self.log)
