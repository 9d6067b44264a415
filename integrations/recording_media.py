"""Twilio call recordings from a worker: download the audio, delete Twilio's copy.

Part of the Twilio adapter (see integrations.telephony, the only other module that talks to Twilio).
The media URL is built here from the recording SID and our account, never taken from a webhook, so a
forged callback cannot make us send the account's credentials anywhere else.
"""

import logging
import re
from typing import BinaryIO

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException

from integrations.errors import ProviderError, status_is_permanent
from integrations.telephony import PROVIDER, _as_provider_error, _sync_client

logger = logging.getLogger(__name__)

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
TWILIO_API = "https://api.twilio.com"
CHUNK = 64 * 1024
# A 4-hour two-channel WAV is about 460 MB; anything larger is not one of our calls.
MAX_BYTES = 600 * 1024 * 1024
MEDIA_TYPE = "audio/wav"


def recording_sid_is_valid(sid: str) -> bool:
    return bool(RECORDING_SID.match(sid or ""))


def _media_url(recording_sid: str) -> str:
    if not recording_sid_is_valid(recording_sid):
        raise ProviderError(f"Not a recording SID: {recording_sid[:40]!r}", permanent=True, provider=PROVIDER)
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise ProviderError("Telephony is not configured", permanent=True, provider=PROVIDER)
    base = settings.TWILIO_API_BASE_URL or TWILIO_API
    return f"{base}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Recordings/{recording_sid}.wav"


def recording_download(recording_sid: str, into: BinaryIO, *, max_bytes: int = MAX_BYTES) -> tuple[str, int]:
    """Write the recording's two-channel WAV into `into` (streamed, bounded by `max_bytes` and the
    TWILIO_HTTP_TIMEOUT per read). Returns (content type, size). ProviderError on any failure."""
    url = _media_url(recording_sid)
    timeout = settings.TWILIO_HTTP_TIMEOUT
    size = 0
    try:
        with requests.get(
            url,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            stream=True,
            timeout=(timeout, timeout),
        ) as response:
            if response.status_code != 200:
                raise ProviderError(
                    f"Twilio could not give the recording {recording_sid}: HTTP {response.status_code}",
                    permanent=status_is_permanent(response.status_code),
                    provider=PROVIDER,
                )
            content_type = response.headers.get("Content-Type", MEDIA_TYPE).split(";")[0].strip()
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError(
                        f"The recording {recording_sid} is larger than {max_bytes} bytes",
                        permanent=True,
                        provider=PROVIDER,
                    )
                into.write(chunk)
    except ProviderError:
        raise
    except requests.RequestException as exc:
        raise ProviderError(
            f"Twilio could not give the recording {recording_sid}: {exc!r}",
            permanent=False,
            provider=PROVIDER,
        ) from exc
    if not content_type.startswith("audio/"):
        raise ProviderError(
            f"Twilio answered the recording {recording_sid} with {content_type[:40]!r}, not audio",
            permanent=False,
            provider=PROVIDER,
        )
    logger.info("recording %s downloaded: %d bytes", recording_sid, size)
    return content_type, size


def recording_delete(recording_sid: str) -> bool:
    """Delete Twilio's copy of a recording. False (not an error) when it was already gone."""
    if not recording_sid_is_valid(recording_sid):
        raise ProviderError(f"Not a recording SID: {recording_sid[:40]!r}", permanent=True, provider=PROVIDER)
    try:
        _sync_client().recordings(recording_sid).delete()
    except TwilioException as exc:
        if getattr(exc, "status", None) == 404:
            logger.info("recording %s was already deleted at Twilio", recording_sid)
            return False
        raise _as_provider_error(exc, "delete the recording") from exc
    except Exception as exc:
        raise _as_provider_error(exc, "delete the recording") from exc
    logger.info("recording %s deleted at Twilio", recording_sid)
    return True
