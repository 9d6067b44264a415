"""The stream token is one-time: one session per token, never after the call ended, and a reconnect
replaces the old session only through a token we issued for it (real WebSockets through the ASGI app)."""

import asyncio
import threading
import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections

from voice.models import Call
from voice.stream_tokens import call_stream_claim, call_stream_token_renew
from voice.tests.test_consumer import (
    assert_closed,
    eventually,
    open_stream,
    start_frame,
    started_stream,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

OTHER_STREAM = "MZ" + "8" * 32


@pytest.fixture
def call(transactional_db) -> Call:
    """A call we answered, with a SID of its own: control messages travel over Redis pub/sub, which
    every process on the Redis server shares, so a fixed SID could hear another test run's messages."""
    return Call.objects.create(
        call_sid="CA" + uuid.uuid4().hex,
        direction=Call.Direction.INBOUND,
        from_number="+13125550147",
        to_number="+13125550100",
        engine="recording",
    )


@pytest.fixture(autouse=True)
def fast_limits(settings):
    settings.VOICE_STREAM_START_TIMEOUT = 0.3
    settings.VOICE_IDLE_SECONDS = 60
    settings.VOICE_MAX_CALL_SECONDS = 60


def with_stream_sid(frame: dict, stream_sid: str) -> dict:
    frame["streamSid"] = frame["start"]["streamSid"] = stream_sid
    return frame


@pytest.mark.asyncio
async def test_a_token_cannot_start_a_second_session_after_the_first_ended(call, engines):
    stream, engine = await started_stream(call, engines)
    await stream.disconnect()
    assert engine.stops == 1

    replay = await open_stream()
    await replay.send_json_to(with_stream_sid(start_frame(call), OTHER_STREAM))

    await assert_closed(replay)
    assert len(engines) == 1
    await replay.disconnect()


@pytest.mark.asyncio
async def test_a_token_cannot_start_a_second_session_while_the_first_is_live(call, engines):
    stream, engine = await started_stream(call, engines)

    rival = await open_stream()
    await rival.send_json_to(with_stream_sid(start_frame(call), OTHER_STREAM))

    await assert_closed(rival)
    assert len(engines) == 1
    assert engine.stops == 0  # the caller's own session carries on
    assert await stream.receive_nothing(timeout=0.2)
    await rival.disconnect()
    await stream.disconnect()


@pytest.mark.asyncio
async def test_a_token_for_a_completed_call_is_refused(call, engines):
    await database_sync_to_async(Call.objects.filter(pk=call.pk).update)(status=Call.Status.COMPLETED)
    stream = await open_stream()

    await stream.send_json_to(start_frame(call))

    await assert_closed(stream)
    assert engines == []
    await stream.disconnect()


@pytest.mark.asyncio
async def test_a_reconnect_with_a_renewed_token_replaces_the_old_session_cleanly(call, engines):
    old_stream, old_engine = await started_stream(call, engines)
    await asyncio.sleep(0.1)  # the old session joins the call's control group right after start
    renewed = await database_sync_to_async(call_stream_token_renew)(call_id=call.pk)

    new_stream = await open_stream()
    await new_stream.send_json_to(with_stream_sid(start_frame(renewed), OTHER_STREAM))
    await eventually(lambda: len(engines) == 2 and engines[1].session is not None)

    await assert_closed(old_stream)
    await eventually(lambda: old_engine.stops == 1)
    assert engines[1].stops == 0
    assert await new_stream.receive_nothing(timeout=0.2)  # the new session is not ended with it
    call = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert call.stream_sid == OTHER_STREAM
    # The old token is spent: it cannot come back either.
    replay = await open_stream()
    await replay.send_json_to(start_frame(call))
    await assert_closed(replay)
    assert len(engines) == 2
    for stream in (old_stream, new_stream, replay):
        await stream.disconnect()


def test_racing_processes_cannot_both_claim_one_token(call):
    assert connection.vendor == "postgresql", "this test proves the claim on real connections"
    racers = 8
    barrier = threading.Barrier(racers)
    won: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def claim(n: int) -> None:
        try:
            barrier.wait()
            claimed = call_stream_claim(
                call_sid=call.call_sid,
                token=call.stream_token,
                stream_sid=f"MZ{n:032d}",
            )
            if claimed is not None:
                with lock:
                    won.append(claimed.call.stream_sid)
        except Exception as exc:  # shown by the assertion below
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(won) == 1
    assert Call.objects.get(pk=call.pk).stream_sid == won[0]
