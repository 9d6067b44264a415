"""What the Deepgram STT and TTS adapters share: client construction and a WebSocket session base.

Settings: DEEPGRAM_API_KEY and DEEPGRAM_BASE_URL (an http(s) origin; the ws(s) origin is derived).

Why the sockets are opened here and then handed to the SDK's socket clients: the SDK's `connect()`
builds a new TLS context for every socket and negotiates permessage-deflate, which spends CPU
compressing µ-law audio that does not compress, 50 times a second per call. Opening the socket
ourselves lets it share the process's TLS context (integrations.tls) and skip compression; the SDK
still encodes the query, sends and parses every message.
"""

import asyncio
import contextlib
import functools
import logging
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Self

import httpx
from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment
from deepgram.core.api_error import ApiError
from deepgram.core.client_wrapper import BaseClientWrapper
from deepgram.core.jsonable_encoder import jsonable_encoder
from deepgram.core.query_encoder import encode_query
from deepgram.core.remove_none_from_dict import remove_none_from_dict
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from integrations.errors import ProviderError, status_is_permanent
from integrations.event_stream import End, EventStream
from integrations.tls import tls_for

logger = logging.getLogger(__name__)

PROVIDER = "deepgram"
# The SDK's websockets client waits up to 10 s for a closing handshake; a dead peer must not stall us.
CLOSE_TIMEOUT = 1.0


def _api_key(api_key: str | None) -> str:
    key = api_key if api_key is not None else settings.DEEPGRAM_API_KEY
    if not key:
        raise ProviderError("Deepgram is not configured", permanent=True, provider=PROVIDER)
    return key


def _origin(base_url: str | None) -> str:
    return (base_url if base_url is not None else settings.DEEPGRAM_BASE_URL).rstrip("/")


def _environment(origin: str) -> DeepgramClientEnvironment:
    if not origin:
        return DeepgramClientEnvironment.PRODUCTION
    ws_origin = "ws" + origin.removeprefix("http")  # http→ws, https→wss
    return DeepgramClientEnvironment(base=origin, production=ws_origin, agent=ws_origin, agent_rest=origin)


def deepgram_client(
    *, api_key: str | None = None, base_url: str | None = None, httpx_client: httpx.AsyncClient
) -> AsyncDeepgramClient:
    """An SDK client for REST calls over `httpx_client`; ProviderError when unconfigured."""
    return AsyncDeepgramClient(
        api_key=_api_key(api_key), environment=_environment(_origin(base_url)), httpx_client=httpx_client
    )


@functools.cache
def _socket_headers(key: str) -> dict[str, str]:
    # The SDK's own headers (it reads its version from package metadata each time: cache them).
    wrapper = BaseClientWrapper(api_key=key, environment=DeepgramClientEnvironment.PRODUCTION)
    return wrapper.get_headers()


def socket_request(
    path: str, query: Mapping[str, Any], *, api_key: str | None = None, base_url: str | None = None
) -> tuple[str, dict[str, str]]:
    """The URL and headers of a Deepgram WebSocket (`path` e.g. "/v1/listen"), as the SDK builds them."""
    key = _api_key(api_key)
    url = _environment(_origin(base_url)).production + path
    params = encode_query(jsonable_encoder(remove_none_from_dict(dict(query))))
    if params:
        url += "?" + urllib.parse.urlencode(params)
    return url, _socket_headers(key)


def as_provider_error(exc: BaseException, doing: str) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    status = exc.status_code if isinstance(exc, ApiError) else None
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
    if status is not None:
        permanent = status_is_permanent(status)
        return ProviderError(
            f"Deepgram refused to {doing} (HTTP {status})", permanent=permanent, provider=PROVIDER
        )
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return ProviderError(f"Deepgram timed out trying to {doing}", permanent=False, provider=PROVIDER)
    return ProviderError(f"Deepgram failed to {doing}: {exc!r}", permanent=False, provider=PROVIDER)


