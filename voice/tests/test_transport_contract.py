"""Both engines hand the caller's words to their transport's `caller_said` (declared on
voice.transport.CallTransport): that is how "don't record me" stops a recording. A transport without it
is a broken transport, and an engine refuses it at start instead of quietly never hearing objections."""

import logging

import pytest

from voice.call_tasks import CallTasks
from voice.engines.base import CallContext
from voice.engines.cascade.engine import CascadeEngine
from voice.engines.realtime.engine import RealtimeEngine

pytestmark = pytest.mark.asyncio

CALL = CallContext(
    call_sid="CA" + "1" * 32,
    stream_sid="MZ" + "1" * 32,
    call_id=1,
    direction="inbound",
    from_number="+13125550147",
    to_number="+13125550100",
    customer_id=None,
    engine="cascade",
)


class NoCallerSaid:
    """A transport missing `caller_said` (everything else an engine touches first is there)."""

    def __init__(self) -> None:
        self.log = logging.getLogger(__name__)
        self.tasks = CallTasks(self.log)


@pytest.mark.parametrize("engine", [CascadeEngine, RealtimeEngine], ids=["cascade", "realtime"])
async def test_an_engine_refuses_a_transport_that_cannot_hear_the_caller(engine):
    transport = NoCallerSaid()
    try:
        with pytest.raises(AttributeError, match="caller_said"):
            await engine().start(transport, CALL)
    finally:
        await transport.tasks.close()
