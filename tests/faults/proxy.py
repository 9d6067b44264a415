"""A TCP proxy that a fault test cuts and restores (test code only).

The suite's PostgreSQL and Redis stay up for every other test; a fault test points one client (a web
process, a Redis client) at this proxy instead and takes the "server" away by cutting the proxy:

- `cut("blackhole")`: every open connection is closed and new ones are accepted but never answered —
  a server that vanished from the network (a connect hangs until the client's own timeout).
- `cut("refuse")`: every open connection is closed and new ones are reset at once — a server that is
  down on a reachable host.
- `restore()`: new connections are forwarded again.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Literal

Mode = Literal["open", "blackhole", "refuse"]


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    with contextlib.suppress(OSError):
        if reset:
            # SO_LINGER 0: close sends RST, as a dead server's host would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        # shutdown first: it wakes a pump thread blocked in recv() on this socket. A bare close() from
        # another thread would leave the connection open underneath that recv().
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`, one pair of pump threads per connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.mode: Mode = "open"
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()  # both ends of every forwarded connection
        self._held: list[socket.socket] = []  # accepted while blackholed, never answered
        self._accepting = threading.Thread(target=self._accept_loop, name="proxy-accept", daemon=True)
        self._accepting.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cut(self, mode: Mode = "blackhole") -> None:
        """Close every connection through the proxy and answer new ones as `mode` says."""
        with self._lock:
            self.mode = mode
            live, self._live = self._live, set()
        for sock in live:
            _close(sock, reset=True)

    def restore(self) -> None:
        with self._lock:
            self.mode = "open"
            held, self._held = self._held, []
        for sock in held:
            _close(sock, reset=True)

    def close(self) -> None:
        self.cut("refuse")
        self.restore()
        _close(self._listener)

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            with self._lock:
                mode = self.mode
                if mode == "blackhole":
                    self._held.append(client)
                    continue
            if mode == "refuse":
                _close(client, reset=True)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client, reset=True)
                continue
            with self._lock:
                if self.mode != "open":  # cut while we were connecting
                    _close(client, reset=True)
                    _close(upstream)
                    continue
                self._live.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._live.discard(source)
                self._live.discard(sink)
            _close(sink)
            _close(source)
