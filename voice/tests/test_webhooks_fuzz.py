"""Fuzzing every Twilio webhook with VALID signatures (computed from the test auth token exactly as
Twilio's own validator does), so the input reaches our parsing rather than stopping at the 403: Twilio's
own parameters with plausible values, then the same and unknown parameters holding NUL, "²", 5,000-digit
numbers and other odd text, duplicated fields, bodies that aren't forms, and bodies past Django's limits.
The answer is always below 500, TwiML (an XML <Response>) when it is a 200, and never an HTML error page.
"""

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.http import QueryDict
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st

from reminders.tests.test_webhooks import BASE, PlacedCall, placed  # noqa: F401
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from tests.strategies import ODD_STRINGS_FORM, odd_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

FORM = "application/x-www-form-urlencoded"
HEX = "0123456789abcdef"
STATUSES = [
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
]
ANSWERED_BY = [
    "human",
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
]
DIAL_STATUSES = ["completed", "answered", "busy", "no-answer", "failed", "canceled"]
SMS_WORDS = ["STOP", "stop", "START", "HELP", "C", "c", "UNSUBSCRIBE", "Is my car ready?", ""]


@dataclass(frozen=True)
class Webhook:
    name: str
    path: str  # "{appointment}" is replaced by an appointment id
    reminder: bool = False  # takes ?attempt=<id>


WEBHOOKS = [
    Webhook("inbound", "/voice/inbound/"),
    Webhook("status", "/voice/status/"),
    Webhook("reminder-answer", "/voice/outbound/reminder/{appointment}/", reminder=True),
    Webhook("reminder-status", "/voice/outbound/reminder/{appointment}/status/", reminder=True),
    Webhook("reminder-amd", "/voice/outbound/reminder/{appointment}/amd/", reminder=True),
    Webhook("sms", "/voice/sms/"),
    # A warm hand-off's callbacks name it in the query (an unknown one here: hostile or stale).
    Webhook("transfer-whisper", "/voice/transfer/whisper/?handoff=unknown-handoff"),
    Webhook("transfer-result", "/voice/transfer/result/?handoff=unknown-handoff"),
]


@pytest.fixture
def shop_line(settings, placed, engines):  # noqa: F811
    """A reminder call in progress (its appointment, attempt and Call SID), Twilio configured with a
    fake REST server and its auth token, and the recording engine answering inbound calls."""
    settings.PUBLIC_BASE_URL = BASE
    settings.DEBUG = False
    settings.TWILIO_VALIDATE_SIGNATURES = True
    settings.TRANSFER_PHONE_NUMBER = ""
    settings.VOICE_ENGINE = "recording"
    return placed


def twilio_signature(url: str, params: QueryDict) -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC-SHA1 with the auth token over the URL and each
    parameter name followed by its value, names sorted, a repeated name's values sorted."""
    payload = url + "".join(
        name + value for name in sorted(set(params)) for value in sorted(set(params.getlist(name)))
    )
    digest = hmac.new(django_settings.TWILIO_AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sid(prefix: str) -> st.SearchStrategy[str]:
    return st.text(HEX, min_size=32, max_size=32).map(lambda h: prefix + h)


def twilio_fields(line: PlacedCall) -> dict[str, st.SearchStrategy[str]]:
    """Twilio's voice and messaging parameters with values Twilio sends."""
    phones = st.sampled_from(
        ["+13125550147", "+13125550100", "+13125550122", "anonymous", ""]
    ) | st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True)
    numbers = st.integers(0, 10**7).map(str)
    return {
        "CallSid": st.sampled_from([line.sid, "CA" + "a" * 32]) | sid("CA"),
        "AccountSid": sid("AC"),
        "From": phones,
        "To": phones,
        "Caller": phones,
        "Called": phones,
        "CallStatus": st.sampled_from(STATUSES),
        "Direction": st.sampled_from(["inbound", "outbound-api", "outbound-dial"]),
        "CallDuration": numbers,
        "Duration": numbers,
        "AnsweredBy": st.sampled_from(ANSWERED_BY),
        "MachineDetectionDuration": numbers,
        "DialCallStatus": st.sampled_from(DIAL_STATUSES),
        "Digits": st.from_regex(r"[0-9*#]{1,12}", fullmatch=True),
        "RecordingDuration": numbers,
        "SequenceNumber": numbers,
        "Timestamp": st.just("Tue, 10 Mar 2026 14:00:00 +0000"),
        "ApiVersion": st.just("2010-04-01"),
        "MessageSid": sid("SM"),
        "Body": st.sampled_from(SMS_WORDS) | st.text(max_size=320),
        "NumMedia": st.sampled_from(["0", "1"]),
    }


def url_of(webhook: Webhook, appointment: str, attempt: str | None) -> str:
    path = webhook.path.format(appointment=appointment)
    return f"{path}?{urlencode({'attempt': attempt})}" if webhook.reminder and attempt is not None else path


def post_signed(client, url: str, body: bytes, content_type: str = FORM, *, signature: str | None = None):
    if signature is None:
        # Sign what Django will read from the body, as Twilio signs what it sends.
        params = QueryDict(body) if content_type == FORM else QueryDict()
        signature = twilio_signature(BASE + url, params)
    return client.generic("POST", url, body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE=signature)


