import asyncio
import contextlib
import json

import pytest
from channels.db import database_sync_to_async

from voice.agent.actions import CallActions
from voice.agent.records import CallRecorder
from voice.agent.tooling import TIMED_OUT, ToolRunner, outcome_content
from voice.engines.base import CallContext
from voice.models import Call, ToolCall
from voice.session import CallSession
from voice.tools.context import tool_context_for_call

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call(shop, catalog):
    return Call.objects.create(call_sid="CA" + "9" * 32, from_number="+13125550123", to_number="+13125550100")


@contextlib.asynccontextmanager
async def runner_for(call: Call):
    async def ignore(_: str) -> None:
        return None

    async def close() -> None:
        return None

    session = CallSession(send_text=ignore, close=close)
    context = CallContext(
        call.call_sid, "MZ" + "9" * 32, call.pk, "inbound", call.from_number, call.to_number, None, "cascade"
    )
    recorder = CallRecorder(call_id=call.pk)
    actions = CallActions(
        session=session, call=context, recorder=recorder, shop_name="Lakeside", transfer_number=""
    )
    tool_context = await database_sync_to_async(tool_context_for_call)(
        call_id=call.pk, caller_phone=call.from_number
    )
    try:
        yield ToolRunner(context=tool_context, actions=actions, recorder=recorder)
    finally:
        await actions.finish()
        await recorder.close()
        await session.closed()


async def recorded(call) -> list[ToolCall]:
    return await database_sync_to_async(lambda: list(ToolCall.objects.filter(call=call)))()


async def test_a_tool_call_is_run_and_recorded(call):
    async with runner_for(call) as runner:
        outcome = await runner.start(call_id="call_1", name="list_services", arguments_json="{}")

    assert outcome.call_id == "call_1" and outcome.result["success"] is True
    assert {s["code"] for s in json.loads(outcome.content())["services"]} >= {"oil_change", "diagnostic"}
    [record] = await recorded(call)
    assert (record.name, record.success, record.arguments) == ("list_services", True, {})
    assert record.duration_ms is not None


async def test_cancelling_whoever_waits_does_not_cancel_the_tool(call):
    async with runner_for(call) as runner:
        task = runner.start(
            call_id="call_2", name="check_availability", arguments_json='{"service_type": "oil_change"}'
        )
        waiter = asyncio.create_task(asyncio.wait({task}))  # how a reply waits for its tools
        await asyncio.sleep(0)
        waiter.cancel()  # the caller barged in
        await runner.settle()

    assert task.done() and task.result().result["success"] is True
    assert [r.name for r in await recorded(call)] == ["check_availability"]


async def test_bad_arguments_go_back_to_the_model_as_an_error(call):
    async with runner_for(call) as runner:
        outcome = await runner.start(call_id="call_3", name="check_availability", arguments_json="{not json")

    assert outcome.result["success"] is False and outcome.result["error"]
    [record] = await recorded(call)
    assert record.arguments == {"_unparsed": "{not json"} and not record.success


async def test_an_unfinished_tool_reads_as_timed_out(call):
    never: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(never)

    assert json.loads(outcome_content(task)) == TIMED_OUT
    task.cancel()
