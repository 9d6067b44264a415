"""Fake Google: the OAuth token endpoint and the slice of Calendar API v3 our calendar adapter uses.

Point the real google-auth client at it with GOOGLE_TOKEN_URI = fake.token_uri and GOOGLE_API_BASE_URL =
fake.http_url (`fake.configure(settings)` does both, for the user refresh-token grant). The token endpoint
answers the refresh_token grant and the service-account jwt-bearer grant (the RS256 assertion is checked
against a key registered with `trust_service_account`). Events behave like Google's: client-supplied ids
(base32hex, 5–1024 chars) stay reserved after deletion (insert → 409), a second delete → 410, list pages
with pageToken, answers changes since a syncToken (cancelled ones included) and 410 once tokens expire.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.server import FakeServer

CALENDAR_ID = "service-desk@group.calendar.google.com"
CLIENT_ID = "fake-client.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "1//fake-refresh-token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always addresses the assertion to Google's endpoint, whatever token_uri it posts to.
JWT_AUDIENCE = "https://oauth2.googleapis.com/token"
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
NOT_WITH_SYNC_TOKEN = ("timeMin", "timeMax", "orderBy", "q", "updatedMin", "privateExtendedProperty")


@dataclass
class GoogleRequest:
    op: str
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    authorization: str


@dataclass
class ScriptedFailure:
    op: str
    status: int = 503
    reason: str = "backendError"
    message: str = "Backend Error"
    lose_response: bool = False  # do the work, then drop the connection before answering


@dataclass
class _Listing:
    remaining: list[dict[str, Any]] = field(default_factory=list)
    sync_seq: int = 0


class FakeGoogle(FakeServer):
    def __init__(self, *, calendar_id: str = CALENDAR_ID, page_size: int = 250) -> None:
        super().__init__()
        self.calendar_id = calendar_id
        self.page_size = page_size
        self.events: dict[str, dict[str, Any]] = {}
        self.requests: list[GoogleRequest] = []
        self.token_requests: list[dict[str, str]] = []
        self.access_tokens: set[str] = set()
        self.service_accounts: dict[str, rsa.RSAPublicKey] = {}
        self.failures: list[ScriptedFailure] = []
        self._changed: dict[str, int] = {}
        self._seq = 0
        self._token_floor = 0
        self._listings: dict[str, _Listing] = {}
        self._before_answer: dict[str, Callable[[], None]] = {}
        self._ids = itertools.count(1)

    @property
    def token_uri(self) -> str:
        return f"{self.http_url}/token"

    def configure(self, settings: Any) -> None:
        """Point Django settings at this fake with the user refresh-token grant."""
        settings.GOOGLE_CALENDAR_ID = self.calendar_id
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""
        settings.GOOGLE_CLIENT_ID = CLIENT_ID
        settings.GOOGLE_CLIENT_SECRET = CLIENT_SECRET
        settings.GOOGLE_REFRESH_TOKEN = REFRESH_TOKEN
        settings.GOOGLE_API_BASE_URL = self.http_url
        settings.GOOGLE_TOKEN_URI = self.token_uri

    def routes(self) -> list[web.RouteDef]:
        events = "/calendar/v3/calendars/{calendar}/events"
        return [
            web.post("/token", self._token),
            web.post(events, self._insert),
            web.get(events, self._list),
            web.get(events + "/{event_id}", self._get),
            web.patch(events + "/{event_id}", self._patch),
            web.delete(events + "/{event_id}", self._delete),
        ]

    # --- scripting (what a person or an outage does on Google's side) -----------------------------------

    def trust_service_account(self, email: str, public_key: rsa.RSAPublicKey) -> None:
        self.service_accounts[email] = public_key

    def fail_next(self, op: str, status: int = 503, reason: str = "backendError", message: str = "") -> None:
        """The next `op` ("token", "insert", "get", "patch", "delete", "list") answers an error."""
        self.failures.append(ScriptedFailure(op, status, reason, message or f"{reason} ({status})"))

    def lose_next_response(self, op: str) -> None:
        """The next `op` takes effect, then the connection drops: the client never sees the answer."""
        self.failures.append(ScriptedFailure(op, lose_response=True))

    def before_next_answer(self, op: str, action: Callable[[], None]) -> None:
        """Run `action` (sync, in a worker thread) after the next `op` took effect, before answering:
        something that happens while the client waits, e.g. the booking changing under a push."""
        self._before_answer[op] = action

    def expire_sync_tokens(self) -> None:
        """Every sync token handed out so far answers 410 (Google does this now and then)."""
        with self.lock:
            self._token_floor = self._seq + 1

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def add_event(
        self,
        summary: str,
        start: datetime | date,
        end: datetime | date,
        *,
        transparency: str | None = None,
        private: dict[str, str] | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """An event created in Google's own UI (not by us unless `private` carries our property)."""
        body: dict[str, Any] = {"summary": summary, "start": _when(start), "end": _when(end)}
        if transparency:
            body["transparency"] = transparency
        if private:
            body["extendedProperties"] = {"private": private}
        with self.lock:
            return copy.deepcopy(self._store_new(event_id or uuid.uuid4().hex, body))

    def change_event(self, event_id: str, **changes: Any) -> None:
        with self.lock:
            self._merge(event_id, changes)

    def cancel_event(self, event_id: str) -> None:
        self.change_event(event_id, status="cancelled")

    def live_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events.values() if e["status"] != "cancelled"]

    def requests_for(self, op: str) -> list[GoogleRequest]:
        with self.lock:
            return [r for r in self.requests if r.op == op]

    # --- token endpoint --------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        with self.lock:
            self.token_requests.append(form)
        if failure := self._take_failure("token"):
            return _oauth_error(failure.status, failure.reason, failure.message)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
            if form.get("refresh_token") != REFRESH_TOKEN:
                return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        elif grant == JWT_BEARER:
            if problem := self._assertion_problem(form.get("assertion", "")):
                return _oauth_error(400, "invalid_grant", problem)
        else:
            return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        token = f"ya29.fake-{next(self._ids)}"
        with self.lock:
            self.access_tokens.add(token)
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        if form.get("scope"):
            answer["scope"] = form["scope"]
        return web.json_response(answer)

    def _assertion_problem(self, assertion: str) -> str | None:
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header, claims = json.loads(_b64(header_b64)), json.loads(_b64(payload_b64))
            key = self.service_accounts.get(claims.get("iss", ""))
            if header.get("alg") != "RS256" or key is None:
                return "Invalid JWT: unknown service account or algorithm."
            signed = f"{header_b64}.{payload_b64}".encode()
            key.verify(_b64(signature_b64), signed, padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return "Invalid JWT Signature."
        if claims.get("aud") != JWT_AUDIENCE or claims.get("exp", 0) < time.time() or not claims.get("scope"):
            return "Invalid JWT: audience, expiry or scope."
        return None

    # --- Calendar v3 -------------------------------------------------------------------------------------

    async def _insert(self, request: web.Request) -> web.StreamResponse:
        recorded, refusal = await self._begin(request, "insert")
        if refusal is not None:
            return refusal
        body = recorded.body or {}
        event_id = str(body.get("id") or uuid.uuid4().hex)
        if not EVENT_ID.match(event_id):
            return _api_error(400, "invalid", "Invalid resource id value.")
        if "start" not in body or "end" not in body:
            return _api_error(400, "required", "Missing end time." if "start" in body else "Missing start.")
        with self.lock:
            if event_id in self.events:
                return _api_error(409, "duplicate", "The requested identifier already exists.")
            event = copy.deepcopy(self._store_new(event_id, body))
        return await self._answer(request, "insert", event)

    async def _get(self, request: web.Request) -> web.StreamResponse:
        _, refusal = await self._begin(request, "get")
        if refusal is not None:
            return refusal
        with self.lock:
            event = copy.deepcopy(self.events.get(request.match_info["event_id"]))
        if event is None:
            return _api_error(404, "notFound", "Not Found")
        return await self._answer(request, "get", event)

    async def _patch(self, request: web.Request) -> web.StreamResponse:
        recorded, refusal = await self._begin(request, "patch")
        if refusal is not None:
            return refusal
        with self.lock:
            event = self._merge(request.match_info["event_id"], recorded.body or {})
        if event is None:
            return _api_error(404, "notFound", "Not Found")
        return await self._answer(request, "patch", event)

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        _, refusal = await self._begin(request, "delete")
        if refusal is not None:
            return refusal
        event_id = request.match_info["event_id"]
        with self.lock:
            event = self.events.get(event_id)
            if event is None:
                return _api_error(404, "notFound", "Not Found")
            if event["status"] == "cancelled":
                return _api_error(410, "deleted", "Resource has been deleted")
            self._merge(event_id, {"status": "cancelled"})
        return await self._answer(request, "delete", None)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        recorded, refusal = await self._begin(request, "list")
        if refusal is not None:
            return refusal
        query = recorded.query
        with self.lock:
            listing = self._listings.pop(query["pageToken"], None) if "pageToken" in query else None
            if "pageToken" in query and listing is None:
                return _api_error(400, "invalid", "Invalid page token value.")
            if listing is None:
                listing = self._start_listing(query)
                if isinstance(listing, web.Response):
                    return listing
            size = min(int(query.get("maxResults", 250)), self.page_size)
            page, rest = listing.remaining[:size], listing.remaining[size:]
            answer: dict[str, Any] = {"kind": "calendar#events", "items": copy.deepcopy(page)}
            if rest:
                token = f"fake-page-{next(self._ids)}"
                self._listings[token] = _Listing(rest, listing.sync_seq)
                answer["nextPageToken"] = token
            else:
                answer["nextSyncToken"] = f"fake-sync-{listing.sync_seq}"
        return await self._answer(request, "list", answer)

    def _start_listing(self, query: dict[str, str]) -> _Listing | web.Response:
        ordered = sorted(self.events.values(), key=lambda e: self._changed[e["id"]])
        if "syncToken" in query:
            if any(name in query for name in NOT_WITH_SYNC_TOKEN):
                return _api_error(400, "invalid", "Sync token cannot be combined with these filters.")
            match = re.fullmatch(r"fake-sync-(\d+)", query["syncToken"])
            if match is None or int(match[1]) < self._token_floor:
                return _api_error(
                    410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
                )
            since = int(match[1])
            chosen = [e for e in ordered if self._changed[e["id"]] > since]
        else:
            show_deleted = query.get("showDeleted") == "true"
            chosen = [e for e in ordered if show_deleted or e["status"] != "cancelled"]
            if "timeMin" in query:
                time_min = datetime.fromisoformat(query["timeMin"])
                chosen = [e for e in chosen if _instant(e["end"]) > time_min]
            if "timeMax" in query:
                time_max = datetime.fromisoformat(query["timeMax"])
                chosen = [e for e in chosen if _instant(e["start"]) < time_max]
        return _Listing(chosen, self._seq)

    # --- plumbing -----------------------------------------------------------------------------------------

    def _store_new(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        now = _now()
        event = {
            "kind": "calendar#event",
            "status": "confirmed",
            "created": now,
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            **copy.deepcopy(body),
            "id": event_id,
            "updated": now,
        }
        self.events[event_id] = event
        self._touch(event_id)
        return event

    def _merge(self, event_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        event = self.events.get(event_id)
        if event is None:
            return None
        _deep_merge(event, {k: v for k, v in changes.items() if k != "id"})
        event["updated"] = _now()
        event["sequence"] = int(event.get("sequence", 0)) + 1
        self._touch(event_id)
        return copy.deepcopy(event)

    def _touch(self, event_id: str) -> None:
        self._seq += 1
        self._changed[event_id] = self._seq
        self.events[event_id]["etag"] = f'"{self._seq}"'

    async def _begin(self, request: web.Request, op: str) -> tuple[GoogleRequest, web.Response | None]:
        raw = await request.read()
        recorded = GoogleRequest(
            op=op,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=json.loads(raw) if raw else None,
            authorization=request.headers.get("Authorization", ""),
        )
        with self.lock:
            self.requests.append(recorded)
            authorized = recorded.authorization.removeprefix("Bearer ") in self.access_tokens
        if not authorized:
            return recorded, _api_error(401, "authError", "Request had invalid authentication credentials.")
        if request.match_info["calendar"] != self.calendar_id:
            return recorded, _api_error(404, "notFound", "Not Found")
        failure = self._peek_failure(op)
        if failure is not None and not failure.lose_response:
            self._take_failure(op)
            return recorded, _api_error(failure.status, failure.reason, failure.message)
        return recorded, None

    async def _answer(self, request: web.Request, op: str, body: dict[str, Any] | None) -> web.StreamResponse:
        if action := self._before_answer.pop(op, None):
            await asyncio.get_running_loop().run_in_executor(None, action)
        failure = self._peek_failure(op)
        if failure is not None and failure.lose_response:
            self._take_failure(op)
            assert request.transport is not None
            request.transport.close()
            raise web.HTTPServiceUnavailable()  # never reaches the client: the socket is gone
        if body is None:
            return web.Response(status=204)
        return web.json_response(body)

    def _peek_failure(self, op: str) -> ScriptedFailure | None:
        with self.lock:
            return next((f for f in self.failures if f.op == op), None)

    def _take_failure(self, op: str) -> ScriptedFailure | None:
        with self.lock:
            for index, failure in enumerate(self.failures):
                if failure.op == op:
                    return self.failures.pop(index)
        return None


def _when(value: datetime | date) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"dateTime": value.isoformat()}
    return {"date": value.isoformat()}


def _instant(when: dict[str, str]) -> datetime:
    if "dateTime" in when:
        return datetime.fromisoformat(when["dateTime"])
    return datetime.combine(date.fromisoformat(when["date"]), datetime.min.time(), tzinfo=UTC)


def _deep_merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _api_error(status: int, reason: str, message: str) -> web.Response:
    body = {
        "error": {
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "code": status,
            "message": message,
        }
    }
    return web.json_response(body, status=status)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
