"""Google Calendar adapter: Calendar API v3 over REST with google-auth (no google-api-python-client).

This is the only module that imports `google.auth`. Settings read at call time:
GOOGLE_CALENDAR_ID, and either GOOGLE_SERVICE_ACCOUNT_FILE (the calendar shared with the service account)
or GOOGLE_CLIENT_ID/GOOGLE_CLIENT_SECRET/GOOGLE_REFRESH_TOKEN (a user's offline grant). GOOGLE_API_BASE_URL
and GOOGLE_TOKEN_URI point both the REST calls and the token endpoint elsewhere (fake servers in tests).

The client speaks in plain event dicts (Google's JSON). Errors become ProviderError: timeouts, 5xx, 429
and rate-limit 403s are transient; the rest is permanent. Three subclasses name the answers a caller
handles on purpose: EventExists (409 on insert), EventNotFound (404/410), SyncTokenExpired (410 on list).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import google.auth.credentials
import google.auth.exceptions
import google.oauth2.credentials
import requests
from django.conf import settings
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from integrations.errors import ProviderError, status_is_permanent

logger = logging.getLogger(__name__)

PROVIDER = "google"
DEFAULT_API_BASE_URL = "https://www.googleapis.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
SERVICE_PATH = "/calendar/v3"
# Least privilege that covers insert/patch/delete/list of events on a shared calendar.
SCOPES = ("https://www.googleapis.com/auth/calendar.events",)
DEFAULT_TIMEOUT = 10.0
PAGE_SIZE = 250
MAX_PAGES = 200
# 403s Google uses for throttling: waiting helps, unlike a 403 for a calendar we can't access.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class EventExists(ProviderError):
    """Insert with a client-supplied id that is taken (also by a deleted event: ids stay reserved)."""


class EventNotFound(ProviderError):
    """No such event (404), or it was deleted (410)."""


class SyncTokenExpired(ProviderError):
    """Google no longer accepts the sync token (410): list everything again and replace local state."""


@dataclass(frozen=True)
class EventChanges:
    """Every page of one events.list run. `events` includes cancelled ones during incremental sync;
    `next_sync_token` is what to send next time."""

    events: list[dict[str, Any]] = field(default_factory=list)
    next_sync_token: str = ""


def calendar_is_configured() -> bool:
    """Sync is on exactly when a calendar id and one complete set of credentials are present."""
    user_grant = settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET and settings.GOOGLE_REFRESH_TOKEN
    return bool(settings.GOOGLE_CALENDAR_ID and (settings.GOOGLE_SERVICE_ACCOUNT_FILE or user_grant))


def _credentials() -> google.auth.credentials.Credentials:
    token_uri = settings.GOOGLE_TOKEN_URI or DEFAULT_TOKEN_URI
    if settings.GOOGLE_SERVICE_ACCOUNT_FILE:
        try:
            creds = service_account.Credentials.from_service_account_file(
                settings.GOOGLE_SERVICE_ACCOUNT_FILE, scopes=list(SCOPES)
            )
        except (OSError, ValueError) as error:
            raise ProviderError(
                f"Can't read the Google service account file ({type(error).__name__}).",
                permanent=True,
                provider=PROVIDER,
            ) from error
        # The key file carries Google's token_uri; the override must win (tests, proxies).
        return creds.with_token_uri(token_uri) if settings.GOOGLE_TOKEN_URI else creds
    # Built directly: from_authorized_user_info() would force Google's token_uri and ignore the override.
    # No scopes: a refresh token keeps what the user granted, and asking for others fails.
    return google.oauth2.credentials.Credentials(
        token=None,
        refresh_token=settings.GOOGLE_REFRESH_TOKEN,
        token_uri=token_uri,
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
    )


def _api_base() -> str:
    base = (settings.GOOGLE_API_BASE_URL or DEFAULT_API_BASE_URL).rstrip("/")
    return base if base.endswith(SERVICE_PATH) else base + SERVICE_PATH


def _rfc3339(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("Calendar times need a time zone.")
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _error_details(response: requests.Response) -> tuple[str, str]:
    """(reason, message) from Google's JSON error body, tolerating anything else."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return "", response.text[:200]
    if not isinstance(error, dict):
        return str(error), str(error)
    items = error.get("errors") or [{}]
    reason = str(items[0].get("reason", "")) if isinstance(items[0], dict) else ""
    return reason, str(error.get("message", ""))[:300]


