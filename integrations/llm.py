"""OpenAI Chat Completions, streamed, with tools (openai 3.x; its transport is httpx2).

The events below are engine-neutral on purpose: a future Realtime adapter can produce the same
`TextDelta` / `ToolCallRequest` / `Done` for the conversation code. Callers measure latency.

Why `client.post` with a plain body and dict chunks rather than `chat.completions.create`: the typed
path re-validates the whole conversation and every tool schema on each request and builds a pydantic
object per streamed chunk, ~15–19 ms of event-loop time per turn (bench/calls.py --profile), which
every other live call on the process waits behind. The SDK still does auth, SSE parsing, error
mapping and HTTP; we read the few chunk fields we need.
"""

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import openai
from django.conf import settings

from integrations.errors import RETRYABLE_STATUSES, ProviderError, status_is_permanent
from integrations.tls import client_tls_context

OPENAI_ORIGIN = "https://api.openai.com/v1"


def openai_base_url(explicit: str | None = None) -> str:
    """The API origin: an explicit one, else OPENAI_BASE_URL, else OpenAI's. An empty setting must not
    reach the SDK, which would otherwise read an empty OPENAI_BASE_URL from the environment as ""."""
    return (explicit if explicit is not None else settings.OPENAI_BASE_URL) or OPENAI_ORIGIN


logger = logging.getLogger(__name__)

PROVIDER = "openai"
# OpenAI also answers 409 to a request that conflicted with another in flight: worth a retry.
OPENAI_RETRYABLE = RETRYABLE_STATUSES | {409}


@dataclass(frozen=True, slots=True)
class TextDelta:
    """The next fragment of the assistant's reply text."""

    text: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A complete tool call (streamed fragments already assembled); `arguments_json` is unparsed and may
    be invalid JSON: validating it is the tool registry's job."""

    id: str
    name: str
    arguments_json: str


@dataclass(frozen=True, slots=True)
class Done:
    """The reply ended: "stop", "tool_calls", "length", "content_filter" or None if unreported."""

    finish_reason: str | None


LLMEvent = TextDelta | ToolCallRequest | Done


def _as_provider_error(exc: BaseException) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        permanent = status_is_permanent(status, retryable=OPENAI_RETRYABLE)
        return ProviderError(
            f"OpenAI answered HTTP {status}: {exc.message}", permanent=permanent, provider=PROVIDER
        )
    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        return ProviderError("OpenAI timed out", permanent=False, provider=PROVIDER)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError("Could not reach OpenAI", permanent=False, provider=PROVIDER)
    return ProviderError(f"OpenAI stream failed: {exc!r}", permanent=False, provider=PROVIDER)


def openai_http_client() -> Any:
    """The SDK's default HTTP client, sharing the process's TLS context (building one per client costs
    ~30 ms of event-loop time at every call start)."""
    return openai.DefaultAsyncHttpxClient(verify=client_tls_context())


# One connection pool per event loop (in production: per process), shared by every call's ChatClient:
# a call's first reply reuses a connection another call opened instead of paying a TCP and TLS
# handshake to OpenAI while the caller waits.
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def shared_http_client() -> Any:
    """The running event loop's pool (never closed by its users: it outlives their calls)."""
    loop = asyncio.get_running_loop()
    client = _pools.get(loop)
    if client is None or client.is_closed:
        client = _pools[loop] = openai_http_client()
    return client


def _first_choice(chunk: object) -> Mapping[str, Any] | None:
    choices = chunk.get("choices") if isinstance(chunk, Mapping) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        return None
    return choices[0]


def _add_tool_call_fragment(calls: dict[int, dict[str, str]], fragment: object) -> None:
    """Fold one streamed tool-call fragment into `calls` (by index; ids and names arrive once,
    arguments in pieces)."""
    if not isinstance(fragment, Mapping):
        return
    index = fragment.get("index")
    call = calls.setdefault(index if isinstance(index, int) else 0, {"id": "", "name": "", "arguments": ""})
    if isinstance(fragment.get("id"), str) and fragment["id"]:
        call["id"] = fragment["id"]
    function = fragment.get("function")
    if isinstance(function, Mapping):
        if isinstance(function.get("name"), str):
            call["name"] += function["name"]
        if isinstance(function.get("arguments"), str):
            call["arguments"] += function["arguments"]


class ChatClient:
    """One call's model client, over the event loop's shared connection pool.

    Create it in the event loop that uses it; `await aclose()` at the end (the pool stays open for the
    next call). The SDK's own retries are off by default: a live caller is better served by the
    engine's fallback than by a silent back-off.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        max_retries: int = 0,
    ) -> None:
        key = api_key if api_key is not None else settings.OPENAI_API_KEY
        if not key:
            raise ProviderError("The language model is not configured", permanent=True, provider=PROVIDER)
        self.model = model or settings.OPENAI_MODEL
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=openai_base_url(base_url),
            max_retries=max_retries,
            timeout=60.0,  # per-chunk deadlines are enforced in stream_chat
            http_client=shared_http_client(),
        )

    async def stream_chat(
        self,
        messages: Iterable[Mapping[str, Any]],
        tools: Iterable[Mapping[str, Any]] | None = None,
        *,
        model: str | None = None,
        chunk_timeout: float = 10.0,
        **options: Any,
    ) -> AsyncIterator[LLMEvent]:
        """Stream one assistant reply: TextDelta* then ToolCallRequest* (in index order) then Done.

        `messages` and `tools` use the Chat Completions shapes; `options` pass through (temperature,
        tool_choice, parallel_tool_calls, ...). `chunk_timeout` bounds the wait for the response and for each
        next chunk, so a hung stream fails too. Raises ProviderError: permanent for 4xx such as bad
        credentials, transient for timeouts, connection errors, 429 and 5xx.

        Cancelling the consuming task, or `aclose()` on the returned generator (e.g. via
        `contextlib.aclosing`), closes the HTTP stream at once.
        """
        params: dict[str, Any] = {"model": model or self.model, "messages": list(messages), "stream": True}
        if tools:
            params["tools"] = list(tools)
        params.update(options)
        try:
            async with asyncio.timeout(chunk_timeout):
                stream = await self._client.post(
                    "/chat/completions",
                    body=params,
                    cast_to=object,
                    stream=True,
                    stream_cls=openai.AsyncStream[object],
                )
        except Exception as exc:
            raise _as_provider_error(exc) from exc
        calls: dict[int, dict[str, str]] = {}
        finish_reason: str | None = None
        chunks = stream.__aiter__()
        try:
            while True:
                try:
                    async with asyncio.timeout(chunk_timeout):
                        chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    raise _as_provider_error(exc) from exc
                choice = _first_choice(chunk)
                if choice is None:  # the usage-only chunk, or one we cannot read
                    continue
                delta = choice.get("delta") or {}
                if isinstance(delta.get("content"), str) and delta["content"]:
                    yield TextDelta(delta["content"])
                for fragment in delta.get("tool_calls") or []:
                    _add_tool_call_fragment(calls, fragment)
                if choice.get("finish_reason"):
                    finish_reason = str(choice["finish_reason"])
        finally:
            await stream.close()
        for index in sorted(calls):
            call = calls[index]
            # Some OpenAI-compatible servers omit ids; the follow-up turn still needs one to refer to.
            call_id = call["id"] or f"call_{index}"
            yield ToolCallRequest(id=call_id, name=call["name"], arguments_json=call["arguments"])
        yield Done(finish_reason)

    async def aclose(self) -> None:
        """Nothing to release: a stream still open is closed by its own generator, and the
        connection pool belongs to the event loop."""

    async def __aenter__(self) -> "ChatClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
