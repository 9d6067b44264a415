"""--board for bench/calls.py: a staff member watching the live board for the whole concurrent run.

Logs a staff user in (a session in the benchmark's database, as the admin login would make) and keeps
the board's WebSocket (`/voice/live/`) open on the server, reading everything it is pushed, so the run
measures the calls with every turn, tool call and outcome published to a watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect


def staff_session_cookie() -> str:
    """A staff member who may view calls, logged in; the `sessionid` cookie value."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="bench-board", defaults={"is_staff": True})
    user.user_permissions.add(Permission.objects.get(content_type__app_label="voice", codename="view_call"))
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class BoardWatcher:
    """The live board open on the server at `stream_url`'s host; `received` counts events by kind."""

    def __init__(self, stream_url: str, cookie: str):
        host = urlsplit(stream_url).netloc
        self.url = f"ws://{host}/voice/live/"
        self.origin = f"http://{host}"
        self.cookie = cookie
        self.received: Counter[str] = Counter()
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._socket = await connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=10,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._socket is not None
        async for text in self._socket:
            event = json.loads(text)
            self.received[event.get("kind", "?")] += 1
            self.received["events (with those sent on open)"] += 1 + len(event.get("events", []))

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._socket.close(), 5)

    def summary(self) -> str:
        return ", ".join(f"{kind} {count}" for kind, count in sorted(self.received.items())) or "nothing"
