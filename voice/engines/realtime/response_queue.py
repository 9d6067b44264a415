"""Asking the model for responses, one at a time, and following each response to its end.

`ask()` queues a Request; `ask_next()` sends the first one once no response is active and none is
in flight (answers wait for running tools; fixed lines do not). A request for a model turn replaces
one already waiting, so the model answers the latest state once.

Who answers a caller turn is decided by the turn detection the server *applied* when it committed
the turn (turn_detection.py), not by the one last sent: a turn committed between our session.update
and the server applying it follows the old setting (e.g. right after the greeting, when auto answers
are switched back on), so the engine asks for it itself. A response the server starts on its own
answers every caller turn committed so far, so it replaces any answer of ours still waiting for one
of them (never two answers to one turn).

What the queue holds decides part of the turn detection (an answer of ours waiting, tools running:
the server must not answer as well), so the other parts send turn detection through it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from integrations.errors import ProviderError
from integrations.realtime import RealtimeError, ResponseCreated, ResponseDone
from voice.engines.realtime.responses import CALLER, Request, Response, line_instructions

if TYPE_CHECKING:
    from voice.engines.realtime.call import RealtimeCall
    from voice.engines.realtime.turn_detection import TurnDetectionSync
    from voice.engines.realtime.turns import CallerEntry

ANSWERED_ELSEWHERE = "conversation_already_has_active_response"
NOTHING_TO_CANCEL = "response_cancel_not_active"


class ResponseQueue:
    """What is asked and not sent yet, the request in flight (sent, not yet started or refused), the
    active response, the responses not done yet, and how many responses' tools still run.
    `model_failed(error)` is called when the model neither starts nor refuses a request."""

    def __init__(
        self,
        call: RealtimeCall,
        sync: TurnDetectionSync,
        *,
        model_failed: Callable[[str], Awaitable[None]],
    ):
        self._call = call
        self._connection = call.connection
        self._sync = sync
        self._model_failed = model_failed
        self._wanted: deque[Request] = deque()
        self._in_flight: Request | None = None
        self.active: Response | None = None
        self._responses: dict[str, Response] = {}
        self._tool_batches = 0  # responses whose tool calls still run
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        """A response is asked for, on its way, being said, or waiting on tools."""
        return bool(self.active or self._in_flight or self._wanted or self._tool_batches)

    # --- requests -------------------------------------------------------------------------------------

    def ask(self, request: Request) -> None:
        if request.line is None:
            for queued in self._wanted:
                if queued.line is None:  # one model turn answers everything said so far
                    queued.trigger_end = request.trigger_end or queued.trigger_end
                    if queued.kind == CALLER:  # keys or tool results: the server's answer may miss them
                        queued.kind = request.kind
                    request.settled.set()  # the one waiting answers it
                    self._call.tasks.spawn(self.ask_next())
                    return
        self._wanted.append(request)
        self._call.tasks.spawn(self.ask_next())

    async def ask_next(self) -> None:
        async with self._lock:
            rt = self._connection.rt
            if rt is None or self.active or self._in_flight or not self._wanted:
                return
            if self._call.actions.ended:
                self.clear()
                return
            while self._wanted and self._wanted[0].stale:
                self._settle(self._wanted.popleft())
            if not self._wanted:
                return
            request = self._wanted[0]
            if self._tool_batches and request.line is None:
                return  # the answer waits for the tool results (ToolCalls.finish asks again)
            self._wanted.popleft()
            self._in_flight = request
            request.sent_at = time.monotonic()
            if request.protected:
                self._sync.protect(request)
                await self.sync_turn_detection()  # before the line starts: speech must not cancel it
            line = request.line
            instructions = line_instructions(self._connection.instructions, line) if line else None
            try:
                await rt.create_response(instructions, use_tools=line is None)
                await self.sync_turn_detection()
            except ProviderError:
                return  # the socket is gone; the reader reports it (see recovery)
        self._call.tasks.spawn(self._expect_start(request))

    async def _expect_start(self, request: Request) -> None:
        await asyncio.sleep(self._call.timings.request_wait)
        if self._in_flight is request and not self._call.stopped:
            self._in_flight = None
            self._settle(request)
            await self._model_failed(f"The realtime voice model did not answer a {request.kind} request.")

    def clear(self) -> None:
        """Drop every request not sent yet."""
        dropped = list(self._wanted)
        self._wanted.clear()
        self._settle(*dropped)

    def drop_caller_requests(self) -> None:
        """The server's turn detection started a response: it answers every caller turn committed so
        far, so an answer of ours still waiting for one of them would be a second answer."""
        dropped = [request for request in self._wanted if request.kind == CALLER]
        if dropped:
            kept = [request for request in self._wanted if request.kind != CALLER]
            self._wanted.clear()
            self._wanted.extend(kept)
            self._settle(*dropped)
            self._call.tasks.spawn(self.sync_turn_detection())  # a hold kept for that answer can end

    # --- turn detection -------------------------------------------------------------------------------

    @property
    def _holds_answers(self) -> bool:
        # While an answer of ours waits, or tools run, the server must not answer on its own as well.
        return bool(self._tool_batches) or any(request.line is None for request in self._wanted)

    def turn_detection_now(self) -> dict[str, Any]:
        return self._sync.now(hold_answers=self._holds_answers)

    async def sync_turn_detection(self) -> None:
        await self._sync.send(hold_answers=self._holds_answers)

    async def lift_protection(self, request: Request) -> None:
        """`request`'s line was heard (or taken back): speech may cut the agent again."""
        if self._sync.release(request):
            await self.sync_turn_detection()

    def tool_batch_started(self) -> None:
        self._tool_batches += 1

    def tool_batch_finished(self) -> None:
        self._tool_batches -= 1

    # --- responses ------------------------------------------------------------------------------------

    def response(self, response_id: str) -> Response | None:
        return self._responses.get(response_id)

    def take_in_flight(self) -> Request | None:
        """A response was created: the request in flight, if any, is what it answers."""
        request, self._in_flight = self._in_flight, None
        return request

    def started(self, event: ResponseCreated, request: Request | None, caller: CallerEntry | None) -> None:
        """`request`: from take_in_flight(); None: the server's turn detection answered `caller` (the
        turn it last committed, if known)."""
        if request is not None:
            started, trigger = request.sent_at, request.trigger_end
        else:
            self.drop_caller_requests()
            started = caller.stopped_at if caller else event.received_at
            trigger = caller.ended_at if caller else None
        response = Response(event.response_id, request, event.received_at, started, trigger)
        self._responses[response.id] = response
        replaced, self.active = self.active, response
        if replaced is not None:
            self._settle(replaced.request)

    def done(self, event: ResponseDone) -> Response | None:
        """The response `event` ends, no longer tracked (None: unknown, or already forgotten)."""
        response = self._responses.pop(event.response_id, None)
        if response is None:
            return None
        if self.active is response:
            self.active = None
        self._settle(response.request)
        response.status = event.status
        return response

    async def server_error(self, error: RealtimeError) -> None:
        if error.code == NOTHING_TO_CANCEL:
            return  # the server had already cancelled it (its own barge-in handling)
        if error.code == ANSWERED_ELSEWHERE:
            # Our request crossed a response the server's turn detection had just started; the
            # server's response was taken for ours. Give it back and ask again after it, unless it
            # answered a caller turn: the server's response answers that turn already.
            active = self.active
            request = None
            if active is not None and active.request is not None:
                request, active.request = active.request, None
                await self.lift_protection(request)
            elif self._in_flight is not None:
                request, self._in_flight = self._in_flight, None
            if request is not None and request.kind != CALLER:
                self._wanted.appendleft(request)
            if request is not None:
                self._settle(request)
                self.drop_caller_requests()
            return
        self._call.log.warning("realtime error %s: %s", error.code, error.message)

    # --- a lost session -------------------------------------------------------------------------------

    def open_responses(self) -> list[Response]:
        return list(self._responses.values())

    def forget(self) -> None:
        """The session is gone: none of its responses goes on, nothing asked will be answered."""
        active, in_flight, wanted = self.active, self._in_flight, list(self._wanted)
        self._responses.clear()
        self.active = self._in_flight = None
        self._wanted.clear()
        self._settle(*wanted, in_flight, active.request if active is not None else None)

    def _pending(self, request: Request) -> bool:
        active = self.active
        return (
            request in self._wanted
            or self._in_flight is request
            or (active is not None and active.request is request)
        )

    def _settle(self, *requests: Request | None) -> None:
        for request in requests:
            if request is not None and not self._pending(request):
                request.settled.set()
