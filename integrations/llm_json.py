"""OpenAI Chat Completions, one non-streaming request answered with JSON that follows a JSON schema
(structured outputs). For work off the call path (post-call summaries, in a Celery worker), so sync.

The SDK's own retries are off: the Celery task that calls this owns the retry policy and its backoff.
Nothing here logs the messages sent (they hold a caller's words).
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

import openai
from django.conf import settings

from integrations.errors import ProviderError
from integrations.llm import PROVIDER, _as_provider_error, openai_base_url
from integrations.tls import client_tls_context


def chat_json(
    messages: Iterable[Mapping[str, Any]],
    *,
    schema: Mapping[str, Any],
    name: str,
    model: str | None = None,
    timeout: float = 30.0,
    api_key: str | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    """Ask for one reply whose content is a JSON object matching `schema` (strict structured outputs)
    and return it parsed.

    Raises ProviderError: permanent when no key is configured or OpenAI rejects the request (4xx) or
    refuses to answer; transient for timeouts, connection errors, 429/5xx, and a reply that is not a
    JSON object (a second sample may well be valid). `timeout` bounds the whole request.
    """
    key = api_key if api_key is not None else settings.OPENAI_API_KEY
    if not key:
        raise ProviderError("The language model is not configured", permanent=True, provider=PROVIDER)
    body = {
        "model": model or settings.OPENAI_MODEL,
        "messages": list(messages),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": dict(schema)},
        },
    }
    http_client = openai.DefaultHttpxClient(verify=client_tls_context())
    try:
        with openai.OpenAI(
            api_key=key,
            base_url=openai_base_url(base_url),
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
        ) as client:
            completion = client.post("/chat/completions", body=body, cast_to=object)
    except Exception as exc:
        raise _as_provider_error(exc) from exc
    return _parse(completion)


def _parse(completion: object) -> dict[str, Any]:
    choices = completion.get("choices") if isinstance(completion, Mapping) else None
    message = choices[0].get("message") if isinstance(choices, list) and choices else None
    if not isinstance(message, Mapping):
        raise ProviderError("OpenAI answered without a message", permanent=False, provider=PROVIDER)
    if message.get("refusal"):
        raise ProviderError("OpenAI refused to answer", permanent=True, provider=PROVIDER)
    content = message.get("content")
    try:
        data = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProviderError("OpenAI answered invalid JSON", permanent=False, provider=PROVIDER)
    return data