def twiml_answer(response, *, allowed: tuple[int, ...] = (200, 400)) -> None:
    if currently_in_test_context():
        event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.content[:500]
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    if response.status_code == 200:
        assert response["Content-Type"].startswith("text/xml")
        assert ET.fromstring(response.content).tag == "Response"
    else:
        assert b"<html" not in response.content.lower()


@pytest.mark.parametrize("webhook", WEBHOOKS, ids=lambda w: w.name)
@given(data=st.data())
def test_what_twilio_sends_is_answered_with_twiml(client, shop_line, webhook, data):
    fields = twilio_fields(shop_line)
    required = {name: fields[name] for name in (("From", "Body") if webhook.name == "sms" else ("CallSid",))}
    optional = {name: strategy for name, strategy in fields.items() if name not in required}
    params = data.draw(st.fixed_dictionaries(required, optional=optional), label="params")
    appointment = data.draw(st.sampled_from([str(shop_line.reminder.appointment_id), "1", "9" * 19]))
    attempt = data.draw(st.sampled_from([str(shop_line.attempt.pk), None]) | st.integers(0, 10**6).map(str))

    response = post_signed(client, url_of(webhook, appointment, attempt), urlencode(params).encode())

    twiml_answer(response)


@pytest.mark.parametrize("webhook", WEBHOOKS, ids=lambda w: w.name)
@given(data=st.data())
def test_odd_parameters_are_answered_with_twiml(client, shop_line, webhook, data):
    fields = twilio_fields(shop_line)
    odd = odd_text(surrogates=False)
    if data.draw(st.booleans(), label="one odd value in every field"):
        # So each odd value meets each field that might parse it (CallDuration, Digits, ?attempt=...).
        value = data.draw(st.sampled_from(ODD_STRINGS_FORM) | odd, label="value")
        params = dict.fromkeys(fields, value)
        if data.draw(st.booleans(), label="with a real CallSid and From"):
            params.update(CallSid=shop_line.sid, From="+13125550147")
        extra, attempt = [], value
    else:
        values = {name: st.one_of(strategy, odd) for name, strategy in fields.items()}
        params = data.draw(st.fixed_dictionaries({}, optional=values), label="params")
        extra = data.draw(
            st.lists(st.tuples(odd | st.sampled_from(list(fields)), odd), max_size=4), label="extra"
        )
        attempt = data.draw(st.none() | odd, label="attempt")
    appointment = data.draw(st.integers(0, 10**25).map(str), label="appointment")
    body = urlencode([*params.items(), *extra]).encode()

    response = post_signed(client, url_of(webhook, appointment, attempt), body)

    twiml_answer(response)


@pytest.mark.parametrize("webhook", WEBHOOKS, ids=lambda w: w.name)
@pytest.mark.parametrize("value", ODD_STRINGS_FORM, ids=lambda v: repr(v[:12]))
def test_each_odd_value_in_every_parameter_is_answered_with_twiml(client, shop_line, webhook, value):
    # Every odd value meets every parameter Twilio sends (and ?attempt=) at least once, whatever
    # Hypothesis happens to draw; the call's real CallSid and From keep it past the 400s.
    params = {
        **dict.fromkeys(twilio_fields(shop_line), value),
        "CallSid": shop_line.sid,
        "From": "+13125550147",
    }
    url = url_of(webhook, str(shop_line.reminder.appointment_id), value)

    response = post_signed(client, url, urlencode(params).encode())

    twiml_answer(response)


@pytest.mark.parametrize("webhook", WEBHOOKS, ids=lambda w: w.name)
@given(data=st.data())
def test_bodies_that_are_not_forms_are_refused_without_a_500(client, shop_line, webhook, data):
    content_type = data.draw(st.sampled_from([FORM, "application/json", "text/plain", "application/xml"]))
    body = data.draw(
        st.binary(max_size=300)
        | st.sampled_from(
            [b"", b"%", b"=&=&", b"CallSid=%ff%fe", b"CallSid=CA1&CallSid=CA2", b'{"CallSid": 1}']
        ),
        label="body",
    )
    url = url_of(webhook, str(shop_line.reminder.appointment_id), str(shop_line.attempt.pk))

    response = post_signed(client, url, body, content_type)

    twiml_answer(response)


@pytest.mark.parametrize("webhook", WEBHOOKS, ids=lambda w: w.name)
@pytest.mark.parametrize("too_big", ["fields", "bytes"])
def test_bodies_past_djangos_limits_are_refused_without_a_500(client, shop_line, webhook, too_big):
    if too_big == "fields":
        body = "&".join(f"f{i}=1" for i in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)).encode()
    else:
        body = b"CallSid=CA1&Body=" + b"x" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    url = url_of(webhook, str(shop_line.reminder.appointment_id), str(shop_line.attempt.pk))

    # Nothing can be signed that Django refuses to read: the signature check itself must fail closed.
    response = post_signed(client, url, body, signature="c2lnbmF0dXJl")

    twiml_answer(response, allowed=(400, 403))
