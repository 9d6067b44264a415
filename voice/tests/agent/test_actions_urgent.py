"""Urgent messages for advisors: the agent marks a message urgent, or the call is a safety issue
(reported by the model or caught by the backstop), and Today lists it first."""

import pytest
from channels.db import database_sync_to_async

from voice.agent.actions import SPOKEN
from voice.agent.lines import line
from voice.models import Call, CallbackRequest
from voice.tests.agent.test_actions import call, call_actions, saved  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

REFUSED = {
    "success": False,
    "error": "No one can take a transferred call right now.",
    "action": "take_message",
}


async def leave_message(actions, reason: str, *, urgent: bool) -> None:
    for said in ("stranded", reason):
        await actions.after_tool(
            name="transfer_to_human", arguments={"reason": said, "urgent": urgent}, result=REFUSED
        )


async def test_the_agent_marks_a_message_that_cannot_wait_urgent(call, shop):  # noqa: F811
    async with call_actions(call) as (actions, _):
        await leave_message(actions, "Dana: stuck on the highway, car won't start", urgent=True)

    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert message.urgent and message.reason == "stuck on the highway, car won't start"


async def test_an_ordinary_message_is_not_urgent(call, shop):  # noqa: F811
    async with call_actions(call) as (actions, _):
        await leave_message(actions, "Dana: call me about a quote", urgent=False)

    assert not (await database_sync_to_async(CallbackRequest.objects.get)()).urgent


async def test_after_a_safety_report_the_line_is_handed_to_the_engine_and_messages_are_urgent(call, shop):  # noqa: F811
    async with call_actions(call) as (actions, _):
        result = await actions.after_tool(
            name="report_safety_concern",
            arguments={"symptom": "smoke"},
            result={"success": True, "action": "safety"},
        )
        assert result[SPOKEN] == line("safety_dont_drive")
        await leave_message(actions, "Dana: please call about the smoke", urgent=False)

    assert (await database_sync_to_async(CallbackRequest.objects.get)()).urgent


async def test_the_backstop_marks_the_call_once_and_its_messages_urgent(call, shop):  # noqa: F811
    async with call_actions(call) as (actions, _):
        await actions.caller_said("I need an oil change")
        assert (await saved(call)).urgency == ""
        await actions.caller_said("there's smoke coming from the engine")
        await actions.caller_said("and it smells like gas")  # already urgent: nothing more to do
        await leave_message(actions, "Dana: call me back", urgent=False)

    assert (await saved(call)).urgency == Call.Urgency.SAFETY
    assert (await database_sync_to_async(CallbackRequest.objects.get)()).urgent
