"""Asking the model for responses, one at a time, and following each response to its end.

`_ask()` queues a Request; `_ask_next()` sends the first one once no response is active and none is
in flight (answers wait for running tools; fixed lines do not). A request for a model turn replaces
one already waiting, so the model answers the latest state once. Mixin of RealtimeEngine.

Who answers a caller turn is decided by the turn detection the server *applied* when it committed
the turn (`_td_applied`, from session.updated in the event stream), not by the one last sent: a turn
committed between our session.update and the server applying it follows the old setting (e.g. right
after the greeting, when auto answers are switched back on), so the engine asks for it itself. A
response the server starts on its own answers every caller turn committed so far, so it replaces any
answer of ours still waiting for one of them (never two answers to one turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from integrations.errors import ProviderError
from integrations.realtime import RealtimeError, ResponseCreated, ResponseDone
from voice.agent.flow import CLOSING, NORMAL
from voice.engines.realtime.recovery import MODEL_FAILED
from voice.engines.realtime.responses import CALLER, KEYPAD, Request, Response, line_instructions
from voice.engines.realtime.state import EngineState

ANSWERED_ELSEWHERE = "conversation_already_has_active_response"
NOTHING_TO_CANCEL = "response_cancel_not_active"


class Asking(EngineState):
    _ask_lock: asyncio.Lock

    # --- requests -------------------------------------------------------------------------------------

    def _ask(self, request: Request) -> None:
        if request.line is None:
            for queued in self._wanted:
                if queued.line is None:  # one model turn answers everything said so far
                    queued.trigger_end = request.trigger_end or queued.trigger_end
                    if queued.kind == CALLER:  # keys or tool results: the server's answer may miss them
                        queued.kind = request.kind
                    self._spawn(self._ask_next())
                    return
        self._wanted.append(request)
        self._spawn(self._ask_next())

    async def _ask_next(self) -> None:
        async with self._ask_lock:
            rt, actions = self.rt, self.actions
            if rt is None or actions is None or self._active or self._in_flight or not self._wanted:
                return
            if actions.ended:
                self._wanted.clear()
                return
            while self._wanted and self._wanted[0].stale:
                self._wanted.popleft()
            if not self._wanted:
                return
            request = self._wanted[0]
            if self._tool_batches and request.line is None:
                return  # the answer waits for the tool results (_finish_tools asks again)
            self._wanted.popleft()
            self._in_flight = request
            request.sent_at = time.monotonic()
            if request.protected:
                self._protected = request
                await self._sync_turn_detection()  # before the line starts: speech must not cancel it
            instructions = line_instructions(self._instructions, request.line) if request.line else None
            try:
                await rt.create_response(instructions, use_tools=request.line is None)
                await self._sync_turn_detection()
            except ProviderError:
                return  # the socket is gone; the reader reports it (see recovery)
        self._spawn(self._expect_start(request))

    async def _expect_start(self, request: Request) -> None:
        await asyncio.sleep(self.timings.request_wait)
        if self._in_flight is request and not self._stopped:
            self._in_flight = None
            await self._fail(
                f"The realtime voice model did not answer a {request.kind} request.", reason=MODEL_FAILED
            )

    def _turn_detection_now(self) -> dict[str, Any]:
        ended = self.actions is not None and self.actions.ended
        protect = self._protected is not None or self.flow.mode == CLOSING
        # While an answer of ours waits, the server must not answer on its own as well.
        waiting = any(request.line is None for request in self._wanted)
        hold = protect or waiting or bool(self._tool_batches) or self.flow.mode != NORMAL or ended
        return self.detection.config(hold=hold, protect=protect)

    async def _sync_turn_detection(self) -> None:
        """Send the turn detection this moment needs, when it differs from what the server has."""
        rt = self.rt
        if rt is None:
            return
        wanted = self._turn_detection_now()
        if wanted == self._td_sent:
            return
        self._td_sent = wanted
        with contextlib.suppress(ProviderError):
            await rt.update_turn_detection(wanted)

    @property
    def _server_answers(self) -> bool:
        """The server answers a turn it commits now by itself (per the setting it applied)."""
        return bool(self._td_applied and self._td_applied.get("create_response", True))

    @property
    def _server_interrupts(self) -> bool:
        """The server cancels its response itself when the caller starts talking now."""
        return bool(self._td_applied and self._td_applied.get("interrupt_response", True))

    def _drop_caller_requests(self) -> None:
        """The server's turn detection started a response: it answers every caller turn committed so
        far, so an answer of ours still waiting for one of them would be a second answer."""
        kept = [request for request in self._wanted if request.kind != CALLER]
        if len(kept) != len(self._wanted):
            self._wanted.clear()
            self._wanted.extend(kept)
            self._spawn(self._sync_turn_detection())  # a hold kept for that answer can end

    # --- responses ------------------------------------------------------------------------------------

    def _response_created(self, event: ResponseCreated) -> None:
        request, self._in_flight = self._in_flight, None
        if request is None or request.kind in (CALLER, KEYPAD):
            self._filler_said = False  # an answer to the caller starts a reply: it may get a hold line
        if request is not None:
            started, trigger = request.sent_at, request.trigger_end
        else:  # the server's turn detection answered the caller
            self._drop_caller_requests()
            caller, self._last_caller = self._last_caller, None
            started = caller.stopped_at if caller else event.received_at
            trigger = caller.ended_at if caller else None
        response = Response(event.response_id, request, event.received_at, started, trigger)
        self._responses[response.id] = response
        self._active = response

    async def _response_done(self, event: ResponseDone) -> None:
        response = self._responses.pop(event.response_id, None)
        if response is None:
            return
        if self._active is response:
            self._active = None
        response.status = event.status
        for item in response.items:
            await self._finish_item(item)
            item.text_final()  # the transcript's own done event came first, or never will
        if event.status == "failed":
            details = event.status_details or "no details"
            await self._fail(f"The realtime voice model failed: {details}", reason=MODEL_FAILED)
            return
        if response.calls:
            self._spawn(self._finish_tools(response))
        elif response.request is not None and response.request.line is not None:
            self._spawn(self._after_line(response))
        elif self.actions is not None and self.actions.pending is not None:
            if response.cut or event.status == "cancelled":
                self.actions.drop_pending()  # the words before the transfer or hang-up were cut
            else:
                self._guard(self.actions.after_heard(response.last_label, max_wait=self.timings.heard_wait))
        await self._ask_next()

    async def _server_error(self, error: RealtimeError) -> None:
        if error.code == NOTHING_TO_CANCEL:
            return  # the server had already cancelled it (its own barge-in handling)
        if error.code == ANSWERED_ELSEWHERE:
            # Our request crossed a response the server's turn detection had just started; the
            # server's response was taken for ours. Give it back and ask again after it, unless it
            # answered a caller turn: the server's response answers that turn already.
            active = self._active
            request = None
            if active is not None and active.request is not None:
                request, active.request = active.request, None
                if request is self._protected:
                    self._protected = None
                    await self._sync_turn_detection()
            elif self._in_flight is not None:
                request, self._in_flight = self._in_flight, None
            if request is not None and request.kind != CALLER:
                self._wanted.appendleft(request)
            if request is not None:
                self._drop_caller_requests()
            return
        self.log.warning("realtime error %s: %s", error.code, error.message)
