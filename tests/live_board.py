"""Helpers for live-board tests: a staff member's board socket on the real ASGI app (session cookie
and Origin as a browser sends them), and reading what it was pushed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission, User
from django.test import Client

from dealership.asgi import application

ORIGIN = "http://testserver"


@database_sync_to_async
def staff_cookie(username: str = "advisor", perms: tuple[str, ...] = ("voice.view_call",)) -> str:
    """A logged-in staff member holding `perms`; returns the session cookie header value."""
    user = User.objects.create_user(username, is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class Board:
    """The board's WebSocket as the page opens it; `events` is everything pushed so far."""

    def __init__(self, socket: WebsocketCommunicator):
        self.socket = socket
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, cookie: str, *, origin: str = ORIGIN) -> tuple[Board, bool]:
        headers = [(b"host", b"testserver"), (b"cookie", cookie.encode())]
        if origin:
            headers.append((b"origin", origin.encode()))
        socket = WebsocketCommunicator(application, "/voice/live/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        return cls(socket), connected

    async def wait_for(
        self, match: Callable[[dict[str, Any]], bool], *, within: float = 8.0, what: str = ""
    ) -> dict:
        """The first event pushed (already or within `within` s) that `match`es."""
        deadline = time.monotonic() + within
        for event in self.events:
            if match(event):
                return event
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the board was not sent {what or 'the event'}; it got {self.events}")
            try:
                event = await self.socket.receive_json_from(timeout=left)
            except TimeoutError:
                continue
            self.events.append(event)
            if match(event):
                return event

    def transcript(self, call_id: int) -> list[str]:
        """The call's turns as the page shows them: the ones sent with "open", then those pushed."""
        turns: dict[int, str] = {}
        for event in self.events:
            found = event.get("events", []) if event.get("kind") == "open" else [event]
            for item in found:
                if item.get("kind") == "turn" and item.get("call_id") == call_id:
                    turns[item["seq"]] = f"{item['role']}: {item['text']}"
        return [turns[seq] for seq in sorted(turns)]

    async def close(self) -> None:
        await self.socket.disconnect()
