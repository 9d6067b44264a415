"""Whether Deepgram, OpenAI and Google accept our credentials: one cheap authenticated request each, for
the set-up check (Twilio's live in integrations.telephony_setup).

Blocking and bounded by `timeout` with no retry (the set-up page runs them at the same time in worker
threads). Each raises ProviderError when the key is refused, the provider does not answer, or the
provider is not configured (permanent).
"""

from __future__ import annotations

import httpx
import openai
from deepgram import DeepgramClient
from deepgram.core.api_error import ApiError
from django.conf import settings

from integrations._deepgram import _api_key, _environment, _origin
from integrations.calendar import CalendarClient
from integrations.errors import ProviderError, status_is_permanent
from integrations.llm import openai_base_url


def refused_key(error: ProviderError) -> bool:
    """Whether the provider said the key itself is wrong (HTTP 401 or 403)."""
    cause = error.__cause__
    status = getattr(cause, "status_code", None)
    return status in (401, 403)


def deepgram_key_check(*, timeout: float) -> int:
    """GET /v1/projects with DEEPGRAM_API_KEY; returns how many projects the key sees."""
    key = _api_key(None)
    client = DeepgramClient(api_key=key, environment=_environment(_origin(None)), timeout=timeout)
    try:
        answer = client.manage.v1.projects.list(
            request_options={"max_retries": 0, "timeout_in_seconds": timeout}
        )
    except ApiError as exc:
        status = exc.status_code or 0
        raise ProviderError(
            f"Deepgram answered HTTP {status}", permanent=status_is_permanent(status), provider="deepgram"
        ) from exc
    except (httpx.HTTPError, OSError) as exc:
        raise ProviderError(
            f"Deepgram did not answer ({type(exc).__name__})", permanent=False, provider="deepgram"
        ) from exc
    return len(answer.projects or [])


def openai_key_check(*, timeout: float) -> int:
    """GET /v1/models with OPENAI_API_KEY; returns how many models the key may use."""
    if not settings.OPENAI_API_KEY:
        raise ProviderError("OpenAI is not configured", permanent=True, provider="openai")
    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY, base_url=openai_base_url(), timeout=timeout, max_retries=0
    )
    try:
        with client:
            return len(client.models.list().data)
    except openai.APIStatusError as exc:
        raise ProviderError(
            f"OpenAI answered HTTP {exc.status_code}: {exc.message}",
            permanent=status_is_permanent(exc.status_code),
            provider="openai",
        ) from exc
    except openai.APIError as exc:
        raise ProviderError(
            f"OpenAI did not answer ({type(exc).__name__})", permanent=False, provider="openai"
        ) from exc


def calendar_check(*, timeout: float) -> None:
    """Reads one event of GOOGLE_CALENDAR_ID with the configured Google credentials."""
    with CalendarClient(timeout=timeout) as calendar:
        calendar.probe()
