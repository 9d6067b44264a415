"""Twilio adapter: webhook signatures, TwiML, live-call control, SMS and outbound calls.

This is the only module that imports `twilio`. Settings read at call time: TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER and TWILIO_API_BASE_URL (the SDK has no base-URL option, so the
override is applied to the `api` domain, which serves Calls and Messages), and the optional
TWILIO_HTTP_TIMEOUT (seconds, default 10) for the blocking worker calls.
"""

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from aiohttp.helpers import encode_basic_auth
from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from crm.phones import mask_phone
from integrations.errors import ProviderError, status_is_permanent

logger = logging.getLogger(__name__)

PROVIDER = "twilio"
# 20404: the call resource is gone; 21220: "Call is not in-progress". Either way the call has ended.
CALL_ENDED_CODES = frozenset({20404, 21220})
DEFAULT_TIMEOUT = 10.0


def telephony_is_configured() -> bool:
    """Telephony is on exactly when the account SID, auth token and our phone number are all set."""
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_PHONE_NUMBER)


def signature_is_valid(url: str, params: Mapping[str, Any] | str, signature: str) -> bool:
    """Check `X-Twilio-Signature` for a request Twilio made to `url` (exactly as Twilio called it).

    `params` is the POST form (a Django QueryDict works), `{}` for a GET such as the media-stream
    handshake, or the raw body string for JSON webhooks. False when no auth token is configured.
    """
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(url, params, signature))


# --- TwiML (voice/twiml.py builds every other document; this one is the adapter's own transfer) -------


def _twiml_dial(number: str, *, caller_id: str | None = None, say_first: str | None = None) -> str:
    """TwiML that (optionally says something and) dials `number`: used to transfer a live call."""
    response = VoiceResponse()
    if say_first:
        response.say(say_first)
    dial = Dial(caller_id=caller_id or settings.TWILIO_PHONE_NUMBER or None)
    dial.number(number)
    response.append(dial)
    return str(response)


# --- REST ----------------------------------------------------------------------------------------


def _build_client(http_client: Any) -> Client:
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise ProviderError("Telephony is not configured", permanent=True, provider=PROVIDER)
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL
        # TWILIO_EDGE/TWILIO_REGION in the environment would rewrite the host of the override.
        client.edge = client.region = None
    return client


def _from_number() -> str:
    if not settings.TWILIO_PHONE_NUMBER:
        raise ProviderError("Telephony is not configured", permanent=True, provider=PROVIDER)
    return settings.TWILIO_PHONE_NUMBER


def _twilio_code(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) else None


class CallOutcomeUnknown(ProviderError):
    """`calls.create` was sent but no answer came back (read timeout, connection reset, 5xx): Twilio
    may or may not have placed the call. Never redial on this alone; look with `find_calls` first."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False, provider=PROVIDER)


def _request_never_sent(exc: BaseException) -> bool:
    """True only when the HTTP request provably never reached Twilio (no connection was made)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        # urllib3 wraps "could not connect" (refused, DNS) in NewConnectionError; a reset or an
        # aborted connection *after* sending surfaces as a ProtocolError instead.
        return "NewConnectionError" in repr(exc) or "NameResolutionError" in repr(exc)
    return False


# A phone number in Twilio's words ("Invalid 'To' Phone Number: +13125550147"), with or without its "+".
_PHONE_IN_TEXT = re.compile(r"(?<!\w)\+?\d{10,15}\b")  # not the digits inside a SID ("CA0123…")


def _without_phone_numbers(text: str) -> str:
    """Twilio's error text with any phone number cut to its last four digits: the message is logged
    and kept on records, and full numbers never go into logs."""
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def _as_provider_error(exc: BaseException, action: str) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TwilioException) and isinstance(getattr(exc, "status", None), int):
        status: int = exc.status  # type: ignore[attr-defined]
        detail = getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", "")
        detail = _without_phone_numbers(str(detail))
        return ProviderError(
            f"Twilio could not {action}: HTTP {status}, code {_twilio_code(exc)}: {detail}",
            permanent=status_is_permanent(status),
            provider=PROVIDER,
        )
    if isinstance(exc, TimeoutError):
        return ProviderError(f"Twilio did not answer in time to {action}", permanent=False, provider=PROVIDER)
    return ProviderError(f"Twilio could not {action}: {exc!r}", permanent=False, provider=PROVIDER)


