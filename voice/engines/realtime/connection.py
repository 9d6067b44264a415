"""The call's live Realtime session: one socket at a time (a new one after a reconnect)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from integrations.realtime import RealtimeSession
from voice.tools.registry import realtime_tool_schemas


class Connection:
    """`rt` is the socket events are read from and requests go to (None between sessions and after
    the call); `instructions` are the ones it was opened with (a fixed line repeats them)."""

    def __init__(self, call_sid: str):
        self._call_sid = call_sid
        self.rt: RealtimeSession | None = None
        self.instructions = ""

    async def open(self, instructions: str, *, turn_detection: dict[str, Any]) -> RealtimeSession:
        """Connect a new session; ProviderError if it cannot be opened."""
        rt = RealtimeSession(call_sid=self._call_sid)
        await rt.connect(
            instructions,
            realtime_tool_schemas(include_call_only=True),
            turn_detection=turn_detection,
            transcription_model=settings.REALTIME_TRANSCRIPTION_MODEL or None,
        )
        self.rt, self.instructions = rt, instructions
        return rt

    async def close(self) -> None:
        rt, self.rt = self.rt, None
        if rt is not None:
            await rt.close()
