"""A local aiohttp server running on its own event loop in a background thread.

Each fake provider subclasses `FakeServer` and adds routes. Running in a thread lets sync tests,
async tests (whatever their loop) and benchmarks share one implementation: the adapter under test
talks to it over real sockets on 127.0.0.1 with an ephemeral port.
"""

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from aiohttp import web

T = TypeVar("T")


def unused_local_url() -> str:
    """An http://127.0.0.1 origin where nothing listens (to test unreachable providers)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FakeServer:
    """Subclasses implement `routes()`; tests use `start()`/`stop()` or `with Fake() as fake:`."""

    def __init__(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self.websockets: set[web.WebSocketResponse] = set()
        self.lock = threading.Lock()

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve_start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._serve_stop())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    async def _serve_start(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _serve_stop(self) -> None:
        assert self._stopping is not None and self._runner is not None
        self._stopping.set()
        for ws in list(self.websockets):
            await ws.close(code=1001, message=b"server shutting down")
        await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- helpers for handlers and tests --------------------------------------------------------

    async def until_stopped(self) -> None:
        """Handlers that must hang forever await this so shutdown can still finish."""
        assert self._stopping is not None
        await self._stopping.wait()

    async def pause(self, seconds: float) -> None:
        """A handler's scripted delay that ends early when the server stops (a short one just runs)."""
        if 0 < seconds < 0.1 or (seconds > 0 and self._stopping is None):
            await asyncio.sleep(seconds)  # a token's pace, or routes served by another app (bench)
        elif seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.until_stopped(), seconds)

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float = 5.0) -> T:
        """Run a coroutine on the server's loop from any thread (a test) and return its result."""
        assert self._loop is not None, "server not started"
        return asyncio.run_coroutine_threadsafe(fn(), self._loop).result(timeout)

    def wait_for(self, predicate: Callable[[], Any], within: float = 3.0) -> None:
        """Block until `predicate()` is truthy (for sync tests); AssertionError on timeout."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{type(self).__name__}: condition not met within {within}s")
            time.sleep(0.005)

    async def await_for(self, predicate: Callable[[], Any], within: float = 3.0) -> None:
        """Like `wait_for` but without blocking the caller's event loop (for async tests)."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{type(self).__name__}: condition not met within {within}s")
            await asyncio.sleep(0.005)
