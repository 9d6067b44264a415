"""Is this HTTP request really from Twilio? (X-Twilio-Signature, protocols.md §1.5)"""

import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def public_url(request: HttpRequest) -> str:
    """The URL Twilio called, which is what it signed: PUBLIC_BASE_URL + path and query when set
    (behind a proxy the request's own idea of its host and scheme is often wrong), else the request's."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def twilio_request_is_authentic(request: HttpRequest) -> bool:
    """True when X-Twilio-Signature matches the URL and every POST parameter.

    settings.TWILIO_VALIDATE_SIGNATURES=False turns the check off, but only with DEBUG on, so a
    production deployment can never accept unsigned webhooks by a stray setting.
    """
    if settings.DEBUG and not settings.TWILIO_VALIDATE_SIGNATURES:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        logger.warning("webhook %s refused: no X-Twilio-Signature header", request.path)
        return False
    try:
        # Imported here: the adapter is the only code that imports the twilio SDK.
        from integrations.telephony import signature_is_valid

        valid = signature_is_valid(public_url(request), request.POST, signature)
    except Exception:
        # A misconfiguration (no auth token) must refuse the request, not crash with a 500.
        logger.exception("webhook %s refused: the signature could not be checked", request.path)
        return False
    if not valid:
        logger.warning(
            "webhook %s refused: X-Twilio-Signature does not match %s", request.path, public_url(request)
        )
    return valid
