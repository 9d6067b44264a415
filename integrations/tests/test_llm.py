import asyncio
import contextlib
import json

import pytest

from integrations.errors import ProviderError
from integrations.llm import ChatClient, Done, TextDelta, ToolCallRequest
from tests.fakes.fake_openai import ErrorReply, HangReply, TextReply, ToolCall, ToolCallReply, tool_reply

pytestmark = pytest.mark.asyncio

MESSAGES = [
    {"role": "system", "content": "You are the receptionist of Lakeside Auto Service."},
    {"role": "user", "content": "Can I get an oil change on Monday?"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "check_availability",
            "description": "Open slots for a service.",
            "parameters": {
                "type": "object",
                "properties": {"service_type": {"type": "string"}, "preferred_date": {"type": "string"}},
                "required": ["service_type"],
            },
        },
    }
]


async def collect(chat: ChatClient, messages=MESSAGES, tools=TOOLS, **kwargs) -> list:
    return [event async for event in chat.stream_chat(messages, tools, **kwargs)]


async def test_it_streams_the_reply_text_in_pieces(fake_openai, settings):
    settings.OPENAI_MODEL = "gpt-4o"
    fake_openai.script = [TextReply("Sure, Monday works. What time suits you?")]

    async with ChatClient() as chat:
        events = await collect(chat)

    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    assert "".join(d.text for d in deltas) == "Sure, Monday works. What time suits you?"
    assert events[-1] == Done("stop")
    (request,) = fake_openai.requests
    assert request["model"] == "gpt-4o"
    assert request["stream"] is True
    assert request["messages"] == MESSAGES
    assert request["tools"] == TOOLS


async def test_it_assembles_a_tool_call_streamed_in_fragments(fake_openai):
    arguments = {"service_type": "oil_change", "preferred_date": "2026-11-23"}
    fake_openai.script = [ToolCallReply([ToolCall("check_availability", arguments, id="call_42")])]

    async with ChatClient() as chat:
        events = await collect(chat)

    assert events == [
        ToolCallRequest(id="call_42", name="check_availability", arguments_json=json.dumps(arguments)),
        Done("tool_calls"),
    ]


async def test_it_assembles_parallel_tool_calls_after_some_text(fake_openai):
    fake_openai.script = [
        ToolCallReply(
            [ToolCall("get_customer_by_phone", {"phone": "+13125550147"}), ToolCall("list_services")],
            text="One moment.",
        )
    ]

    async with ChatClient() as chat:
        events = await collect(chat)

    calls = [e for e in events if isinstance(e, ToolCallRequest)]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "One moment."
    assert [(c.name, json.loads(c.arguments_json)) for c in calls] == [
        ("get_customer_by_phone", {"phone": "+13125550147"}),
        ("list_services", {}),
    ]
    assert calls[0].id and calls[1].id and calls[0].id != calls[1].id
    assert events[-1] == Done("tool_calls")


async def test_it_carries_a_conversation_through_a_tool_round_trip(fake_openai):
    def receptionist(request: dict) -> TextReply | ToolCallReply:
        last = request["messages"][-1]
        if last["role"] == "tool":
            slots = json.loads(last["content"])["slots"]
            return TextReply(f"I have {slots[0]} open.")
        return tool_reply("check_availability", {"service_type": "oil_change"})

    fake_openai.script = receptionist
    messages = list(MESSAGES)
    async with ChatClient() as chat:
        (call, _done) = await collect(chat, messages)
        messages += [
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments_json},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"slots": ["9 AM"]})},
        ]
        events = await collect(chat, messages)

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "I have 9 AM open."
    assert fake_openai.requests[1]["messages"][-1]["tool_call_id"] == call.id


async def test_it_reports_a_server_error_as_transient_without_retrying(fake_openai):
    fake_openai.script = [ErrorReply(500)]

    async with ChatClient() as chat:
        with pytest.raises(ProviderError) as failure:
            await collect(chat)

    assert not failure.value.permanent
    assert failure.value.provider == "openai"
    assert len(fake_openai.requests) == 1


async def test_it_reports_rate_limiting_as_transient(fake_openai):
    fake_openai.script = [ErrorReply(429, "Rate limit reached", "requests", "rate_limit_exceeded")]

    async with ChatClient() as chat:
        with pytest.raises(ProviderError) as failure:
            await collect(chat)

    assert not failure.value.permanent


async def test_it_reports_rejected_credentials_as_permanent(fake_openai):
    async with ChatClient(api_key="sk-wrong") as chat:
        with pytest.raises(ProviderError) as failure:
            await collect(chat)

    assert failure.value.permanent
    assert "401" in failure.value.message


async def test_it_times_out_a_stream_that_stops_sending(fake_openai):
    fake_openai.script = [HangReply("Let me")]

    async with ChatClient() as chat:
        received = []
        with pytest.raises(ProviderError) as failure:
            async for event in chat.stream_chat(MESSAGES, TOOLS, chunk_timeout=0.3):
                received.append(event)

    assert not failure.value.permanent
    assert "".join(event.text for event in received) == "Let me"
    await fake_openai.await_for(lambda: fake_openai.abandoned_streams == 1)


async def test_it_times_out_a_slow_first_token(fake_openai):
    fake_openai.script = [TextReply("Hello", first_delay=1.0)]

    async with ChatClient() as chat:
        with pytest.raises(ProviderError) as failure:
            await collect(chat, chunk_timeout=0.2)

    assert not failure.value.permanent


async def test_it_closes_the_http_stream_when_the_turn_is_cancelled(fake_openai):
    fake_openai.script = [HangReply("Your appointment")]
    first_delta = asyncio.Event()

    async def turn(chat: ChatClient) -> None:
        async for _event in chat.stream_chat(MESSAGES, TOOLS, chunk_timeout=30):
            first_delta.set()

    async with ChatClient() as chat:
        task = asyncio.create_task(turn(chat))
        await asyncio.wait_for(first_delta.wait(), 2)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake_openai.await_for(lambda: fake_openai.abandoned_streams == 1)


async def test_it_closes_the_http_stream_when_the_consumer_stops_early(fake_openai):
    fake_openai.script = [HangReply("Barge in")]

    async with ChatClient() as chat:
        async with contextlib.aclosing(chat.stream_chat(MESSAGES, TOOLS, chunk_timeout=30)) as events:
            async for _event in events:
                break
        await fake_openai.await_for(lambda: fake_openai.abandoned_streams == 1)


async def test_it_refuses_clearly_when_not_configured(settings):
    settings.OPENAI_API_KEY = ""

    with pytest.raises(ProviderError) as failure:
        ChatClient()

    assert failure.value.permanent
    assert failure.value.message == "The language model is not configured"
