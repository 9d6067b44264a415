"""Fuzzing every tool on the call channel, as the LLM engines run them (run_tool with a call's
ToolContext, arguments as the model's JSON text or as a dict): the result is always JSON-ready with
"success", a refusal always has a sentence to say, and nothing is ever our crash (Outcome.ERROR)."""

import json

import pytest
import time_machine
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.strategies import ODD_JSON_VALUES, hostile_arguments, hostile_bodies
from voice.tests.fuzz_world import NOW, valid_arguments, world  # noqa: F401
from voice.tools.registry import TOOLS, Outcome, ToolRun, run_tool

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def monday_morning(settings):
    settings.TRANSFER_PHONE_NUMBER = "+13125550199"  # so transfer_to_human goes past its refusal
    with time_machine.travel(NOW, tick=False):
        yield


def assert_sayable(run: ToolRun) -> None:
    if currently_in_test_context():
        event(f"outcome {run.outcome}")  # shown by --hypothesis-show-statistics
    assert run.outcome != Outcome.ERROR, run.result
    json.dumps(run.result, allow_nan=False)
    assert isinstance(run.result.get("success"), bool), run.result
    if not run.result["success"]:
        assert isinstance(run.result["error"], str) and run.result["error"].strip(), run.result


@pytest.mark.parametrize("tool", list(TOOLS.values()), ids=lambda tool: tool.name)
@given(data=st.data())
def test_arguments_its_schema_allows_get_a_result_to_say(world, tool, data):  # noqa: F811
    arguments = data.draw(valid_arguments(tool, world), label="arguments")
    Draft202012Validator(tool.parameters).validate(arguments)
    as_text = data.draw(st.booleans(), label="as the model's JSON text")

    run = run_tool(tool.name, json.dumps(arguments) if as_text else arguments, context=world.call_context())

    assert_sayable(run)


@pytest.mark.parametrize("tool", list(TOOLS.values()), ids=lambda tool: tool.name)
@given(data=st.data())
def test_hostile_arguments_get_a_refusal_to_say(world, tool, data):  # noqa: F811
    arguments = data.draw(
        st.one_of(hostile_arguments(tool.parameters), hostile_bodies(tool.parameters)), label="arguments"
    )

    run = run_tool(tool.name, arguments, context=world.call_context())

    assert_sayable(run)


@pytest.mark.parametrize("tool", list(TOOLS.values()), ids=lambda tool: tool.name)
def test_each_odd_value_in_each_argument_gets_a_result_to_say(world, tool):  # noqa: F811
    # Every odd value meets every argument at least once, the other arguments as a model sends them.
    typical = world.typical(tool)
    assert run_tool(tool.name, typical, context=world.call_context()).outcome == Outcome.OK
    broken = []
    for name in typical or ["unknown"]:
        for value in ODD_JSON_VALUES:
            try:
                assert_sayable(run_tool(tool.name, {**typical, name: value}, context=world.call_context()))
            except (AssertionError, ValueError) as exc:
                broken.append(f"{name}={value!r:.40}: {exc!s:.200}")
    assert not broken, "\n".join(broken)
