"""`/voice/test-call/stream/`: the browser's test call, on the phone call's consumer and session.

Admission happens before the socket is accepted: a signed-in, active staff user holding
`voice.place_test_call` (the Django session, read by Channels' AuthMiddlewareStack) on a page of this
very site (the Origin's host is the Host the socket was opened on; a page elsewhere cannot drive a
staff member's browser into a call). Anything else is refused with HTTP 403. Then the page must claim
a test call's one-time stream token in its `start` frame, as Twilio does for a phone call: a phone
call's token is refused here, and a test call's on the phone socket.

While the call lasts, its transcript (turns, tools used) is pushed to the page as it is recorded.
When the socket closes, the test call is recorded as ended (no Twilio status callback will come).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host

from scheduling.shop import shop_get
from voice.browser_calls.services import PERMISSION, browser_call_finish, browser_call_news
from voice.browser_calls.telephony import PageTelephony
from voice.consumers import MediaStreamConsumer
from voice.engines import new_engine
from voice.session import CallSession

logger = logging.getLogger(__name__)

TRANSCRIPT_POLL_SECONDS = 0.4


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def same_origin(scope: dict[str, Any]) -> bool:
    """The socket was opened by a page of this site: the Origin's host:port is the Host header's, and
    that host is one we serve (ALLOWED_HOSTS, as for any request)."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    domain, _ = split_domain_port(host)
    return (
        parts.scheme in ("http", "https")
        and parts.netloc.lower() == host.lower()
        and bool(domain)
        and validate_host(domain, settings.ALLOWED_HOSTS)
    )


def _may_place_test_calls(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(PERMISSION)
    )


class BrowserCallConsumer:
    """ASGI app for one test-call socket (wrap it in AuthMiddlewareStack)."""

    def __init__(self) -> None:
        self.session: CallSession | None = None
        self._transcript: asyncio.Task[None] | None = None
        self._region = "US"

    @classmethod
    def as_asgi(cls) -> Callable[..., Awaitable[None]]:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await cls()(scope, receive, send)

        return app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        connect = await receive()
        if connect["type"] != "websocket.connect":
            return
        user = scope.get("user")
        try:
            allowed = same_origin(scope) and await database_sync_to_async(_may_place_test_calls)(user)
            self._region = await database_sync_to_async(lambda: shop_get().phone_region)()
        except DatabaseError:
            logger.exception("test call refused: the database could not be read")
            allowed = False
        if not allowed:
            logger.warning("test-call socket refused (not a permitted staff session from this site)")
            await send({"type": "websocket.close", "code": 4403})  # before accept: HTTP 403
            return
        pending = [connect]

        async def receive_after_connect() -> dict[str, Any]:
            return pending.pop() if pending else await receive()

        try:
            await MediaStreamConsumer(self._new_session)(scope, receive_after_connect, send)
        finally:
            if self._transcript is not None:
                self._transcript.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._transcript
            if self.session is not None and self.session.context is not None:
                try:
                    await database_sync_to_async(browser_call_finish)(call_id=self.session.context.call_id)
                except DatabaseError:
                    logger.exception("call=%s test call end not recorded", self.session.context.call_sid)

    def _new_session(
        self, send_text: Callable[[str], Awaitable[None]], close: Callable[[], Awaitable[None]]
    ) -> CallSession:
        telephony = PageTelephony(send_text=send_text, end=self._end, region=self._region)
        self.session = CallSession(
            send_text=send_text, close=close, engines=new_engine, telephony=telephony, test_call=True
        )
        self._transcript = asyncio.get_running_loop().create_task(self._push_transcript(telephony))
        return self.session

    async def _end(self, reason: str) -> None:
        if self.session is not None:
            await self.session.end(reason)

    async def _push_transcript(self, page: PageTelephony) -> None:
        """Turns and tools as they are recorded (the call's records are written off its path, a
        moment after they happen); one small query a tick, and only for test calls."""
        after_seq = after_tool = 0
        try:
            while True:
                await asyncio.sleep(TRANSCRIPT_POLL_SECONDS)
                context = self.session.context if self.session is not None else None
                if context is None:
                    continue
                try:
                    news = await database_sync_to_async(browser_call_news)(
                        call_id=context.call_id, after_seq=after_seq, after_tool_id=after_tool
                    )
                except DatabaseError:
                    continue  # the next tick tries again
                for turn in news.turns:
                    after_seq = turn.seq
                    await page.show(
                        "turn",
                        role=turn.role,
                        text=turn.text,
                        heard=turn.heard_text if turn.interrupted else "",
                        interrupted=turn.interrupted,
                    )
                for tool in news.tool_calls:
                    after_tool = tool.pk
                    await page.show("tool", name=tool.name, success=tool.success, result=_brief(tool.result))
        except asyncio.CancelledError:
            raise
        except Exception:  # the page is gone; the call itself is unaffected
            logger.debug("transcript push stopped", exc_info=True)


def _brief(result: Any) -> str:
    """A tool result's one line for the page: its confirmation or error, else nothing."""
    if isinstance(result, dict):
        for key in ("confirmation", "error"):
            if isinstance(result.get(key), str):
                return result[key][:300]
    return ""
