"""CallSession: one live Twilio media stream, from `start` to `stop`. No Channels import.

The consumer hands it every text frame (`receive`) and tells it when the socket went away
(`closed`); the session gives back text frames through `send_text` and ends the socket with
`close`. It checks the stream belongs to a call we answered, runs the playout clock (voice.playout),
enforces the start timeout, idle and maximum call length, and delegates the conversation to the
Engine the consumer's `engines` makes for the stream's engine name (voice.engines.base).

It is the engine's `CallTransport` (voice.transport): audio out, what was heard, barge-in, the
call's one task set (`tasks`, voice.call_tasks) and call control through its `telephony`
(voice.telephony: Twilio's REST API by CallSid for a phone call, the page for a browser test call).
When it closes the stream while a phone call is up, Twilio runs the TwiML after <Connect> (an
apology and a transfer or hang-up), so the caller is never left in silence.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from dealership import metrics
from voice.call_tasks import CallTasks
from voice.control import call_stream_end
from voice.engines.base import CallContext, Engine
from voice.limits import SessionLimits
from voice.logs import call_log
from voice.media_streams import Dtmf, Encoder, Mark, Media, ProtocolError, Start, Stop, parse_frame
from voice.playout import Playout, Utterance
from voice.recordings.live import LiveRecording
from voice.services import call_record_error
from voice.stream_tokens import call_stream_claim
from voice.telephony import CallTelephony, TwilioTelephony

_LOGGED_BAD_FRAMES = 5


class CallSession:
    """The per-call transport an Engine talks to (a `voice.transport.CallTransport`). See
    `voice.engines.base.Engine` for the other side."""

    def __init__(
        self,
        *,
        send_text: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
        limits: SessionLimits | None = None,
        engines: Callable[[str], Engine] | None = None,
        telephony: CallTelephony | None = None,
        test_call: bool = False,
    ):
        """`engines(name)` makes the conversation engine for the stream's engine name (the consumer
        passes `voice.engines.new_engine`); without it the session only carries audio. `telephony`
        carries out transfers, hang-ups and texts (default: Twilio). `test_call`: the stream must
        belong to a test call placed from the back office (and a phone stream never may)."""
        self._send_text = send_text
        self._close = close
        self.limits = limits or SessionLimits.from_settings()
        self._engines = engines
        self.log = call_log(__name__, "")
        self.tasks = CallTasks(self.log)  # every task of this call (engine and agent parts too)
        self.context: CallContext | None = None
        self._engine: Engine | None = None
        self._playout: Playout | None = None
        self._loop = asyncio.get_running_loop()
        self._opened_at = self._loop.time()
        self._started_at: float | None = None
        self._last_activity = self._opened_at
        self._caller_spoke_at: float | None = None  # the barge-in histogram measures from here
        self._idle_notified_at = 0.0
        self._time_limit_at: float | None = None
        self._finished = False
        self._socket_open = True
        self._linger: asyncio.Task[None] | None = None
        self._bad_frames = 0
        self._engine_errors = 0
        self.telephony: CallTelephony = telephony or TwilioTelephony()
        self._test_call = test_call
        self._in_metrics = False  # set at start: a real call's figures go to /metrics, a test call's not
        self.recording: LiveRecording | None = None
        self.tasks.spawn(self._watch(), name="session-watchdog")

    # --- transport side ---------------------------------------------------------------------------

    async def receive(self, text: str) -> None:
        """One text frame from Twilio. The media branch comes first: it is 50 frames a second."""
        try:
            frame = parse_frame(text)
        except ProtocolError as exc:
            self._bad_frame(str(exc))
            return
        if type(frame) is Media:
            if self._engine is not None and frame.track == "inbound":
                try:
                    await self._engine.on_audio(frame.audio)
                except Exception:
                    self._engine_failed("on_audio")
        elif type(frame) is Mark:
            if self._playout is not None and self._playout.on_mark(frame.name):
                self._last_activity = self._loop.time()
        elif type(frame) is Dtmf:
            self.note_caller_activity()
            await self._engine_hook("on_dtmf", frame.digit)
        elif type(frame) is Start:
            await self._start(frame)
        elif type(frame) is Stop:
            self.log.info("stream stopped by Twilio")
            await self._finish("stream stopped", close_socket=False)

    def receive_binary(self) -> None:
        """A binary frame: Twilio sends text frames only (logged like any other bad frame)."""
        self._bad_frame("binary frame: Twilio sends text frames only")

    async def closed(self) -> None:
        """The WebSocket is gone (Twilio hung up or the network dropped)."""
        self._socket_open = False
        if self._linger is not None:
            self._linger.cancel()
        await self._finish("socket closed", close_socket=False)

    async def control(self, message: dict[str, Any]) -> None:
        """A control message from another process (channel-layer group `call.<CallSid>`)."""
        if message.get("action") == "end_stream":
            # A reconnect ends only the session it replaces (named by its stream); others end any.
            target = message.get("stream_sid")
            if not target or (self.context is not None and target == self.context.stream_sid):
                await self.end(str(message.get("reason") or "ended by control message"))
        elif self._engine is not None:
            self.tasks.spawn(self._engine_hook("on_control", message), name="engine-on_control")

    # --- engine side ------------------------------------------------------------------------------

    @property
    def audio_pending(self) -> bool:
        """Agent audio was sent and Twilio has not yet confirmed it played."""
        return self._playout is not None and self._playout.audio_pending

    @property
    def heard(self) -> dict[str, int]:
        """Bytes of each utterance the caller has heard so far (8 bytes = 1 ms), by label."""
        return {label: u.heard_bytes for label, u in self._utterances().items()}

    def utterance(self, label: str) -> Utterance | None:
        """Sent/heard bytes, `interrupted`, `heard_fraction` of one utterance."""
        return self._utterances().get(label)

    async def play(self, audio: bytes, *, label: str, final: bool = True) -> bool:
        """Send agent audio (μ-law 8 kHz, no header) as part of utterance `label`.

        Stream an utterance in pieces with `final=False` and end it with `final=True` (the audio
        may be empty). Returns False, sending nothing, when the utterance was interrupted or
        already finished or the stream has ended: a stale producer cannot talk over the caller.
        """
        if self._playout is None:
            return False
        self._last_activity = self._loop.time()
        return await self._playout.play(audio, label=label, final=final)

    async def interrupt(self, *, barge_in: bool = False) -> dict[str, Utterance]:
        """Barge-in: send `clear`, stop every utterance not fully heard, and return those
        utterances (label -> Utterance with `heard_bytes`/`heard_fraction`) so the engine keeps
        only what the caller heard. Cancel your LLM and TTS work before or right after calling."""
        if self._playout is None:
            return {}
        cut = await self._playout.interrupt()
        if cut and barge_in and self._caller_spoke_at is not None and self._in_metrics:
            # Caller speech → `clear`; cuts for a time limit, a control message or keys are not barge-ins.
            metrics.BARGE_IN.observe(max(0.0, self._loop.time() - self._caller_spoke_at))
        if cut:
            self.log.info(
                "barge-in: %s",
                ", ".join(f"{u.label} heard {u.heard_ms}/{u.sent_ms} ms" for u in cut.values()),
            )
        return cut

    async def wait_until_heard(self, label: str | None = None, *, max_wait: float | None = 30.0) -> bool:
        """Wait until `label` (default: everything sent so far) has played to the caller.

        Returns False if it was interrupted, the stream ended, or `max_wait` seconds passed. Use it before a
        transfer or hang-up: act on True, skip on False.
        """
        if self._playout is None:
            return False
        return await self._playout.wait_until_heard(label, max_wait)

    def caller_said(self, text: str) -> bool:
        """A final transcript of the caller's words: what they say about being recorded counts. True
        when they just declined recording."""
        return self.recording.caller_said(text) if self.recording is not None else False

    def note_caller_activity(self) -> None:
        """The caller said something (the engine's speech detection decides); resets idle timing."""
        self._last_activity = self._caller_spoke_at = self._loop.time()

    async def end(self, reason: str) -> None:
        """Stop the engine and close the stream. If the call is still up, Twilio then plays the
        TwiML fallback; to end the call itself, `hang_up()` first."""
        await self._finish(reason, close_socket=True)

    async def transfer(
        self, call_sid: str, number: str, *, announce: str = "", handoff: str = "", language: str = ""
    ) -> None:
        """Dial `number` on the live call through the call's telephony (Twilio's REST API; Twilio
        says `announce` first, if given); the stream then ends. `handoff`: a warm hand-off's token
        (voice.handoffs), so the advisor hears the whisper and the dial's result comes back to us.
        ProviderError on failure."""
        await self.telephony.transfer(call_sid, number, announce=announce, handoff=handoff, language=language)

    async def hang_up(self, call_sid: str, *, announce: str = "", language: str = "") -> None:
        """End the call (an already-ended call is fine); Twilio says `announce` first, if given.
        ProviderError on failure."""
        await self.telephony.hang_up(call_sid, announce=announce, language=language)

    # --- internals --------------------------------------------------------------------------------

    def _utterances(self) -> dict[str, Utterance]:
        return self._playout.utterances if self._playout is not None else {}

    async def _start(self, frame: Start) -> None:
        if self.context is not None or self._finished:
            self._bad_frame("a second 'start' frame")
            return
        self.log = self.tasks.log = call_log(__name__, frame.call_sid[:64])
        # From here the start timeout no longer applies; a refusal below ends the session anyway.
        self._started_at = self._loop.time()
        params = frame.custom_parameters
        if not frame.media_format.is_mulaw_8k:
            await self._refuse(f"unsupported media format {frame.media_format}")
            return
        try:
            claim = await database_sync_to_async(call_stream_claim)(
                call_sid=frame.call_sid,
                token=params.get("token", ""),
                stream_sid=frame.stream_sid,
                engine=params.get("engine", ""),
                is_test=self._test_call,
            )
        except DatabaseError:
            self.log.exception("call lookup failed")
            await self._refuse("the call record could not be read")
            return
        if claim is None:
            await self._refuse(
                "stream for a call we did not answer, or one that has ended (unknown CallSid, bad or "
                "already used token)"
            )
            return
        call = claim.call
        name = call.engine or settings.VOICE_ENGINE
        self.context = CallContext(
            call_sid=call.call_sid,
            stream_sid=frame.stream_sid,
            call_id=call.pk,
            direction=call.direction,
            from_number=call.from_number,
            to_number=call.to_number,
            customer_id=call.customer_id,
            engine=name,
            custom_parameters={k: v for k, v in params.items() if k != "token"},
            is_test=call.is_test,
            can_record=self.telephony.can_record,
        )
        self._playout = Playout(Encoder(frame.stream_sid), self._send_text)
        self._started_at = self._last_activity = self._loop.time()  # the call's clock starts now
        # A test call is left out of every figure (README, Production: Metrics): dashboards count
        # real callers only.
        self._in_metrics = not call.is_test
        if self._in_metrics:
            metrics.LIVE_CALLS.inc()  # down again in _finish, with the playout
        # A browser test call's telephony (the page) never records, but a caller's objection on it is
        # noted all the same, so the shop's transcript policy applies to test calls too.
        self.recording = LiveRecording(
            context=self.context, tasks=self.tasks, telephony=self.telephony, log=self.log
        )
        if self.telephony.can_record:
            self.tasks.spawn(self.recording.begin(), name="recording-begin")
        if claim.replaces_stream_sid:
            # A reconnect: the session it replaces (in whichever process holds it) ends cleanly.
            self.log.info("stream %s replaces stream %s", frame.stream_sid, claim.replaces_stream_sid)
            try:
                await call_stream_end(
                    call_sid=call.call_sid, stream_sid=claim.replaces_stream_sid, reason="reconnected"
                )
            except Exception:  # a broken channel layer must not stop this call
                self.log.exception("could not tell the replaced session to end")
        try:
            if self._engines is None:
                raise LookupError("this session was opened without engines")
            self._engine = self._engines(name)
            self.log.info("stream %s started, engine %s", frame.stream_sid, name)
            await self._engine.start(self, self.context)
        except Exception as exc:  # an unknown engine, a database error or a provider failing to connect
            self.log.exception("could not start the conversation")
            await self._record_error(f"Engine {name!r} failed to start: {exc}")
            await self.end("engine failed to start")

    async def _refuse(self, why: str) -> None:
        self.log.warning("closing stream: %s", why)
        await self._finish(why, close_socket=True)

    async def _finish(self, reason: str, *, close_socket: bool) -> None:
        if self._finished:
            return
        self._finished = True
        self.tasks.begin_ending(reason)
        if self._playout is not None:
            self._playout.close()
            if self._in_metrics:
                metrics.LIVE_CALLS.dec()
        # Detached first so no frame reaches an engine that is stopping or stopped.
        engine, self._engine = self._engine, None
        # The socket closes before the engine stops: an engine's stop() may cancel the very task
        # that called end(), and the close must not be lost to that cancellation.
        if close_socket:
            try:
                await self._close()
            except Exception:
                self.log.debug("socket already closed")
        elif self._socket_open:
            # Twilio closes the socket after `stop`; a peer that keeps it open (or sent `stop`
            # before `start`) gets as long as a stream gets to start, then it is closed. Not in the
            # call's task set: it outlives the call by design.
            self._linger = self._loop.create_task(self._close_after(self.limits.start_timeout))
        # The engine stops first (it closes the call's tasks before its last records and sockets),
        # then whatever else is left in the task set (the session's own timers, the control reader).
        if engine is not None:
            try:
                await engine.stop()
            except Exception:
                self.log.exception("engine failed to stop cleanly")
        await self.tasks.close()
        with contextlib.suppress(Exception):
            await self.telephony.aclose()
        self.log.info("session finished: %s", reason)

    async def _close_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.log.info("closing a socket left open after its session ended")
        try:
            await self._close()
        except Exception:
            self.log.debug("socket already closed")

    async def _record_error(self, error: str) -> None:
        if self.context is None:
            return
        try:
            await database_sync_to_async(call_record_error)(call_id=self.context.call_id, error=error)
        except DatabaseError:
            self.log.exception("could not record the error")

    def _bad_frame(self, why: str) -> None:
        self._bad_frames += 1
        if self._bad_frames <= _LOGGED_BAD_FRAMES or self._bad_frames % 1000 == 0:
            self.log.warning("dropped frame #%d: %s", self._bad_frames, why)

    def _engine_failed(self, hook: str) -> None:
        self._engine_errors += 1
        if self._engine_errors <= _LOGGED_BAD_FRAMES or self._engine_errors % 1000 == 0:
            self.log.exception("engine.%s failed (error #%d)", hook, self._engine_errors)

    async def _engine_hook(self, hook: str, *args: Any) -> None:
        if self._engine is None or self._finished:
            return
        try:
            await getattr(self._engine, hook)(*args)
        except Exception:
            self._engine_failed(hook)

    async def _watch(self) -> None:
        """One timer task per call: start timeout, maximum length, idle caller."""
        limits = self.limits
        while not self._finished:
            await asyncio.sleep(limits.tick)
            now = self._loop.time()
            if self._started_at is None:
                if now - self._opened_at >= limits.start_timeout:
                    await self._refuse(f"no valid 'start' within {limits.start_timeout:g} s")
                continue
            if self._engine is None:
                continue
            if self._time_limit_at is None and now - self._started_at >= limits.max_call_seconds:
                self._time_limit_at = now
                self.log.info("maximum call length reached")
                self.tasks.spawn(self._engine_hook("on_time_limit"), name="engine-on_time_limit")
            elif self._time_limit_at is not None and now - self._time_limit_at >= limits.time_limit_grace:
                await self._record_error("The call reached the maximum length and was closed.")
                await self._finish("maximum call length", close_socket=True)
            elif not self.audio_pending:
                silent_since = max(self._last_activity, self._idle_notified_at)
                if now - silent_since >= limits.idle_seconds:
                    self._idle_notified_at = now
                    self.tasks.spawn(
                        self._engine_hook("on_idle", now - self._last_activity), name="engine-on_idle"
                    )
