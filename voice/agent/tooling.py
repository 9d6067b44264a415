"""Running the model's tool calls during a live call, for any engine.

Each tool call runs in its own task that an interruption cannot cancel: a booking the caller talks
over still completes, is recorded (ToolCall) and its result reaches the conversation. Tool errors are
results (`{"success": false, "error": ...}`) that go back to the model; nothing here raises.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from voice.agent.actions import CallActions
from voice.agent.lines import line
from voice.agent.records import CallRecorder, ms_between
from voice.tools.context import ToolContext
from voice.tools.registry import GENERIC_FAILURE, aexecute_tool

TIMED_OUT = {"success": False, "error": "That took too long to look up. Please try again."}

# What the agent says when a tool is still running after FILLER_AFTER_SECONDS and nothing was said
# yet (once per reply), so the caller does not wait in silence. Both engines say it.
FILLER = line("one_moment")  # English; engines say it in the caller's language
FILLER_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class ToolOutcome:
    """One finished tool call: what the model asked (`call_id` is its tool call id) and what it gets."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    duration_ms: int

    def content(self) -> str:
        """The result as the tool message content for the model."""
        return json.dumps(self.result, default=str)


def parsed_arguments(arguments_json: str) -> dict[str, Any]:
    """The arguments as a dict for the record; unparseable JSON is kept as text."""
    try:
        value = json.loads(arguments_json or "{}")
    except ValueError:
        return {"_unparsed": arguments_json[:2000]}
    return value if isinstance(value, dict) else {"_unparsed": arguments_json[:2000]}


class ToolRunner:
    """Starts tool calls as independent tasks; one per call, sharing the call's ToolContext."""

    def __init__(self, *, context: ToolContext, actions: CallActions, recorder: CallRecorder):
        self.context = context
        self.actions = actions
        self.recorder = recorder
        self._tasks: set[asyncio.Task[ToolOutcome]] = set()  # running tool calls (for `settle`)

    def start(self, *, call_id: str, name: str, arguments_json: str) -> asyncio.Task[ToolOutcome]:
        """Run the tool now, guarded in the call's task set (the end of the call waits for it).
        Wait for the ToolOutcome with `asyncio.wait` (or `asyncio.shield`), so cancelling the waiter
        (a barge-in) leaves the tool running; `settle()` waits for the running ones."""
        tasks = self.actions.session.tasks
        task = tasks.guard(self._run(call_id, name, arguments_json), name=f"tool-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def settle(self, *, within: float = 10.0) -> None:
        """At the end of the call: let running tools finish (bounded), so their records are written."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)

    async def _run(self, call_id: str, name: str, arguments_json: str) -> ToolOutcome:
        started = time.monotonic()
        arguments = parsed_arguments(arguments_json)
        try:
            result = await aexecute_tool(name, arguments_json, context=self.context)
        except Exception:  # the registry never raises; the database pool might
            self.actions.log.exception("tool %s could not run", name)
            result = {"success": False, "error": GENERIC_FAILURE}
        duration = ms_between(started, time.monotonic()) or 0
        result = await self.actions.after_tool(name=name, arguments=arguments, result=result)
        self.recorder.tool_call(
            name=name,
            arguments=arguments,
            result=result,
            success=bool(result.get("success")),
            duration_ms=duration,
        )
        return ToolOutcome(
            call_id=call_id, name=name, arguments=arguments, result=result, duration_ms=duration
        )


def outcome_result(task: asyncio.Task[ToolOutcome]) -> dict[str, Any]:
    """The result of a tool task for the model, or an error if it failed or is unfinished."""
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result().result
    return dict(TIMED_OUT)


def outcome_content(task: asyncio.Task[ToolOutcome]) -> str:
    """The tool message content for a tool task: its result, or an error if it failed or is unfinished."""
    return json.dumps(outcome_result(task), default=str)
