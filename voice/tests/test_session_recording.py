"""Whether a call is recorded is the telephony's to say (`CallTelephony.can_record`), not the session's
guess from its class: any telephony that can record is asked to, and one that cannot is never asked."""

import json

import pytest

from voice.engines import new_engine
from voice.session import CallSession
from voice.tests.test_consumer import eventually, start_frame

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


class Telephony:
    """A call's telephony that says whether it records, and notes each recording it is asked for."""

    sms_enabled = False

    def __init__(self, *, can_record: bool):
        self.can_record = can_record
        self.started: list[str] = []

    async def start_recording(self, call_sid: str, *, status_callback: str) -> str:
        self.started.append(call_sid)
        return "RE" + "0" * 32

    async def stop_recording(self, call_sid: str, recording_sid: str) -> bool:
        return True

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize("can_record", [True, False], ids=["can record", "cannot record"])
async def test_the_session_records_when_its_telephony_can(can_record, shop, answered_call, engines, settings):
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    telephony = Telephony(can_record=can_record)

    async def ignore(*_args) -> None:
        return None

    session = CallSession(send_text=ignore, close=ignore, telephony=telephony, engines=new_engine)
    try:
        await session.receive(json.dumps(start_frame(answered_call)))
        if can_record:
            await eventually(lambda: telephony.started)
    finally:
        await session.closed()

    assert telephony.started == ([answered_call.call_sid] if can_record else [])
    # Either way the session hears an objection (the shop's transcript policy applies to test calls).
    assert session.recording is not None
