"""Twilio carrying out a warm <Dial> (voice.handoffs), for tests: reads the TwiML the live call was
updated with (as FakeTwilio recorded it) and makes the signed requests Twilio would make to our app:
the whisper for the advisor's leg, the advisor's key, and the <Dial action> result.

    dial = TwilioDial.from_update(fake_twilio, call)
    whisper = dial.whisper()           # what the advisor hears
    dial.press("1")                    # the advisor takes the call
    after = dial.result("completed")   # what the caller hears next
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections
from django.test import Client

ADVISOR_LEG = "CA" + "9" * 32


def signature(url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it (HMAC-SHA1 of the URL and the sorted form pairs)."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(settings.TWILIO_AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def post_as_twilio(url: str, params: dict[str, str], *, signed: bool = True) -> tuple[int, str]:
    """POST `params` to the absolute `url` (our public origin) the way Twilio does; (status, body)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature(url, params) if signed else "forged"}
    try:
        response = Client().post(path, params, **headers)
    finally:
        connections.close_all()  # this thread's own connections (tests call it from worker threads)
    return response.status_code, response.content.decode()


@dataclass
class TwilioDial:
    call_sid: str
    number: str
    action: str
    whisper_url: str
    timeout: str
    caller_id: str

    @classmethod
    def from_twiml(cls, call_sid: str, document: str) -> TwilioDial:
        dial = ET.fromstring(document).find("Dial")
        assert dial is not None, document
        number = dial.find("Number")
        assert number is not None, document
        return cls(
            call_sid=call_sid,
            number=(number.text or "").strip(),
            action=dial.get("action", ""),
            whisper_url=number.get("url", ""),
            timeout=dial.get("timeout", ""),
            caller_id=dial.get("callerId", ""),
        )

    @classmethod
    def from_update(cls, fake_twilio, call) -> TwilioDial:
        [update] = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")
        return cls.from_twiml(call.call_sid, update.value("Twiml"))

    def _leg(self, **extra: str) -> dict[str, str]:
        return {"CallSid": ADVISOR_LEG, "To": self.number, "CallStatus": "in-progress", **extra}

    def whisper(self) -> ET.Element:
        """The advisor answered: the TwiML Twilio plays to them before bridging."""
        status, body = post_as_twilio(self.whisper_url, self._leg())
        assert status == 200, body
        return ET.fromstring(body)

    def press(self, digits: str) -> ET.Element:
        """The advisor pressed `digits` during the whisper's <Gather> (its action URL)."""
        gather = self.whisper().find("Gather")
        assert gather is not None
        status, body = post_as_twilio(gather.get("action", ""), self._leg(Digits=digits))
        assert status == 200, body
        return ET.fromstring(body)

    def result(self, dial_status: str) -> ET.Element:
        """The dial ended with `dial_status`: the TwiML the caller's call goes on with."""
        params = {"CallSid": self.call_sid, "DialCallStatus": dial_status, "DialCallSid": ADVISOR_LEG}
        status, body = post_as_twilio(self.action, params)
        assert status == 200, body
        return ET.fromstring(body)
