"""Fake Twilio REST API: the Calls and Messages endpoints our telephony adapter uses, and what the set-up
check reads and writes: the account, its IncomingPhoneNumbers (holding PHONE_NUMBER, no webhooks set) and
the Messaging Services with their phone numbers and A2P 10DLC campaigns (`add_messaging_service`).

Point the adapter at it with `TWILIO_API_BASE_URL = fake.http_url`. Requests are recorded with their
form bodies; a call SID can be made to answer like a call that already ended. Created calls are kept
and listed by `GET Calls.json` (To/From filters, newest first); `lose_next_create_response()` makes a
create place the call but never answer in time (or drop the connection), as a flaky network would.
"""

import base64
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web

from tests.fakes.server import FakeServer

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-token"
PHONE_NUMBER = "+13125550100"
NUMBER_SID = "PN" + "1" * 32


def _number_row(phone_number: str) -> dict[str, str]:
    """A number as bought: no webhooks set yet."""
    keys = ("voice_url", "voice_method", "status_callback", "status_callback_method", "sms_url", "sms_method")
    return {
        "phone_number": phone_number,
        **dict.fromkeys(keys, ""),
        "voice_application_sid": "",
        "sms_application_sid": "",
    }


@dataclass
class TwilioRequest:
    method: str
    path: str
    form: dict[str, list[str]]
    auth: tuple[str, str] | None

    def value(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeCall:
    sid: str
    to: str | None
    from_: str | None
    created_at: datetime
    status: str = "queued"
    form: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ScriptedError:
    status: int
    code: int
    message: str


class FakeTwilio(FakeServer):
    def __init__(self, *, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[TwilioRequest] = []
        self.call_errors: dict[str, ScriptedError] = {}
        self.next_errors: list[ScriptedError] = []
        self.calls: list[FakeCall] = []
        # Each entry: seconds to stall after creating the call (None: drop the connection instead).
        self.lost_create_responses: list[float | None] = []
        self._ids = itertools.count(1)
        self.account_status = "active"
        self.numbers: dict[str, dict[str, str]] = {NUMBER_SID: _number_row(PHONE_NUMBER)}
        # Messaging Service SID -> (its phone numbers, its A2P campaigns' campaign_status values)
        self.messaging_services: dict[str, tuple[list[str], list[str]]] = {}

    def routes(self) -> list[web.RouteDef]:
        prefix = "/2010-04-01/Accounts/{account}"
        return [
            web.post(prefix + "/Calls.json", self._create_call),
            web.get(prefix + "/Calls.json", self._list_calls),
            web.post(prefix + "/Calls/{call_sid}.json", self._update_call),
            web.post(prefix + "/Messages.json", self._create_message),
            web.get("/2010-04-01/Accounts/{account}.json", self._fetch_account),
            web.get(prefix + "/IncomingPhoneNumbers.json", self._list_numbers),
            web.post(prefix + "/IncomingPhoneNumbers/{number_sid}.json", self._update_number),
            web.get("/v1/Services", self._list_services),
            web.get("/v1/Services/{service}/PhoneNumbers", self._list_service_numbers),
            web.get("/v1/Services/{service}/Compliance/Usa2p", self._list_campaigns),
        ]

    # --- scripting ------------------------------------------------------------------------------

    def end_call(self, call_sid: str) -> None:
        """From now on, updates to `call_sid` answer 404 / 20404 as for a call that has ended."""
        self.call_errors[call_sid] = ScriptedError(
            404,
            20404,
            f"The requested resource /2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}.json"
            " was not found",
        )

    def call_not_in_progress(self, call_sid: str) -> None:
        self.call_errors[call_sid] = ScriptedError(400, 21220, "Call is not in-progress. Cannot redirect.")

    def fail_next(
        self, status: int, code: int = 20500, message: str = "An internal server error has occurred"
    ) -> None:
        self.next_errors.append(ScriptedError(status, code, message))

    def lose_next_create_response(self, *, stall: float | None = 5.0) -> None:
        """The next call create places the call, then stalls `stall` seconds before answering (past
        the client's timeout), or with `stall=None` closes the connection without answering."""
        self.lost_create_responses.append(stall)

    def set_call_status(self, call_sid: str, status: str) -> None:
        for call in self.calls:
            if call.sid == call_sid:
                call.status = status

    def add_messaging_service(self, numbers: list[str], campaign_statuses: list[str]) -> str:
        """A Messaging Service holding `numbers`, with one A2P campaign per status ("VERIFIED", ...)."""
        sid = f"MG{next(self._ids):032d}"
        with self.lock:
            self.messaging_services[sid] = (numbers, campaign_statuses)
        return sid

    def requests_to(self, suffix: str, method: str = "POST") -> list[TwilioRequest]:
        return [r for r in self.requests if r.path.endswith(suffix) and r.method == method]

    # --- handlers ---------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> TwilioRequest:
        form: dict[str, list[str]] = {}
        for key, value in (await request.post()).items():
            form.setdefault(key, []).append(str(value))
        if request.method == "GET":
            for key, value in request.query.items():
                form.setdefault(key, []).append(value)
        recorded = TwilioRequest(request.method, request.path, form, _basic_auth(request))
        with self.lock:
            self.requests.append(recorded)
        return recorded

    def _refusal(self, recorded: TwilioRequest, call_sid: str | None = None) -> web.Response | None:
        if recorded.auth != (self.account_sid, self.auth_token):
            return _error(ScriptedError(401, 20003, "Authenticate"))
        if self.next_errors:
            return _error(self.next_errors.pop(0))
        if call_sid and call_sid in self.call_errors:
            return _error(self.call_errors[call_sid])
        return None

    async def _create_call(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        sid = f"CA{next(self._ids):032d}"
        call = FakeCall(
            sid, recorded.value("To"), recorded.value("From"), datetime.now(UTC), form=recorded.form
        )
        with self.lock:
            self.calls.append(call)
            lost = self.lost_create_responses.pop(0) if self.lost_create_responses else False
        if lost is None:
            assert request.transport is not None
            request.transport.close()  # the call exists; the client sees a reset connection
        elif lost:
            await self.pause(lost)
        return web.json_response(self._call_json(sid, recorded, "queued", call), status=201)

    async def _list_calls(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        to, from_ = recorded.value("To"), recorded.value("From")
        with self.lock:
            calls = [c for c in self.calls if (not to or c.to == to) and (not from_ or c.from_ == from_)]
        page_size = int(recorded.value("PageSize") or 50)
        rows = [self._listed_call(c) for c in reversed(calls)][:page_size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Calls.json?PageSize={page_size}&Page=0"
        body = {
            "calls": rows,
            "page": 0,
            "page_size": page_size,
            "start": 0,
            "end": max(len(rows) - 1, 0),
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
        }
        return web.json_response(body)

    def _listed_call(self, call: FakeCall) -> dict[str, object]:
        return {
            "sid": call.sid,
            "account_sid": self.account_sid,
            "to": call.to,
            "from": call.from_,
            "status": call.status,
            "direction": "outbound-api",
            "date_created": format_datetime(call.created_at, usegmt=True),
            "start_time": None,
            "answered_by": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{call.sid}.json",
        }

    async def _update_call(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        call_sid = request.match_info["call_sid"]
        if refusal := self._refusal(recorded, call_sid):
            return refusal
        status = recorded.value("Status") or "in-progress"
        return web.json_response(self._call_json(call_sid, recorded, status))

    async def _create_message(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        sid = f"SM{next(self._ids):032d}"
        body = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": recorded.value("To"),
            "from": recorded.value("From"),
            "body": recorded.value("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return web.json_response(body, status=201)

    # --- account, numbers, messaging (the set-up check) ---------------------------------------------

    async def _fetch_account(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        sid = request.match_info["account"]
        body = {
            "sid": sid,
            "owner_account_sid": sid,
            "friendly_name": "Lakeside Auto",
            "status": self.account_status,
            "type": "Full",
            "date_created": format_datetime(datetime(2024, 1, 5, tzinfo=UTC), usegmt=True),
            "uri": f"/2010-04-01/Accounts/{sid}.json",
        }
        return web.json_response(body)

    def _number_json(self, sid: str) -> dict[str, object]:
        row = self.numbers[sid]
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "phone_number": row["phone_number"],
            "friendly_name": row["phone_number"],
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "status": "in-use",
            "api_version": "2010-04-01",
            **{key: value or None for key, value in row.items() if key != "phone_number"},
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
        }

    async def _list_numbers(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        wanted = recorded.value("PhoneNumber")
        with self.lock:
            rows = [
                self._number_json(sid)
                for sid, row in self.numbers.items()
                if not wanted or row["phone_number"] == wanted
            ]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers.json?PageSize=50&Page=0"
        body = {
            "incoming_phone_numbers": rows,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(len(rows) - 1, 0),
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
        }
        return web.json_response(body)

    async def _update_number(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        sid = request.match_info["number_sid"]
        if sid not in self.numbers:
            return _error(ScriptedError(404, 20404, f"The requested resource {request.path} was not found"))
        fields = {
            "VoiceUrl": "voice_url",
            "VoiceMethod": "voice_method",
            "StatusCallback": "status_callback",
            "StatusCallbackMethod": "status_callback_method",
            "SmsUrl": "sms_url",
            "SmsMethod": "sms_method",
            "VoiceApplicationSid": "voice_application_sid",
            "SmsApplicationSid": "sms_application_sid",
        }
        with self.lock:
            for form_name, key in fields.items():
                if (value := recorded.value(form_name)) is not None:
                    self.numbers[sid][key] = value
            body = self._number_json(sid)
        return web.json_response(body)

    def _messaging_page(self, request: web.Request, key: str, rows: list[dict[str, object]]) -> web.Response:
        url = f"https://messaging.twilio.com{request.path}?PageSize=50&Page=0"
        meta = {
            "page": 0,
            "page_size": 50,
            "first_page_url": url,
            "previous_page_url": None,
            "url": url,
            "next_page_url": None,
            "key": key,
        }
        return web.json_response({key: rows, "meta": meta})

    async def _list_services(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        with self.lock:
            rows = [
                {"sid": sid, "account_sid": self.account_sid, "friendly_name": f"Service {sid[-2:]}"}
                for sid in self.messaging_services
            ]
        return self._messaging_page(request, "services", rows)

    async def _list_service_numbers(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        service = request.match_info["service"]
        numbers, _ = self.messaging_services.get(service, ([], []))
        rows = [
            {
                "sid": f"PN{index:032d}",
                "account_sid": self.account_sid,
                "service_sid": service,
                "phone_number": number,
                "country_code": "US",
                "capabilities": ["SMS", "MMS", "Voice"],
            }
            for index, number in enumerate(numbers)
        ]
        return self._messaging_page(request, "phone_numbers", rows)

    async def _list_campaigns(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if refusal := self._refusal(recorded):
            return refusal
        service = request.match_info["service"]
        _, statuses = self.messaging_services.get(service, ([], []))
        rows = [
            {
                "sid": f"QE{index:032d}",
                "account_sid": self.account_sid,
                "messaging_service_sid": service,
                "brand_registration_sid": "BN" + "0" * 32,
                "us_app_to_person_usecase": "CUSTOMER_CARE",
                "campaign_status": status,
                "campaign_id": f"CFAKE{index}",
                "is_externally_registered": False,
            }
            for index, status in enumerate(statuses)
        ]
        return self._messaging_page(request, "compliance", rows)

    def _call_json(
        self, sid: str, recorded: TwilioRequest, status: str, call: FakeCall | None = None
    ) -> dict[str, object]:
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": recorded.value("To"),
            "from": recorded.value("From"),
            "status": status,
            "direction": "outbound-api",
            "date_created": format_datetime(call.created_at, usegmt=True) if call else None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def _error(error: ScriptedError) -> web.Response:
    body = {
        "code": error.code,
        "message": error.message,
        "more_info": f"https://www.twilio.com/docs/errors/{error.code}",
        "status": error.status,
    }
    return web.json_response(body, status=error.status)