class _AsyncHttpClient(AsyncTwilioHttpClient):
    """aiohttp deprecates its BasicAuth objects (removed in aiohttp 4): send the header ourselves."""

    async def request(self, method: str, url: str, *args: Any, auth: Any = None, **kwargs: Any) -> Any:
        if auth is not None:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": encode_basic_auth(*auth)}
        return await super().request(method, url, *args, **kwargs)


class TelephonyClient:
    """Async Twilio client for the live-call path (uses the SDK's aiohttp-based AsyncTwilioHttpClient).

    Create it inside the event loop that will use it (one per call session is fine) and `await aclose()`
    when done, or use `async with TelephonyClient() as phone:`. Every failure is a ProviderError.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT):
        self._timeout = timeout
        self._http: _AsyncHttpClient | None = None
        self._client: Client | None = None

    def _get_client(self) -> Client:
        if self._client is None:
            self._http = _AsyncHttpClient()
            try:
                self._client = _build_client(self._http)
            except ProviderError:
                self._http = None
                raise
        return self._client

    async def _run(self, action: str, operation: Any) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await operation(self._get_client())
        except Exception as exc:
            raise _as_provider_error(exc, action) from exc

    async def update_call_twiml(self, call_sid: str, twiml: str) -> None:
        """Replace what a live call is doing with `twiml` (interrupts its `<Connect><Stream>`).

        Raises ProviderError(permanent=True) when the call has already ended.
        """
        await self._run("update the call", lambda c: c.calls(call_sid).update_async(twiml=twiml))
        logger.info("call %s: TwiML updated", call_sid)

    async def transfer(self, call_sid: str, to_number: str, *, say_first: str | None = None) -> None:
        """Transfer a live call to `to_number` with a `<Dial>` (caller ID: our Twilio number)."""
        await self.update_call_twiml(call_sid, _twiml_dial(to_number, say_first=say_first))
        logger.info("call %s: transferred to %s", call_sid, mask_phone(to_number))

    async def hang_up(self, call_sid: str) -> bool:
        """End a live call. Returns False (not an error) when it had already ended (20404 / 21220)."""
        try:
            await self._run("hang up", lambda c: c.calls(call_sid).update_async(status="completed"))
        except ProviderError as exc:
            if _twilio_code(exc.__cause__) in CALL_ENDED_CODES:
                logger.info("call %s: already ended before hang-up", call_sid)
                return False
            raise
        logger.info("call %s: hung up", call_sid)
        return True

    async def send_sms(self, to: str, body: str) -> str:
        """Send an SMS from our Twilio number; returns the message SID."""

        async def send(client: Client) -> Any:
            return await client.messages.create_async(to=to, from_=_from_number(), body=body)

        message = await self._run("send the text message", send)
        logger.info("SMS %s sent to %s", message.sid, mask_phone(to))
        return str(message.sid)

    async def start_recording(self, call_sid: str, *, status_callback: str) -> str:
        """Start recording a live call, both sides on two channels; Twilio posts to `status_callback`
        when the recording is complete. Returns the recording SID."""

        async def start(client: Client) -> Any:
            return await client.calls(call_sid).recordings.create_async(
                recording_channels="dual",
                recording_status_callback=status_callback,
                recording_status_callback_event=["completed", "absent"],
                recording_status_callback_method="POST",
            )

        recording = await self._run("start recording", start)
        logger.info("call %s: recording %s started", call_sid, recording.sid)
        return str(recording.sid)

    async def stop_recording(self, call_sid: str, recording_sid: str) -> bool:
        """Stop a call's recording. False (not an error) when the call or recording had already ended."""
        try:
            await self._run(
                "stop recording",
                lambda c: c.calls(call_sid).recordings(recording_sid).update_async(status="stopped"),
            )
        except ProviderError as exc:
            if (
                _twilio_code(exc.__cause__) in CALL_ENDED_CODES
                or getattr(exc.__cause__, "status", None) == 404
            ):
                return False
            raise
        logger.info("call %s: recording %s stopped", call_sid, recording_sid)
        return True

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = self._client = None

    async def __aenter__(self) -> "TelephonyClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _sync_client() -> Client:
    return _build_client(TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT))


