"""How a call is handed to our media stream: the wss URL and the <Parameter>s the session needs.

Inbound and outbound webhooks both answer with `stream_twiml`, so every stream carries the call's
token and the session can claim it (see voice.stream_tokens): one stream per token.
"""

from django.conf import settings
from django.http import HttpRequest

from voice import twiml
from voice.models import Call

STREAM_PATH = "/voice/stream/"


def stream_url(request: HttpRequest) -> str:
    """wss://<public host>/voice/stream/ (Twilio accepts only wss and no query string)."""
    base = settings.PUBLIC_BASE_URL or f"https://{request.get_host()}"
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return base + STREAM_PATH


def stream_parameters(call: Call, **extra: str) -> dict[str, str]:
    """What the session reads from `start.customParameters`; `extra` adds engine-specific values
    (e.g. `purpose="reminder"`, `appointment_id="42"`)."""
    return {
        "call_sid": call.call_sid,
        "call_id": str(call.pk),
        "token": call.stream_token,
        "engine": call.engine or settings.VOICE_ENGINE,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        **extra,
    }


def stream_twiml(
    request: HttpRequest, call: Call, *, transfer_number: str | None = None, **extra: str
) -> str:
    """The <Connect><Stream> document for `call`, with the apology-and-transfer fallback after it."""
    # The origin Twilio reached us at: where the live call tells Twilio to report its recording.
    origin = settings.PUBLIC_BASE_URL or f"https://{request.get_host()}"
    return twiml.connect_stream(
        stream_url(request),
        stream_parameters(call, origin=origin, **extra),
        transfer_number=settings.TRANSFER_PHONE_NUMBER if transfer_number is None else transfer_number,
    )
