"""Recording a live call, from the session's side: start it when the stream starts (or once the caller
agreed, where the shop must ask first), and stop it and throw it away the moment the caller objects.

Everything here runs as the call's guarded tasks (voice.call_tasks): a start or a stop in flight
finishes even when the caller hangs up, and nothing waits on the network in the audio path.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from integrations.errors import ProviderError
from voice.recordings.consent import agrees_to_recording, declines_recording, objects_to_recording
from voice.recordings.services import (
    recording_callback_url,
    recording_consent_declined,
    recording_policy,
    recording_started,
)

if TYPE_CHECKING:
    from voice.call_tasks import CallTasks
    from voice.engines.base import CallContext
    from voice.telephony import CallTelephony


class State(enum.Enum):
    OFF = "off"  # the shop does not record, or Twilio could not start it
    ASKING = "asking"  # the greeting asked "is that OK?"; waiting for the caller's answer
    STARTING = "starting"
    RECORDING = "recording"
    DECLINED = "declined"  # the caller objected: nothing is kept from here on


class LiveRecording:
    """One call's recording. `begin()` once the stream started; `caller_said(text)` with each final
    caller transcript (the engines' CallRecorder passes them)."""

    def __init__(self, *, context: CallContext, tasks: CallTasks, telephony: CallTelephony, log: Any):
        """`telephony`: the session's, one that `can_record`."""
        self._context = context
        self._tasks = tasks
        self._telephony = telephony
        self.log = log
        self.state = State.OFF
        self.recording_sid = ""

    async def begin(self) -> None:
        """Read the shop's setting and start recording, or wait for the caller's yes."""
        try:
            policy = await database_sync_to_async(recording_policy)()
        except Exception:
            self.log.exception("recording settings could not be read; not recording")
            return
        if not policy.enabled:
            return
        if policy.ask_first:
            # Only the inbound greeting asks; on a call we placed (a reminder) a "yes" answers
            # something else, so such a call is not recorded.
            self.state = State.ASKING if self._context.direction == "inbound" else State.OFF
            return
        self._tasks.guard(self._start(), name="recording-start")

    def caller_said(self, text: str) -> bool:
        """A final caller transcript: the answer to "is that OK?", or an objection at any time. True
        when these words declined recording (the call's records note it in order)."""
        if self.state is State.ASKING:
            if declines_recording(text):
                self._decline()
                return True
            if agrees_to_recording(text):
                self._tasks.guard(self._start(), name="recording-start")
            else:
                # No clear yes: where consent is required, silence is not consent.
                self.log.info("no clear answer to the recording question; not recording")
                self.state = State.OFF
        elif self.state in (State.STARTING, State.RECORDING, State.OFF) and objects_to_recording(text):
            self._decline()
            return True
        return False

    def _decline(self) -> None:
        previous, self.state = self.state, State.DECLINED
        self.log.info("caller objected to recording (was %s)", previous.value)
        self._tasks.guard(self._discard(stop=previous is State.RECORDING), name="recording-discard")

    async def _start(self) -> None:
        self.state = State.STARTING
        callback = recording_callback_url(self._context.custom_parameters.get("origin", ""))
        if not callback:
            self.log.warning("not recording: PUBLIC_BASE_URL is not set, so Twilio could not report it")
            self.state = State.OFF
            return
        try:
            sid = await self._telephony.start_recording(self._context.call_sid, status_callback=callback)
        except ProviderError as error:
            self.log.warning("recording not started: %s", error.message)
            if self.state is State.STARTING:
                self.state = State.OFF
            return
        self.recording_sid = sid
        try:
            await database_sync_to_async(recording_started)(call_id=self._context.call_id, recording_sid=sid)
        except Exception:
            # Twilio's status callback makes the row when this could not.
            self.log.exception("recording %s could not be written down", sid)
        if self.state is State.DECLINED:  # the caller objected while Twilio was starting it
            await self._discard(stop=True)
        else:
            self.state = State.RECORDING

    async def _discard(self, *, stop: bool) -> None:
        if stop and self.recording_sid:
            try:
                await self._telephony.stop_recording(self._context.call_sid, self.recording_sid)
            except ProviderError as error:
                self.log.error("recording %s could not be stopped: %s", self.recording_sid, error.message)
        try:
            await database_sync_to_async(recording_consent_declined)(call_id=self._context.call_id)
        except Exception:
            self.log.exception("the caller's objection to recording could not be written down")
