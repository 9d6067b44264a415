"""Twilio adapter for the set-up check: is the account usable, where does the shop's number send its
webhooks, can the number text US phones (A2P 10DLC), and pointing the number at this server.

Blocking (the set-up page runs these in worker threads, each bounded by `timeout`). Only this module and
integrations.telephony import `twilio`. TWILIO_API_BASE_URL, when set, replaces the origin of both REST
domains used here (`api` and `messaging`), so tests point the real SDK at a fake server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from crm.phones import mask_phone
from integrations.errors import ProviderError, status_is_permanent

logger = logging.getLogger(__name__)
# The SDK logs every request's query at INFO, phone numbers included: ours keeps only its warnings.
_sdk_logger = logging.getLogger(f"{__name__}.sdk")
_sdk_logger.setLevel(logging.WARNING)

PROVIDER = "twilio"
# A shop has a handful of Messaging Services; looking further would cost a request per service.
MAX_MESSAGING_SERVICES = 20
# Twilio's campaign states (UsAppToPerson campaign_status); only VERIFIED lets texts reach US phones.
CAMPAIGN_VERIFIED = "VERIFIED"


@dataclass(frozen=True)
class NumberWebhooks:
    """Where one of the account's numbers sends calls, call status and texts."""

    sid: str
    phone_number: str
    voice_url: str
    voice_method: str
    status_callback: str
    sms_url: str
    sms_method: str


@dataclass(frozen=True)
class TextingRegistration:
    """The number's US texting registration: the Messaging Service holding it (None: in none) and the
    states of that service's A2P campaigns (empty: no campaign registered)."""

    messaging_service_sid: str | None
    campaign_statuses: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        return CAMPAIGN_VERIFIED in self.campaign_statuses


def _client(timeout: float) -> Client:
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise ProviderError("Telephony is not configured", permanent=True, provider=PROVIDER)
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=timeout, max_retries=0, logger=_sdk_logger),
    )
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL
        client.messaging.base_url = settings.TWILIO_API_BASE_URL
        client.edge = client.region = None
    return client


def _error(exc: BaseException, action: str) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    status = getattr(exc, "status", None)
    if isinstance(exc, TwilioException) and isinstance(status, int):
        detail = getattr(exc, "msg", "") or ""
        return ProviderError(
            f"Twilio could not {action}: HTTP {status}: {detail}".strip(),
            permanent=status_is_permanent(status),
            provider=PROVIDER,
        )
    return ProviderError(
        f"Twilio did not answer to {action} ({type(exc).__name__})", permanent=False, provider=PROVIDER
    )


def refused_credentials(error: ProviderError) -> bool:
    """Whether Twilio said the account SID / auth token are wrong (HTTP 401 or 403)."""
    cause = error.__cause__
    return isinstance(cause, TwilioException) and getattr(cause, "status", None) in (401, 403)


def account_status(*, timeout: float) -> str:
    """The account's status ("active", "suspended", "closed"): one authenticated GET of the account."""
    try:
        account = _client(timeout).api.v2010.accounts(settings.TWILIO_ACCOUNT_SID).fetch()
    except Exception as exc:
        raise _error(exc, "fetch the account") from exc
    return str(account.status or "")


def _webhooks(number: Any) -> NumberWebhooks:
    return NumberWebhooks(
        sid=str(number.sid),
        phone_number=str(number.phone_number or ""),
        voice_url=str(number.voice_url or ""),
        voice_method=str(number.voice_method or ""),
        status_callback=str(number.status_callback or ""),
        sms_url=str(number.sms_url or ""),
        sms_method=str(number.sms_method or ""),
    )


def number_find(phone_number: str, *, timeout: float) -> NumberWebhooks | None:
    """The account's IncomingPhoneNumber `phone_number` (E.164) with its webhook URLs; None when the
    account has no such number."""
    try:
        # The filter also matches partial numbers: keep the exact one.
        found = _client(timeout).incoming_phone_numbers.list(phone_number=phone_number, limit=20)
    except Exception as exc:
        raise _error(exc, "list the account's phone numbers") from exc
    exact = [number for number in found if number.phone_number == phone_number]
    return _webhooks(exact[0]) if exact else None


def number_point(
    sid: str, *, voice_url: str, status_url: str, sms_url: str, timeout: float
) -> NumberWebhooks:
    """Point the number `sid` at our webhooks (POST, with the call-status callback) and return them as
    Twilio now has them. A voice application set on the number would override the URLs: it is cleared."""
    try:
        number = (
            _client(timeout)
            .incoming_phone_numbers(sid)
            .update(
                voice_url=voice_url,
                voice_method="POST",
                status_callback=status_url,
                status_callback_method="POST",
                sms_url=sms_url,
                sms_method="POST",
                voice_application_sid="",
                sms_application_sid="",
            )
        )
    except Exception as exc:
        raise _error(exc, "update the phone number") from exc
    logger.info("twilio number %s pointed at %s", mask_phone(str(number.phone_number or "")), voice_url)
    return _webhooks(number)


def texting_registration(phone_number: str, *, timeout: float) -> TextingRegistration:
    """Which Messaging Service holds `phone_number`, and the A2P 10DLC campaigns registered on it
    (Messaging Services' UsAppToPerson resource). At most MAX_MESSAGING_SERVICES services are searched."""
    try:
        client = _client(timeout)
        for service in client.messaging.v1.services.list(limit=MAX_MESSAGING_SERVICES):
            numbers = client.messaging.v1.services(service.sid).phone_numbers.list(limit=400)
            if any(n.phone_number == phone_number for n in numbers):
                campaigns = client.messaging.v1.services(service.sid).us_app_to_person.list(limit=20)
                statuses = tuple(str(c.campaign_status or "").upper() for c in campaigns)
                return TextingRegistration(str(service.sid), statuses)
    except Exception as exc:
        raise _error(exc, "read the texting registration") from exc
    return TextingRegistration(None)
