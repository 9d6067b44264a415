"""The chat history the model sees: only what was actually said and heard.

Caller turns go in when a reply starts; an agent reply goes in when it ends, cut to what the caller
heard. Tool results may still be running when a reply is cut short (a booking is never cancelled):
they are kept as tasks and awaited when the next request is built, so every tool call the model made
is followed by its result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voice.agent.tooling import ToolOutcome, outcome_content

TOOL_WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class ToolResult:
    """The tool message for `tool_call_id`, from a running or finished tool task."""

    tool_call_id: str
    task: asyncio.Task[ToolOutcome]


Item = dict[str, Any] | ToolResult


class Conversation:
    def __init__(self, system: str, *, tool_wait: float = TOOL_WAIT_SECONDS):
        self.system = system
        self.items: list[Item] = []
        self._tool_wait = tool_wait

    def add(self, *items: Item) -> None:
        self.items.extend(items)

    def add_caller(self, text: str) -> None:
        self.items.append({"role": "user", "content": text})

    def add_note(self, text: str) -> None:
        """A short system note for the model's next request (and kept in the history after it)."""
        self.items.append({"role": "system", "content": text})

    async def messages(self, extra: Iterable[Item] = ()) -> list[dict[str, Any]]:
        """The Chat Completions `messages`: system prompt, history, then `extra` (the reply so far)."""
        rendered: list[dict[str, Any]] = [{"role": "system", "content": self.system}]
        for item in [*self.items, *extra]:
            rendered.append(await self._render(item))
        return rendered

    async def _render(self, item: Item) -> dict[str, Any]:
        if isinstance(item, dict):
            return item
        if not item.task.done():
            await asyncio.wait({item.task}, timeout=self._tool_wait)  # never cancels the tool
        return {"role": "tool", "tool_call_id": item.tool_call_id, "content": outcome_content(item.task)}
