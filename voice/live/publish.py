"""What happens on a live call, pushed to the staff who watch it (Channels groups).

The board group (`live.board`) hears when a call starts and ends; each call's group (`live.<call
id>`) hears its turns, tool calls and outcome: one channel-layer send for each, written by the call's
recorder (voice.agent.records) right after the row is saved, so every engine and transport is shown
without code of its own, and never anything per audio frame. Publishing is bounded and never raises:
a board that cannot be reached costs the call at most `PUBLISH_TIMEOUT` on its records task.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

BOARD_GROUP = "live.board"
PUBLISH_TIMEOUT = 1.0  # seconds for one send
EVENT_TYPE = "live.event"  # the consumer's handler: LiveBoardConsumer.live_event


def call_live_group(call_id: int) -> str:
    """The group of one call's watchers (not `call.<CallSid>`: that one carries control messages)."""
    return f"live.{call_id}"


async def live_publish(group: str, event: dict[str, Any], *, log: Any = logger) -> bool:
    """Send `event` to `group`'s watchers; False (logged) if the channel layer failed or was slow."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await asyncio.wait_for(layer.group_send(group, {"type": EVENT_TYPE, "event": event}), PUBLISH_TIMEOUT)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("live board: could not publish %s (%s)", event.get("kind"), type(exc).__name__)
        return False
    return True
