"""One client TLS context per process, shared by every provider connection.

Building an SSLContext loads the whole CA bundle (~25–30 ms of CPU). The SDKs build one per client or
per connection unless given one, and a live call opens up to four provider connections: at call
start that stalled the event loop, and so every other call's audio, for ~120 ms. A context is safe to
share between connections and event loops; it holds configuration, not connection state.
"""

import functools
import ssl

import certifi


@functools.cache
def client_tls_context() -> ssl.SSLContext:
    """Verifying context with certifi's CA bundle (what httpx and the SDKs use by default)."""
    return ssl.create_default_context(cafile=certifi.where())


def tls_for(url: str) -> ssl.SSLContext | None:
    """The shared context for a wss:// or https:// URL; None for plain ws:// / http:// (local fakes),
    where the websockets client refuses an `ssl` argument."""
    return client_tls_context() if url.startswith(("wss:", "https:")) else None
