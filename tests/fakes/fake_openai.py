"""Fake OpenAI Chat Completions (POST /v1/chat/completions), streaming SSE like the real API.

Point the SDK at it with `OPENAI_BASE_URL = fake.base_url`. `script` is either a list of replies used
in order (one per request) or a callable `script(request_json) -> reply` for conversational logic.
A reply is `TextReply`, `ToolCallReply`, `ErrorReply` or `HangReply`. Every request body is recorded.

Non-streaming requests with a `json_schema` response_format (structured outputs: post-call summaries)
are answered from `structured` instead (a list used in order, or a callable), and recorded in
`structured_requests`: by default with JSON generated from the schema sent, so it always matches it.
"""

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.latency import ZERO, LatencyProfile
from tests.fakes.server import FakeServer

API_KEY = "sk-fake-openai-key"


@dataclass
class TextReply:
    """Text streamed a word at a time; `first_delay` before the first chunk, `chunk_delay` between."""

    text: str
    first_delay: float = 0.0
    chunk_delay: float = 0.0
    finish_reason: str = "stop"


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass
class ToolCallReply:
    """One or more tool calls, arguments streamed in small fragments, optionally after some text."""

    calls: list[ToolCall]
    text: str = ""
    first_delay: float = 0.0
    chunk_delay: float = 0.0


@dataclass
class ErrorReply:
    status: int
    message: str = "The server had an error while processing your request."
    error_type: str = "server_error"
    code: str | None = None
    delay: float = 0.0


@dataclass
class HangReply:
    """Start a stream (optionally with some text) and never finish it."""

    text: str = ""


@dataclass
class JsonReply:
    """The message content of a structured-outputs answer: `data` as JSON, a string sent as it is (for
    broken JSON), or None for a value generated from the request's schema. `delay` before answering."""

    data: dict[str, Any] | str | None = None
    delay: float = 0.0


Reply = TextReply | ToolCallReply | ErrorReply | HangReply
Script = list[Reply] | Callable[[dict[str, Any]], Reply]
StructuredScript = list[JsonReply | ErrorReply] | Callable[[dict[str, Any]], JsonReply | ErrorReply]


