"""The Twilio Media Streams WebSocket: moves frames between the socket and the call's CallSession.

It replaces AsyncConsumer's dispatcher with a plain receive loop. The stock dispatcher creates a task
and checks database connections in a worker thread for every message, which at 50 audio frames a
second per call is most of the server's CPU (reference/voice.md). Here a frame costs one await.
The channel layer is used only for control messages to the call (group `call.<CallSid>`), read by
one task per call, and only once the stream has named its call.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import AsyncConsumer
from channels.layers import get_channel_layer

from voice.control import call_group
from voice.engines import new_engine
from voice.session import CallSession

# Makes the session for one stream from the consumer's send_text and close.
SessionFactory = Callable[[Callable[[str], Awaitable[None]], Callable[[], Awaitable[None]]], CallSession]


def phone_call_session(
    send_text: Callable[[str], Awaitable[None]], close: Callable[[], Awaitable[None]]
) -> CallSession:
    # The stream's opener chooses the engine: the session asks `new_engine` for the name the
    # stream (or its call record) gives.
    return CallSession(send_text=send_text, close=close, engines=new_engine)


class MediaStreamConsumer(AsyncConsumer):
    def __init__(self, session_factory: SessionFactory = phone_call_session):
        """`session_factory`: a phone call's session by default; the browser test call passes its own
        (voice.browser_calls.consumer)."""
        self._session_factory = session_factory

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.base_send = send
        self._closing = False
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        session = self._session_factory(self._send_text, self._close)
        control: asyncio.Task[None] | None = None
        try:
            while not self._closing:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    text = message.get("text")
                    if text is not None:
                        try:
                            await session.receive(text)
                        except Exception:
                            # A bug must not leave the caller in silence: closing the stream
                            # hands the call to the TwiML fallback (apology, transfer).
                            session.log.exception("session failed on a frame; ending the stream")
                            await session.end("internal error")
                    else:
                        session.receive_binary()
                    if control is None and session.context is not None:
                        control = session.tasks.spawn(self._read_control(session), name="control-reader")
                elif kind == "websocket.disconnect":
                    break
        finally:
            await session.closed()
            if control is not None:
                control.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await control

    async def _send_text(self, text: str) -> None:
        if not self._closing:
            await self.base_send({"type": "websocket.send", "text": text})

    async def _close(self) -> None:
        if not self._closing:
            self._closing = True
            await self.base_send({"type": "websocket.close", "code": 1000})

    async def _read_control(self, session: CallSession) -> None:
        """Forward messages sent to the call's group until the call ends."""
        layer = get_channel_layer()
        if layer is None or session.context is None:
            return
        group = call_group(session.context.call_sid)
        channel = ""
        try:
            channel = await layer.new_channel()
            await layer.group_add(group, channel)
            while True:
                await session.control(await layer.receive(channel))
        except asyncio.CancelledError:
            raise
        except Exception:
            # Control is a convenience; a broken channel layer must not end the call.
            session.log.exception("control messages unavailable for this call")
        finally:
            if channel:
                with contextlib.suppress(Exception):
                    await asyncio.shield(layer.group_discard(group, channel))