class CalendarClient:
    """One authorized session to one calendar (sync; meant for Celery workers). Close it, or use `with`.

    Raises ProviderError(permanent=True) at construction when sync is not configured or the service
    account file can't be read."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not calendar_is_configured():
            raise ProviderError("Google Calendar is not configured", permanent=True, provider=PROVIDER)
        self.timeout = timeout
        self.calendar_id = settings.GOOGLE_CALENDAR_ID
        self._events_url = f"{_api_base()}/calendars/{quote(self.calendar_id, safe='')}/events"
        self._session = AuthorizedSession(_credentials(), refresh_timeout=timeout)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- events ---------------------------------------------------------------------------------------

    def insert_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Create an event. With a client-supplied `id` a retry answers EventExists, never a duplicate."""
        return self._json("insert", "POST", self._events_url, body=event, params={"sendUpdates": "none"})

    def get_event(self, event_id: str) -> dict[str, Any]:
        """The event by id; deleted events come back with status "cancelled"."""
        return self._json("get", "GET", self._event_url(event_id))

    def patch_event(self, event_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change the given fields (nested objects merge, lists are replaced). EventNotFound if unknown."""
        return self._json(
            "patch", "PATCH", self._event_url(event_id), body=changes, params={"sendUpdates": "none"}
        )

    def delete_event(self, event_id: str) -> bool:
        """Delete an event. False when it was already gone (404/410), which callers treat as done."""
        try:
            self._send("delete", "DELETE", self._event_url(event_id), params={"sendUpdates": "none"})
        except EventNotFound:
            return False
        return True

    def list_changes(
        self, *, sync_token: str = "", time_min: datetime | None = None, page_size: int = PAGE_SIZE
    ) -> EventChanges:
        """All events changed since `sync_token` (cancelled ones included), or with no token every live
        event ending after `time_min`: a full sync. Follows every page; recurring events come expanded
        into instances. Raises SyncTokenExpired when Google wants a full sync."""
        params: dict[str, str] = {"singleEvents": "true", "maxResults": str(page_size)}
        if sync_token:
            params["syncToken"] = sync_token  # Google refuses timeMin together with a sync token
        elif time_min is not None:
            params["timeMin"] = _rfc3339(time_min)
        events: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self._json("list", "GET", self._events_url, params=params)
            events.extend(item for item in page.get("items", []) if isinstance(item, dict))
            next_page = page.get("nextPageToken")
            if not next_page:
                return EventChanges(events=events, next_sync_token=str(page.get("nextSyncToken", "")))
            params = {**params, "pageToken": str(next_page)}
        raise ProviderError(
            f"Google Calendar listed more than {MAX_PAGES} pages", permanent=True, provider=PROVIDER
        )

    def probe(self) -> None:
        """One cheap authenticated read (a single event): raises ProviderError when the credentials or
        the calendar are unusable or Google does not answer."""
        self._json("list", "GET", self._events_url, params={"maxResults": "1"})

    # --- transport --------------------------------------------------------------------------------------

    def _event_url(self, event_id: str) -> str:
        return f"{self._events_url}/{quote(event_id, safe='')}"

    def _json(self, op: str, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(op, method, url, **kwargs)
        try:
            data = response.json()
        except ValueError as error:
            raise ProviderError(
                f"Google Calendar {op} answered non-JSON", permanent=False, provider=PROVIDER
            ) from error
        if not isinstance(data, dict):
            raise ProviderError(
                f"Google Calendar {op} answered {type(data).__name__}", permanent=False, provider=PROVIDER
            )
        return data

    def _send(
        self,
        op: str,
        method: str,
        url: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The one choke point: every call and every SDK/transport failure passes through here."""
        try:
            payload = dict(body) if body is not None else None
            response = self._session.request(method, url, params=params, json=payload, timeout=self.timeout)
        except google.auth.exceptions.RefreshError as error:
            # A rejected grant (revoked token, wrong client) is permanent; the SDK marks retryable ones.
            raise ProviderError(
                f"Google sign-in failed: {error.args[0] if error.args else error}",
                permanent=not error.retryable,
                provider=PROVIDER,
            ) from error
        except (google.auth.exceptions.TransportError, requests.RequestException) as error:
            raise ProviderError(
                f"Google Calendar unreachable during {op} ({type(error).__name__})",
                permanent=False,
                provider=PROVIDER,
            ) from error
        if response.status_code < 400:
            return response
        raise self._error(op, response)

    def _error(self, op: str, response: requests.Response) -> ProviderError:
        status = response.status_code
        reason, message = _error_details(response)
        text = f"Google Calendar {op} failed: HTTP {status} {reason or ''} {message}".strip()
        logger.info("google calendar %s answered %s (%s)", op, status, reason)
        if status == 409 and op == "insert":
            return EventExists(text, permanent=True, provider=PROVIDER)
        if status == 410 and op == "list":
            return SyncTokenExpired(text, permanent=True, provider=PROVIDER)
        if status in (404, 410) and op != "list":
            return EventNotFound(text, permanent=True, provider=PROVIDER)
        rate_limited = status == 403 and reason in RATE_LIMIT_REASONS
        return ProviderError(
            text, permanent=status_is_permanent(status) and not rate_limited, provider=PROVIDER
        )
