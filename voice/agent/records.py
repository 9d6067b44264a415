"""A call's records (turns, tool calls, outcome, consent, errors) written in order off the call's path.

Engines never wait on the database while the caller waits on them: writes go on a queue that one
background task drains through `database_sync_to_async`, in the order they were made (so a
transcript's `seq` follows the conversation). A failed write is logged and the call goes on.

That drain is the one task of a call that is not in the call's `CallTasks`, on purpose: the records
are written after the task set closed (the engine's last writes) and, when the database is slow,
for up to `background_limit` seconds after the call, which no per-call bound should cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from dealership import metrics
from voice.live.watch import LiveWatch
from voice.models import Call
from voice.recordings.transcript import call_records_complete
from voice.services import (
    call_mark_urgent,
    call_record_error,
    call_set_language,
    call_set_outcome,
    call_set_recording_consent,
    tool_call_record,
    turn_record,
)

logger = logging.getLogger(__name__)


def monotonic_to_datetime(moment: float | None) -> datetime | None:
    """The wall-clock time of a `time.monotonic()` reading (for Turn.started_at)."""
    if moment is None:
        return None
    loop_now = asyncio.get_running_loop().time()  # the loop's clock is time.monotonic()
    return timezone.now() - timedelta(seconds=max(0.0, loop_now - moment))


def ms_between(start: float | None, end: float | None) -> int | None:
    """Whole milliseconds from `start` to `end` (monotonic seconds); None when either is unknown."""
    if start is None or end is None:
        return None
    return max(0, round((end - start) * 1000))


# Recorders finishing their writes after their call ended (a reference keeps each task alive).
_finishing: set[asyncio.Task[None]] = set()


async def _stop(worker: asyncio.Task[None]) -> None:
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker


class CallRecorder:
    """Ordered, non-blocking writes for one call. Create it in the call's event loop.

    `turn`, `tool_call`, `outcome`, `consent`, `error` and `urgent` return at once; `write(fn, **kw)`
    queues any other sync service and awaits its result (None if it failed). `close()` waits (bounded) for the
    queue to empty, so the records are complete when the call ends.
    """

    def __init__(
        self,
        *,
        call_id: int,
        log: logging.LoggerAdapter | logging.Logger = logger,
        on_caller_text: Callable[[str], bool | None] | None = None,
        in_metrics: bool = True,
    ):
        """`on_caller_text(text)` hears every caller turn as it is recorded (the transport's
        `caller_said`: an objection to recording acts at once, not after the write); True when the
        caller just declined recording. `in_metrics`: turn latencies go to /metrics (not a browser
        test call's)."""
        self.call_id = call_id
        self.in_metrics = in_metrics
        self.log = log
        self._on_caller_text = on_caller_text
        self._queue: asyncio.Queue[tuple[Callable[..., Any], dict[str, Any], asyncio.Future[Any] | None]] = (
            asyncio.Queue()
        )
        self._worker: asyncio.Task[None] | None = None
        # The live board (voice.live): the call is registered by the first write and each turn, tool
        # call and outcome is published once saved, on this recorder's task, off the audio path.
        self.live = LiveWatch(call_id, log)

    def turn(self, *, role: str, text: str, started_at: float | None = None, **fields: Any) -> None:
        """Append a transcript turn; `started_at` is a monotonic time; `fields` as turn_record's."""
        if fields.get("response_ms") is not None and self.in_metrics:
            metrics.TURN_LATENCY.observe(fields["response_ms"] / 1000)
        if role == "caller" and self._on_caller_text is not None:
            try:
                if self._on_caller_text(text):
                    # Written in order, before the call's last write reads it (the recording's own
                    # discard task writes it too, off this queue).
                    self.consent(Call.RecordingConsent.DECLINED)
            except Exception:
                self.log.exception("the caller's words could not be checked for recording consent")
        self._put(
            turn_record,
            {
                "call_id": self.call_id,
                "role": role,
                "text": text,
                "started_at": monotonic_to_datetime(started_at),
                **fields,
            },
        )

    def tool_call(
        self, *, name: str, arguments: dict[str, Any], result: Any, success: bool, duration_ms: int | None
    ) -> None:
        self._put(
            tool_call_record,
            {
                "call_id": self.call_id,
                "name": name,
                "arguments": arguments,
                "result": result,
                "success": success,
                "duration_ms": duration_ms,
            },
        )

    def outcome(self, outcome: str) -> None:
        self._put(call_set_outcome, {"call_id": self.call_id, "outcome": outcome})

    def consent(self, consent: str) -> None:
        self._put(call_set_recording_consent, {"call_id": self.call_id, "consent": consent})

    def language(self, language: str, *, customer_id: int | None = None) -> None:
        """The caller's language changed: on the call, and learnt as the customer's preference."""
        self._put(
            call_set_language, {"call_id": self.call_id, "language": language, "customer_id": customer_id}
        )

    def error(self, error: str) -> None:
        self._put(call_record_error, {"call_id": self.call_id, "error": error})

    def urgent(self, reason: str) -> None:
        """The call is a safety issue (voice.services.call_mark_urgent)."""
        self._put(call_mark_urgent, {"call_id": self.call_id, "reason": reason})

    async def write(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Run the sync service `fn(**kwargs)` after the writes queued before it; None if it failed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._put(fn, kwargs, future)
        return await future

    async def close(self, *, within: float = 5.0, background_limit: float = 120.0) -> None:
        """Wait up to `within` seconds for queued writes, so the call ends promptly; if the database is
        slower than that (a burst of hang-ups on one process), the rest are written in the background,
        for up to `background_limit` seconds, rather than dropped. Then the call's summary is queued
        (voice.summaries). Never raises."""
        if self._worker is None:
            return
        self.live.close()  # it leaves the board now, while its last records are still written
        # Last in the queue, so the summary (or, when the caller objected, the shop's transcript policy)
        # acts once every turn of the call and its consent state are written.
        self._put(call_records_complete, {"call_id": self.call_id})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), within)
        worker, self._worker = self._worker, None
        if self._queue.empty():
            await _stop(worker)
            return
        self.log.warning(
            "call records: %d writes still queued at hang-up; finishing them", self._queue.qsize()
        )
        finisher = asyncio.get_running_loop().create_task(self._finish(worker, background_limit))
        _finishing.add(finisher)
        finisher.add_done_callback(_finishing.discard)

    async def _finish(self, worker: asyncio.Task[None], limit: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), limit)
        if not self._queue.empty():
            self.log.error("call records: %d writes lost after %.0f s", self._queue.qsize(), limit)
        await _stop(worker)
        while not self._queue.empty():
            *_, future = self._queue.get_nowait()
            if future is not None and not future.done():
                future.set_result(None)

    def _put(
        self, fn: Callable[..., Any], kwargs: dict[str, Any], future: asyncio.Future[Any] | None = None
    ) -> None:
        self._queue.put_nowait((fn, kwargs, future))
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        self.live.open()
        while True:
            fn, kwargs, future = await self._queue.get()
            try:
                result = await database_sync_to_async(fn)(**kwargs)
            except asyncio.CancelledError:
                if future is not None and not future.done():
                    future.set_result(None)
                raise
            except Exception:
                self.log.exception("call records: %s failed", getattr(fn, "__name__", fn))
                result = None
            finally:
                self._queue.task_done()
            if future is not None and not future.done():
                future.set_result(result)
            if result is not None or fn is call_set_outcome:
                await self.live.written(fn, kwargs, result)
