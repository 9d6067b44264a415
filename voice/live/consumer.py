"""The live board's WebSocket (`/voice/live/`): staff watch every call in progress, pushed as it happens.

Connect: a logged-in staff member who may view calls (Django session, AuthMiddlewareStack), and a
same-origin page (Origin must match Host; a page on another site cannot read the board through the
staff member's cookie). The consumer joins the board group and each live call's group; a sweep every
heartbeat reconciles with the registry, so a call whose process died leaves the board within
LIVE_CALL_TTL_SECONDS and a call missed while starting still appears.

Messages to the page, JSON: {"kind": "open", "call": header, "events": [...]}, {"kind": "end",
"call_id"}, and the call's events (voice.live.events) as they are published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from voice.live import events
from voice.live.publish import BOARD_GROUP, call_live_group
from voice.live.registry import heartbeat_seconds, live_calls

logger = logging.getLogger(__name__)


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def same_origin(scope: dict[str, Any]) -> bool:
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    return bool(origin and host) and urlsplit(origin).netloc.lower() == host.lower()


@database_sync_to_async
def _may_watch(user: Any) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm("voice.view_call"))


class LiveBoardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.shown: set[int] = set()
        self.sweeper: asyncio.Task[None] | None = None
        if not same_origin(self.scope) or not await _may_watch(self.scope.get("user")):
            await self.close(code=4403)
            return
        await self.accept()
        await self.channel_layer.group_add(BOARD_GROUP, self.channel_name)
        self.sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def disconnect(self, code: int) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeper
        with contextlib.suppress(Exception):
            await self.channel_layer.group_discard(BOARD_GROUP, self.channel_name)
            for call_id in self.shown:
                await self.channel_layer.group_discard(call_live_group(call_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The page sends nothing; take-overs go through the admin's POST endpoint (CSRF, permission)."""

    async def live_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        kind = event.get("kind")
        if kind == "open":
            await self._show(event["call"])
        elif kind == "end":
            await self._hide(int(event.get("call_id", 0)))
        elif event.get("call_id") in self.shown:
            await self.send_json(event)

    async def _show(self, header: dict[str, Any]) -> None:
        call_id = int(header["call_id"])
        if call_id in self.shown:
            return
        self.shown.add(call_id)
        await self.channel_layer.group_add(call_live_group(call_id), self.channel_name)
        # Joined first, then read: a turn saved in between is sent twice (the page keeps one by seq),
        # never lost.
        so_far = await database_sync_to_async(events.call_so_far)(call_id)
        await self.send_json({"kind": "open", "call": header, "events": so_far})

    async def _hide(self, call_id: int) -> None:
        if call_id not in self.shown:
            return
        self.shown.discard(call_id)
        await self.send_json({"kind": "end", "call_id": call_id})
        with contextlib.suppress(Exception):
            await self.channel_layer.group_discard(call_live_group(call_id), self.channel_name)

    async def _sweep(self) -> None:
        while True:
            try:
                calls = await live_calls()
                for call_id in self.shown - calls.keys():
                    await self._hide(call_id)
                for header in sorted(calls.values(), key=lambda h: h.get("started", "")):
                    await self._show(header)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live board: the registry could not be read", exc_info=True)
            await asyncio.sleep(heartbeat_seconds())
