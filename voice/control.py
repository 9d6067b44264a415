"""Control messages to a live call, from any process (advisor actions, tasks).

A call lives in one web process; its consumer listens on the channel-layer group `call.<CallSid>`.
The session handles `end_stream` itself (when a stream is named, only that stream's session ends) and
hands every other action to the engine's `on_control`.
"""

from typing import Any

from channels.layers import get_channel_layer


def call_group(call_sid: str) -> str:
    return f"call.{call_sid}"


async def call_control_send(*, call_sid: str, action: str, **data: Any) -> None:
    """Send `action` (with JSON-serialisable `data`) to the live call, if any process holds it."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(call_group(call_sid), {"type": "call.control", "action": action, **data})


async def call_stream_end(*, call_sid: str, stream_sid: str, reason: str) -> None:
    """End the session of stream `stream_sid` on the call, leaving any other stream of it alone."""
    await call_control_send(call_sid=call_sid, action="end_stream", stream_sid=stream_sid, reason=reason)
