"""Which calls are in progress right now, in any web process.

Each process registers the calls it holds and a heartbeat task (one per process, not per call)
pushes their deadline forward every `LIVE_CALL_HEARTBEAT_SECONDS`. A call whose deadline passed
(its process died, or was cut off from Redis) drops out of `live_calls()` within
`LIVE_CALL_TTL_SECONDS`. With REDIS_URL the registry is a sorted set (call id → deadline) and a hash
(call id → the board's header for it) shared by every process; without it (the embedded one-process
set-up) it is a dict in this process.

Every operation is bounded (Redis socket timeouts) and callers treat a failure as "not shown on the
board": the registry never breaks a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 1.0  # seconds, connect and each command

# This process's calls: call id -> header (what the board shows before any turn).
_held: dict[int, dict[str, Any]] = {}
# Without Redis: every registered call of this (only) process, call id -> (deadline, header).
_local: dict[int, tuple[float, dict[str, Any]]] = {}
_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
    weakref.WeakKeyDictionary()
)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def heartbeat_seconds() -> float:
    return float(getattr(settings, "LIVE_CALL_HEARTBEAT_SECONDS", 2.0))


def ttl_seconds() -> float:
    return float(getattr(settings, "LIVE_CALL_TTL_SECONDS", 0) or 3 * heartbeat_seconds())


def _key(name: str) -> str:
    config = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})
    return f"{config.get('prefix', 'dealership')}:live:{name}"


def _redis() -> Any:
    """One asyncio Redis client per event loop (a client is bound to the loop it was made in)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        _clients[loop] = client
    return client


async def live_call_register(header: dict[str, Any]) -> None:
    """This process holds call `header["call_id"]` from now on (until `live_call_unregister`)."""
    call_id = int(header["call_id"])
    _held[call_id] = header
    _ensure_heartbeat()
    deadline = time.time() + ttl_seconds()
    if not settings.REDIS_URL:
        _local[call_id] = (deadline, header)
        return
    client = _redis()
    async with client.pipeline(transaction=False) as pipe:
        pipe.hset(_key("headers"), str(call_id), json.dumps(header))
        pipe.zadd(_key("deadlines"), {str(call_id): deadline})
        await pipe.execute()


async def live_call_unregister(call_id: int) -> None:
    _held.pop(call_id, None)
    if not settings.REDIS_URL:
        _local.pop(call_id, None)
        return
    client = _redis()
    async with client.pipeline(transaction=False) as pipe:
        pipe.zrem(_key("deadlines"), str(call_id))
        pipe.hdel(_key("headers"), str(call_id))
        await pipe.execute()


async def live_calls() -> dict[int, dict[str, Any]]:
    """Every call in progress in any process (call id -> header); expired entries are cleared."""
    now = time.time()
    if not settings.REDIS_URL:
        for call_id in [i for i, (deadline, _) in _local.items() if deadline < now]:
            _local.pop(call_id, None)
        return {call_id: header for call_id, (_, header) in _local.items()}
    client = _redis()
    expired = await client.zrangebyscore(_key("deadlines"), "-inf", now)
    if expired:
        async with client.pipeline(transaction=False) as pipe:
            pipe.zrem(_key("deadlines"), *expired)
            pipe.hdel(_key("headers"), *expired)
            await pipe.execute()
    ids = await client.zrangebyscore(_key("deadlines"), now, "+inf")
    if not ids:
        return {}
    headers = await client.hmget(_key("headers"), ids)
    found: dict[int, dict[str, Any]] = {}
    for raw in headers:
        if raw:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                header = json.loads(raw)
                found[int(header["call_id"])] = header
    return found


def live_call_is_registered(call_id: int) -> bool:
    """For sync code (views, services): whether call `call_id` is in progress in some process."""
    if not settings.REDIS_URL:
        entry = _local.get(call_id)
        return entry is not None and entry[0] >= time.time()
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        deadline = client.zscore(_key("deadlines"), str(call_id))
    finally:
        client.close()
    return deadline is not None and float(deadline) >= time.time()


def _ensure_heartbeat() -> None:
    loop = asyncio.get_running_loop()
    task = _heartbeats.get(loop)
    if task is None or task.done():
        _heartbeats[loop] = loop.create_task(_heartbeat(), name="live-call-heartbeat")


async def _heartbeat() -> None:
    """Push the deadline of every call this process holds; stops when it holds none."""
    while _held:
        await asyncio.sleep(heartbeat_seconds())
        deadline = time.time() + ttl_seconds()
        try:
            if not settings.REDIS_URL:
                for call_id, header in list(_held.items()):
                    _local[call_id] = (deadline, header)
                continue
            if _held:
                await asyncio.wait_for(
                    _redis().zadd(_key("deadlines"), {str(i): deadline for i in list(_held)}, xx=True),
                    REDIS_TIMEOUT * 2,
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("live calls: heartbeat failed; the board may miss this process's calls")