def _create_failure(exc: BaseException) -> ProviderError:
    """Classify a failed `calls.create`: refused by Twilio (it said so), never sent, or unknown."""
    error = _as_provider_error(exc, "place the call")
    if error.permanent or isinstance(exc, ProviderError) or _request_never_sent(exc):
        return error
    if isinstance(exc, TwilioException) and getattr(exc, "status", None) == 429:
        return error  # rate limited: Twilio refused the request, nothing was created
    return CallOutcomeUnknown(f"{error.message} (the call may have been placed)")


def create_call(
    to: str,
    url: str,
    status_callback: str,
    *,
    machine_detection: str | None = "DetectMessageEnd",
    async_amd_status_callback: str | None = None,
    status_callback_events: Sequence[str] = ("answered", "completed"),
    ring_timeout: int | None = None,
) -> str:
    """Place an outbound call (blocking; for workers). Twilio fetches TwiML from `url` once answered.

    `machine_detection` is "Enable", "DetectMessageEnd" (default: lets a voicemail be left after the
    beep) or None. With `async_amd_status_callback` the AMD result is posted there instead of
    delaying `url`. Returns the call SID.
    """
    try:
        call = _sync_client().calls.create(
            to=to,
            from_=_from_number(),
            url=url,
            status_callback=status_callback,
            status_callback_event=list(status_callback_events),
            machine_detection=machine_detection,
            async_amd="true" if async_amd_status_callback else None,
            async_amd_status_callback=async_amd_status_callback,
            timeout=ring_timeout,
        )
    except Exception as exc:
        raise _create_failure(exc) from exc
    logger.info("call %s: dialing %s", call.sid, mask_phone(to))
    return str(call.sid)


@dataclass(frozen=True)
class PlacedCall:
    """One call from Twilio's Calls list, as much as reconciling an attempt needs."""

    sid: str
    status: str
    created_at: datetime | None
    answered_by: str = ""


# The Calls list filters on To, From, ParentCallSid, Status, StartTime and EndTime only (no
# DateCreated), and StartTime is empty until a queued call is dialled, so filter by time here.
FIND_CALLS_LIMIT = 50


def find_calls(to: str, *, created_after: datetime) -> list[PlacedCall]:
    """Calls from our number to `to` created at or after `created_after`, oldest first (blocking).

    Used to learn whether a `calls.create` whose answer was lost placed a call after all.
    """
    try:
        calls = _sync_client().calls.list(to=to, from_=_from_number(), limit=FIND_CALLS_LIMIT)
    except Exception as exc:
        raise _as_provider_error(exc, "list calls") from exc
    found = [
        PlacedCall(str(c.sid), str(c.status or ""), c.date_created, str(c.answered_by or ""))
        for c in calls
        if isinstance(c.date_created, datetime) and c.date_created >= created_after
    ]
    return sorted(found, key=lambda c: (c.created_at, c.sid))


def send_sms_sync(to: str, body: str) -> str:
    """Blocking twin of `TelephonyClient.send_sms` for workers; returns the message SID."""
    try:
        message = _sync_client().messages.create(to=to, from_=_from_number(), body=body)
    except Exception as exc:
        raise _as_provider_error(exc, "send the text message") from exc
    logger.info("SMS %s sent to %s", message.sid, mask_phone(to))
    return str(message.sid)