def value_for_schema(schema: dict[str, Any], name: str = "value") -> Any:
    """A value that validates against `schema` (the subset structured outputs allow)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {key: value_for_schema(sub, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [value_for_schema(schema.get("items", {}), name)]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 1
    return f"fake {name.replace('_', ' ')}"


def tool_reply(name: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> ToolCallReply:
    return ToolCallReply([ToolCall(name, arguments or {})], **kwargs)


class FakeOpenAI(FakeServer):
    def __init__(
        self, script: Script | None = None, *, api_key: str = API_KEY, latency: LatencyProfile = ZERO
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.latency = latency  # delays of a reply that sets none of its own (tests.fakes.latency)
        self.script: Script = script if script is not None else []
        self.structured: StructuredScript = lambda body: JsonReply()
        self.structured_requests: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.abandoned_streams = 0  # hung streams whose client closed the connection
        self.cut_streams = 0  # streams the client closed while they were being written
        self.model_list_requests = 0
        self.models_hang = False
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.http_url}/v1"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/chat/completions", self._chat_completions),
            web.get("/v1/models", self._models),
        ]

    async def _models(self, request: web.Request) -> web.Response:
        """The models list (the set-up check's key test); `models_hang` makes it never answer."""
        with self.lock:
            self.model_list_requests += 1
        if self.models_hang:
            await self.until_stopped()
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(
                ErrorReply(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            )
        models = [
            {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "system"}
            for name in ("gpt-4o", "gpt-realtime-2.1", "gpt-4o-mini-transcribe")
        ]
        return web.json_response({"object": "list", "data": models})

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        if callable(self.script):
            return self.script(body)
        if not self.script:
            return ErrorReply(500, "fake OpenAI: no scripted reply left")
        return self.script.pop(0)

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(
                ErrorReply(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            )
        body = await request.json()
        if not body.get("stream") and (body.get("response_format") or {}).get("type") == "json_schema":
            return await self._structured(body)
        with self.lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
        reply = self._next_reply(body)
        if isinstance(reply, ErrorReply):
            await self.pause(reply.delay)
            return _error(reply)
        completion_id = f"chatcmpl-fake{next(self._ids)}"
        if not body.get("stream"):
            return web.json_response(_completion(completion_id, body["model"], reply))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        chunk = _ChunkWriter(response, completion_id, body["model"])
        await chunk.delta({"role": "assistant", "content": ""})
        if isinstance(reply, HangReply):
            for piece in _pieces(reply.text):
                await chunk.delta({"content": piece})
            await self._hang_until_client_leaves(request)
            return response
        try:
            await self._stream(chunk, reply, body)
        except ConnectionResetError:  # the client cancelled the stream (a discarded reply): fine
            with self.lock:
                self.cut_streams += 1
        return response

    async def _stream(self, chunk: "_ChunkWriter", reply: Reply, body: dict[str, Any]) -> None:
        response = chunk.response
        chunk_delay = reply.chunk_delay or self.latency.llm_token_interval
        await self.pause(reply.first_delay or self.latency.llm_first_token)
        for piece in _pieces(reply.text):
            await chunk.delta({"content": piece})
            await self.pause(chunk_delay)
        finish_reason = "stop"
        if isinstance(reply, ToolCallReply):
            finish_reason = "tool_calls"
            for index, call in enumerate(reply.calls):
                await chunk.delta({"tool_calls": [_tool_head(index, call, next(self._ids))]})
                arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
                for offset in range(0, len(arguments), 7):
                    fragment = {"index": index, "function": {"arguments": arguments[offset : offset + 7]}}
                    await chunk.delta({"tool_calls": [fragment]})
                    await self.pause(chunk_delay)
        elif isinstance(reply, TextReply):
            finish_reason = reply.finish_reason
        await chunk.delta({}, finish_reason=finish_reason)
        if (body.get("stream_options") or {}).get("include_usage"):
            await chunk.send(
                {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
            )
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()

    async def _structured(self, body: dict[str, Any]) -> web.Response:
        with self.lock:
            self.structured_requests.append(body)
            if callable(self.structured):
                reply = self.structured(body)
            else:
                reply = self.structured.pop(0) if self.structured else ErrorReply(500, "no reply left")
        await self.pause(reply.delay)
        if isinstance(reply, ErrorReply):
            return _error(reply)
        data = reply.data
        if data is None:
            data = value_for_schema(body["response_format"]["json_schema"]["schema"])
        content = data if isinstance(data, str) else json.dumps(data)
        completion = _completion(f"chatcmpl-fake{next(self._ids)}", body["model"], TextReply(content))
        return web.json_response(completion)

    async def _hang_until_client_leaves(self, request: web.Request) -> None:
        stopping = asyncio.ensure_future(self.until_stopped())
        try:
            while not stopping.done():
                if request.transport is None or request.transport.is_closing():
                    with self.lock:
                        self.abandoned_streams += 1
                    return
                await asyncio.sleep(0.01)
        finally:
            stopping.cancel()


class _ChunkWriter:
    def __init__(self, response: web.StreamResponse, completion_id: str, model: str):
        self.response, self.id, self.model, self.created = response, completion_id, model, int(time.time())

    async def send(self, extra: dict[str, Any]) -> None:
        chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            **extra,
        }
        await self.response.write(f"data: {json.dumps(chunk)}\n\n".encode())

    async def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> None:
        await self.send(
            {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
        )


def _pieces(text: str) -> list[str]:
    """Split like a tokenizer roughly would: each word with its leading space."""
    return re.findall(r"\s*\S+", text)


def _tool_head(index: int, call: ToolCall, number: int) -> dict[str, Any]:
    call_id = call.id or f"call_fake{number}"
    return {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }


def _completion(completion_id: str, model: str, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": getattr(reply, "text", "") or None}
    finish_reason = "stop"
    if isinstance(reply, ToolCallReply):
        finish_reason = "tool_calls"
        message["tool_calls"] = [
            {
                "id": call.id or f"call_fake{n}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.arguments
                    if isinstance(call.arguments, str)
                    else json.dumps(call.arguments),
                },
            }
            for n, call in enumerate(reply.calls)
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _error(reply: ErrorReply) -> web.Response:
    body = {"error": {"message": reply.message, "type": reply.error_type, "param": None, "code": reply.code}}
    return web.json_response(body, status=reply.status)
