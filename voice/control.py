"""Control messages to a live call, from any process (advisor actions, tasks).

A call lives in one web process; its consumer listens on the channel-layer group `call.<CallSid>`.
The session handles `end_stream` itself (when a stream is named, only that stream's session ends) and
hands every other action to the engine's `on_control` (`end_call`, `transfer`, `say`: see
voice.agent.control). Nothing happens when no process holds the call (it ended): a control message is
a request, not a job.
"""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def call_group(call_sid: str) -> str:
    return f"call.{call_sid}"


# Seconds for one send. The channel layer's Redis has a connect timeout but no read timeout, so a Redis
# that stops answering would otherwise hold an advisor's take-over request (or a reconnecting call's
# start) for ever. TimeoutError past it: callers already treat a failed send as "not reached".
SEND_TIMEOUT = 1.0


async def acall_control_send(call_sid: str, action: str, **fields: Any) -> None:
    """Send `action` (with JSON-serialisable `fields`) to the live call, if any process holds it.
    TimeoutError when the channel layer did not take it within SEND_TIMEOUT."""
    layer = get_channel_layer()
    if layer is not None:
        message = {"type": "call.control", "action": action, **fields}
        await asyncio.wait_for(layer.group_send(call_group(call_sid), message), SEND_TIMEOUT)


def call_control_send(call_sid: str, action: str, **fields: Any) -> None:
    """`acall_control_send` for sync code: views, admin actions, Celery tasks."""
    async_to_sync(acall_control_send)(call_sid, action, **fields)


async def call_stream_end(*, call_sid: str, stream_sid: str, reason: str) -> None:
    """End the session of stream `stream_sid` on the call, leaving any other stream of it alone."""
    await acall_control_send(call_sid, "end_stream", stream_sid=stream_sid, reason=reason)
