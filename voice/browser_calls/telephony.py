"""A test call's telephony: every action is shown on the page, none reaches Twilio or a real person.

It speaks to the page over the test call's own socket, with frames of its own kind
(`{"event": "testcall", "kind": …}`) beside the Media Streams ones. A transfer or a hang-up is
shown ("Would transfer to (312) 555-0199") and then ends the test call, as the phone call would end
for the receptionist; a text is shown with its recipient and wording.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from crm.phones import format_phone_for_display

# How long a transferred or hung-up test call stays open: the page's transcript (pushed as the call's
# records are written, voice.browser_calls.consumer) catches up with the last line before the socket closes.
END_AFTER_SECONDS = 1.0


class PageTelephony:
    def __init__(
        self,
        *,
        send_text: Callable[[str], Awaitable[None]],
        end: Callable[[str], Awaitable[None]],
        region: str = "US",
    ):
        """`send_text` sends a frame to the page; `end(reason)` ends the test call's session."""
        self._send_text = send_text
        self._end = end
        self._region = region
        self._ending: asyncio.Task[None] | None = None

    @property
    def sms_enabled(self) -> bool:
        return True  # texts are shown on the page, with or without Twilio

    async def transfer(
        self, call_sid: str, number: str, *, announce: str = "", handoff: str = "", language: str = ""
    ) -> None:
        # A warm hand-off (`handoff`) would whisper to the advisor first; on the page it is a transfer.
        shown = format_phone_for_display(number, region=self._region)
        await self.show("transfer", text=f"Would transfer to {shown}.", number=shown, announce=announce)
        self._end_soon("transferred (test call)")

    async def hang_up(self, call_sid: str, *, announce: str = "", language: str = "") -> None:
        await self.show("hang_up", text="The receptionist hung up.", announce=announce)
        self._end_soon("hung up (test call)")

    async def send_sms(self, to: str, body: str) -> None:
        shown = format_phone_for_display(to, region=self._region)
        await self.show("text", text=f"Would text {shown}: {body}", number=shown, body=body)

    @property
    def can_record(self) -> bool:
        return False  # nothing of a test call is recorded: no Twilio call, and no real caller

    async def start_recording(self, call_sid: str, *, status_callback: str) -> str:
        # Never asked (the session checks can_record first); not a ProviderError: no provider failed.
        raise RuntimeError("a test call is never recorded")

    async def stop_recording(self, call_sid: str, recording_sid: str) -> bool:
        return False  # never started

    async def aclose(self) -> None:
        return None

    async def show(self, kind: str, **fields: Any) -> None:
        """A test-call frame for the page (it ignores kinds it does not know)."""
        await self._send_text(json.dumps({"event": "testcall", "kind": kind, **fields}))

    def _end_soon(self, reason: str) -> None:
        # Not awaited here: the caller (the agent's transfer or hang-up) still records its outcome,
        # and ending the session stops the engine, which cancels the caller's task. A phone call ends
        # the same way: Twilio closes the stream after the REST update returned.
        if self._ending is None:
            self._ending = asyncio.get_running_loop().create_task(self._end_after(reason))

    async def _end_after(self, reason: str) -> None:
        await asyncio.sleep(END_AFTER_SECONDS)
        await self._end(reason)
