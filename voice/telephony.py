"""What a live call does to the outside world: transfer, hang up, text the caller.

The transport (`voice.session.CallSession`) is given one of these. A phone call gets
`TwilioTelephony` (Twilio's REST API by CallSid); the browser test call gets one that shows each
action on the page instead (voice.browser_calls.telephony), so a test call never reaches Twilio or a
real person. Both engines reach it only through the transport, so neither knows which it has.
"""

from __future__ import annotations

from typing import Protocol

from integrations.telephony import TelephonyClient, telephony_is_configured
from voice import twiml
from voice.handoffs import warm_dial_twiml


class CallTelephony(Protocol):
    @property
    def sms_enabled(self) -> bool:
        """Texts can be sent (for Twilio: telephony is configured)."""
        ...

    async def transfer(
        self, call_sid: str, number: str, *, announce: str = "", handoff: str = "", language: str = ""
    ) -> None:
        """Dial `number` on the live call (after saying `announce`, in `language`, if given); `handoff`
        is a warm hand-off's token (voice.handoffs): the advisor hears a whisper first. ProviderError
        on failure."""
        ...

    async def hang_up(self, call_sid: str, *, announce: str = "", language: str = "") -> None:
        """End the call (after saying `announce`, in `language`); an already-ended call is fine.
        ProviderError on failure."""
        ...

    async def send_sms(self, to: str, body: str) -> None:
        """Text `to` (E.164). ProviderError on failure."""
        ...

    @property
    def can_record(self) -> bool:
        """The call can be recorded (a Twilio call can; a browser test call never is). The session
        asks this before it starts a recording, or asks the caller's consent to one."""
        ...

    async def start_recording(self, call_sid: str, *, status_callback: str) -> str:
        """Start recording the call; the recording's id. Only when `can_record`. ProviderError on failure."""
        ...

    async def stop_recording(self, call_sid: str, recording_sid: str) -> bool:
        """Stop the call's recording; False when it had already ended. ProviderError on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections; the call is over. Never raises."""
        ...


class TwilioTelephony:
    """A phone call's telephony: Twilio's REST API, one HTTP client per call, opened on first use."""

    def __init__(self) -> None:
        self._client: TelephonyClient | None = None

    @property
    def sms_enabled(self) -> bool:
        return telephony_is_configured()

    async def transfer(
        self, call_sid: str, number: str, *, announce: str = "", handoff: str = "", language: str = ""
    ) -> None:
        if handoff:
            await self.client().update_call_twiml(call_sid, warm_dial_twiml(number=number, token=handoff))
        elif announce:
            await self.client().update_call_twiml(
                call_sid, twiml.dial(number, message=announce, language=language)
            )
        else:
            await self.client().transfer(call_sid, number)

    async def hang_up(self, call_sid: str, *, announce: str = "", language: str = "") -> None:
        if announce:
            await self.client().update_call_twiml(call_sid, twiml.say_and_hangup(announce, language))
        else:
            await self.client().hang_up(call_sid)

    async def send_sms(self, to: str, body: str) -> None:
        await self.client().send_sms(to, body)

    @property
    def can_record(self) -> bool:
        return True  # Twilio records the call itself (voice.recordings)

    async def start_recording(self, call_sid: str, *, status_callback: str) -> str:
        return await self.client().start_recording(call_sid, status_callback=status_callback)

    async def stop_recording(self, call_sid: str, recording_sid: str) -> bool:
        return await self.client().stop_recording(call_sid, recording_sid)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # closing is best effort: the call is over either way
                return

    def client(self) -> TelephonyClient:
        """The call's Twilio REST client (made on first use)."""
        if self._client is None:
            self._client = TelephonyClient()
        return self._client