class DeepgramSocket[E]:
    """An SDK WebSocket session read by a background task into a queue of typed events.

    Subclasses open the socket with `_open(path, query, wrap)` and turn SDK messages into events in
    `_on_message`. Iterating yields those events; a socket that closes without `close()` having been
    called ends the iteration with ProviderError(permanent=False), as does any send after that.
    """

    what = "stream"

    def __init__(self, *, call_sid: str = "") -> None:
        self.call_sid = call_sid
        self._connection: ClientConnection | None = None
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._events: EventStream[E] = EventStream()
        self._closing = False
        self._server_error = ""

    async def _open(
        self,
        path: str,
        query: Mapping[str, Any],
        wrap: Callable[[ClientConnection], Any],
        *,
        api_key: str | None = None,
        base_url: str | None = None,
    ) -> None:
        """Open the socket and wrap it in the SDK's socket client (`wrap`). ProviderError on failure."""
        url, headers = socket_request(path, query, api_key=api_key, base_url=base_url)
        try:
            async with asyncio.timeout(10):
                self._connection = await connect(
                    url,
                    additional_headers=headers,
                    ssl=tls_for(url),
                    compression=None,
                    open_timeout=None,  # the timeout above covers it
                    close_timeout=CLOSE_TIMEOUT,
                    max_size=None,
                )
        except Exception as exc:
            raise as_provider_error(exc, f"open the {self.what}") from exc
        self._socket = wrap(self._connection)
        self._reader = asyncio.create_task(self._read_loop(), name=f"deepgram-{self.what}-{self.call_sid}")

    def _on_message(self, message: Any) -> None:
        raise NotImplementedError

    def _emit(self, event: E | End | ProviderError) -> None:
        self._events.put(event)

    def _note_server_error(self, description: str) -> None:
        self._server_error = description
        logger.warning("call %s: Deepgram %s error: %s", self.call_sid, self.what, description)

    async def _recv(self) -> Any:
        """The next message (the SDK's socket client parses it)."""
        return await self._socket.recv()

    async def _read_loop(self) -> None:
        while True:
            try:
                message = await self._recv()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._on_closed(exc)
                return
            try:
                self._on_message(message)
            except Exception:
                # A malformed message must not end the call; the next one may be fine.
                logger.exception("call %s: unreadable Deepgram %s message", self.call_sid, self.what)

    def _on_closed(self, exc: Exception) -> None:
        if self._closing:
            self._emit(End())
            return
        reason = self._server_error or getattr(exc, "reason", "") or type(exc).__name__
        logger.warning("call %s: Deepgram %s dropped: %s", self.call_sid, self.what, reason)
        self._emit(
            ProviderError(f"Deepgram {self.what} dropped: {reason}", permanent=False, provider=PROVIDER)
        )

    async def _send(self, send: Any, *args: Any) -> None:
        if self._socket is None or self._closing:
            raise ProviderError(f"Deepgram {self.what} is not open", permanent=False, provider=PROVIDER)
        if isinstance(self._events.terminal, ProviderError):
            raise self._events.terminal
        try:
            await send(*args)
        except Exception as exc:
            raise ProviderError(
                f"Deepgram {self.what} dropped: {exc!r}", permanent=False, provider=PROVIDER
            ) from exc

    async def _shutdown(self, *, goodbye: Any = None, drain_timeout: float = 0.0) -> None:
        """Close the socket: send `goodbye()` (best effort), give the server up to `drain_timeout` to
        finish and close its side, then close ours."""
        if self._closing:
            return
        self._closing = True
        if (
            goodbye is not None
            and self._socket is not None
            and not isinstance(self._events.terminal, ProviderError)
        ):
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await goodbye()
        if self._reader is not None and drain_timeout:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), drain_timeout)
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._emit(End())

    def __aiter__(self) -> AsyncIterator[E]:
        return self

    async def __anext__(self) -> E:
        return await self._events.next()

    async def __aenter__(self) -> Self:
        await self.start()  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()  # type: ignore[attr-defined]
