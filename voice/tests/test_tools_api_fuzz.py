"""Fuzzing every tool of the HTTP tools API (POST /tools/<slug>/): whatever the body, the answer is JSON
with "success" and, on a refusal, a readable "error"; never a 500."""

import json

import pytest
import time_machine
from django.test import override_settings
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.strategies import ODD_JSON_VALUES, hostile_bodies
from voice.tests.fuzz_world import NOW, valid_arguments, world  # noqa: F401
from voice.tools.registry import TOOLS

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

KEY = "fuzz-tools-key-0123456789abcdef0123"
HTTP_TOOLS = [tool for tool in TOOLS.values() if tool.slug]


@pytest.fixture(autouse=True)
def monday_morning_with_a_key():
    with time_machine.travel(NOW, tick=False), override_settings(TOOLS_API_KEY=KEY):
        yield


def post(client, slug: str, body: bytes):
    return client.post(
        f"/tools/{slug}/", data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {KEY}"
    )


def json_answer(response) -> dict:
    if currently_in_test_context():
        event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("success"), bool), body
    if not body["success"]:
        assert isinstance(body["error"], str) and body["error"].strip(), body
    return body


@pytest.mark.parametrize("tool", HTTP_TOOLS, ids=lambda tool: tool.slug)
@given(data=st.data())
def test_arguments_its_schema_allows_get_a_json_answer(client, world, tool, data):  # noqa: F811
    arguments = data.draw(valid_arguments(tool, world), label="arguments")
    Draft202012Validator(tool.parameters).validate(arguments)

    response = post(client, tool.slug, json.dumps(arguments).encode())

    assert response.status_code in (200, 400)
    json_answer(response)


@pytest.mark.parametrize("tool", HTTP_TOOLS, ids=lambda tool: tool.slug)
@given(data=st.data())
def test_hostile_bodies_get_a_json_refusal(client, world, tool, data):  # noqa: F811
    body = data.draw(hostile_bodies(tool.parameters), label="body")

    response = post(client, tool.slug, body)

    assert response.status_code in (200, 400, 413)
    json_answer(response)


@pytest.mark.parametrize("tool", HTTP_TOOLS, ids=lambda tool: tool.slug)
def test_each_odd_value_in_each_argument_gets_a_json_answer(client, world, tool):  # noqa: F811
    # Every odd value meets every argument at least once, the other arguments as a model sends them.
    typical = world.typical(tool)
    assert post(client, tool.slug, json.dumps(typical).encode()).status_code == 200
    broken = []
    for name in typical or ["unknown"]:
        for value in ODD_JSON_VALUES:
            response = post(client, tool.slug, json.dumps({**typical, name: value}).encode())
            try:
                assert response.status_code in (200, 400)
                json_answer(response)
            except AssertionError as exc:
                broken.append(f"{name}={value!r:.40}: {exc!s:.200}")
    assert not broken, "\n".join(broken)
