"""The model's function calls on a realtime call, through the one tools registry.

Each call starts at once in its own task (voice.agent.tooling.ToolRunner), so a barge-in that
cancels the response never cancels a booking. While tools run, turn detection holds (the model does
not answer a caller turn without the results). When the response is done and its tools finished,
every result goes back to the session; then the model is asked to go on, unless the caller cut the
response short (their own turn is answered instead, and a transfer or hang-up the cut response asked
for is dropped). CallActions.after_tool has already set outcomes, sent the SMS confirmation and
marked a pending transfer or hang-up.

Hold line (as in the cascade): when the tools of a response that said nothing still run after
`RealtimeTimings.filler_after`, the model is asked to say the hold line ("one_moment" in
voice.agent.lines, in the caller's language) word for word,
once per reply, through the request queue (so it never collides with another response). The results
go back, and the model is asked to go on, only once that line's request has settled (its response is
done, or it was dropped); a line still queued when the tools finish is dropped. A barge-in cuts it
like any line; the tools run on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from integrations.errors import ProviderError
from integrations.realtime import FunctionCall
from voice.agent.actions import SPOKEN
from voice.agent.flow import Line
from voice.agent.lines import line as line_text
from voice.agent.tooling import outcome_result
from voice.engines.realtime.responses import LINE, TOOLS, Request, Response

if TYPE_CHECKING:
    from voice.engines.realtime.call import RealtimeCall
    from voice.engines.realtime.caller import CallerTurns
    from voice.engines.realtime.response_queue import ResponseQueue

RESULT_IN_HISTORY = 600  # characters of a tool result kept for a reconnect summary


class ToolCalls:
    """Function calls and their results, and whether the current reply had its hold line."""

    def __init__(self, call: RealtimeCall, queue: ResponseQueue, callers: CallerTurns):
        self._call = call
        self._connection = call.connection
        self._queue = queue
        self._callers = callers
        self._filler_said = False  # the hold line was asked for in the current reply

    def new_reply(self) -> None:
        """A response answering the caller started: it may get a hold line."""
        self._filler_said = False

    async def call(self, event: FunctionCall) -> None:
        response = self._queue.active
        task = self._call.tools.start(
            call_id=event.call_id, name=event.name, arguments_json=event.arguments_json
        )
        if response is None:  # not expected: a call outside a response; still answer it
            stray = Response("", None, 0.0, None, None, calls=[(event.call_id, event.name, task)])
            self._call.tasks.spawn(self._send_results(stray))
            return
        if not response.calls:
            self._queue.tool_batch_started()
            await self._queue.sync_turn_detection()
            self._call.tasks.spawn(self._hold_line(response))
        response.calls.append((event.call_id, event.name, task))

    async def _hold_line(self, response: Response) -> None:
        """After `filler_after`: the tools still run and the caller heard nothing of this response."""
        rt = self._connection.rt
        await asyncio.sleep(self._call.timings.filler_after)
        if self._connection.rt is not rt or self._call.stopped or not self._call.listening():
            return
        if self._callers.talking or self._filler_said or response.spoke:
            return
        if all(task.done() for *_, task in response.calls):
            return
        self._filler_said = True
        line = Line((line_text("one_moment", self._call.actions.language),), uninterruptible=False)
        # Its first audio is what answers the caller's turn first (response_ms).
        response.hold = Request(LINE, line=line, trigger_end=response.trigger_end, hold_for=response)
        self._queue.ask(response.hold)

    async def finish(self, response: Response) -> None:
        """After the response with tool calls is done: wait for them, hand back the results, go on."""
        rt = self._connection.rt
        try:
            await self._send_results(response)
        finally:
            self._queue.tool_batch_finished()
        actions = self._call.actions
        # After a reconnect the results went into the new session's summary instead.
        if self._connection.rt is rt:
            if response.cut or response.status == "cancelled":
                actions.drop_pending()
            elif self._call.listening():
                # Words a result has our code say (the safety line) go first, as a fixed line.
                for *_, task in response.calls:
                    spoken = outcome_result(task).get(SPOKEN)
                    if isinstance(spoken, str) and spoken:
                        self._queue.ask(Request(LINE, line=Line((spoken,), uninterruptible=False)))
                # No audio yet in this exchange: the follow-up's first audio answers the caller's turn.
                held = response.hold is not None and response.hold.sent_at is not None
                trigger = response.trigger_end if not response.items and not held else None
                self._queue.ask(Request(TOOLS, trigger_end=trigger))
            await self._queue.ask_next()  # the answer goes out before the server may answer on its own again
        await self._queue.sync_turn_detection()

    async def _send_results(self, response: Response) -> None:
        rt = self._connection.rt
        tasks = [task for *_, task in response.calls]
        if tasks:
            await asyncio.wait(tasks, timeout=self._call.timings.tool_wait)  # never cancels them
        if response.hold is not None:
            # The result and the answer come after the hold line, never in the middle of it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(response.hold.settled.wait(), self._call.timings.request_wait)
        for call_id, name, task in response.calls:
            result = outcome_result(task)
            said = f"You used {name}: {json.dumps(result, default=str)[:RESULT_IN_HISTORY]}"
            self._call.turns.note(f"({said})")
            current = self._connection.rt
            try:
                if current is not None and current is rt:
                    await current.send_function_result(call_id, result, respond=False)
                elif current is not None:  # finished after a reconnect: the new session learns it so
                    await current.add_system_note(f"{said} (this finished while the line was cut).")
            except ProviderError:
                return  # the socket is gone; the reader reports it
