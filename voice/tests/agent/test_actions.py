import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from crm.models import Customer
from scheduling.selectors import availability_find
from scheduling.services import appointment_book, appointment_confirmation
from voice.agent.actions import (
    HANG_UP,
    SPOKEN,
    TRANSFER,
    CallActions,
    sms_confirmation_body,
    split_name_and_message,
)
from voice.agent.lines import line
from voice.agent.records import CallRecorder
from voice.engines.base import CallContext
from voice.models import Call, CallbackRequest
from voice.session import CallSession
from voice.tools.context import tool_context_for_call
from voice.tools.registry import execute_tool

ADVISOR = "+13125550199"


class Stream:
    """The transport side of a CallSession: what it sent and whether it closed the socket."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = False

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def call(customer):
    return Call.objects.create(
        call_sid="CA" + "6" * 32, from_number=customer.phone, to_number="+13125550100", customer=customer
    )


@pytest.fixture
def booked(shop, catalog, customer, call):
    start = datetime.fromisoformat(
        availability_find(service_code="oil_change", limit=1).as_dicts()[0]["start"]
    )
    return appointment_book(customer=customer, service_code="oil_change", start=start, channel="ai_phone")


@contextlib.asynccontextmanager
async def call_actions(call: Call, *, transfer_number: str = "") -> AsyncIterator[tuple[CallActions, Stream]]:
    stream = Stream()
    session = CallSession(send_text=stream.send_text, close=stream.close)
    context = CallContext(
        call_sid=call.call_sid,
        stream_sid="MZ" + "6" * 32,
        call_id=call.pk,
        direction="inbound",
        from_number=call.from_number,
        to_number=call.to_number,
        customer_id=call.customer_id,
        engine="cascade",
    )
    recorder = CallRecorder(call_id=call.pk)
    actions = CallActions(
        session=session,
        call=context,
        recorder=recorder,
        shop_name="Lakeside Auto Service",
        transfer_number=transfer_number,
        customer_id=call.customer_id,
    )
    try:
        yield actions, stream
    finally:
        await actions.finish()
        await recorder.close()
        await session.closed()


async def saved(call: Call) -> Call:
    return await database_sync_to_async(Call.objects.get)(pk=call.pk)


def booking_result(appointment) -> dict:
    return {
        "success": True,
        "appointment_id": appointment.pk,
        "confirmation": appointment_confirmation(appointment),
    }


def test_it_splits_a_message_into_name_and_text():
    assert split_name_and_message("Sam Jones: call about brakes") == ("Sam Jones", "call about brakes")
    assert split_name_and_message("call me back about my bill") == ("", "call me back about my bill")


def test_the_confirmation_text_says_what_changed():
    body = sms_confirmation_body(
        shop_name="Lakeside", tool="schedule_appointment", confirmation="Oil change."
    )
    assert body == "Lakeside: You're booked: Oil change. Reply STOP to opt out of texts."
    cancelled = sms_confirmation_body(
        shop_name="Lakeside", tool="cancel_appointment", confirmation="The oil change is cancelled."
    )
    assert cancelled == "Lakeside: The oil change is cancelled. Reply STOP to opt out of texts."


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
class TestToolResults:
    async def test_a_booking_sets_the_outcome_and_texts_a_confirmation(
        self, call, customer, booked, fake_twilio
    ):
        result = await database_sync_to_async(booking_result)(booked)
        async with call_actions(call) as (actions, _):
            seen = await actions.after_tool(name="schedule_appointment", arguments={}, result=result)

        assert seen == result
        [sms] = fake_twilio.requests_to("/Messages.json")
        assert sms.value("To") == customer.phone
        confirmation = result["confirmation"]
        body = f"Lakeside Auto Service: You're booked: {confirmation} Reply STOP to opt out of texts."
        assert sms.value("Body") == body
        assert (await saved(call)).outcome == Call.Outcome.BOOKED

    async def test_a_customer_created_on_a_spanish_call_is_saved_as_a_spanish_speaker(self, call):
        new = await database_sync_to_async(Customer.objects.create)(name="Rosa Díaz", phone="+13125550177")
        async with call_actions(call) as (actions, _):
            actions.language = "es"
            result = {"success": True, "customer_id": new.pk, "vehicle_id": None}
            assert await actions.after_tool(name="create_customer", arguments={}, result=result) == result
            await actions.recorder.close()

        await new.arefresh_from_db()
        assert new.preferred_language == "es"

    async def test_no_text_goes_to_a_customer_who_opted_out(self, call, customer, booked, fake_twilio):
        customer.sms_opted_out_at = timezone.now()
        await database_sync_to_async(customer.save)()
        result = await database_sync_to_async(booking_result)(booked)
        async with call_actions(call) as (actions, _):
            await actions.after_tool(name="reschedule_appointment", arguments={}, result=result)

        assert not fake_twilio.requests_to("/Messages.json")
        assert (await saved(call)).outcome == Call.Outcome.RESCHEDULED

    async def test_a_failed_text_is_recorded_and_the_call_goes_on(self, call, booked, fake_twilio):
        fake_twilio.fail_next(500)
        result = await database_sync_to_async(booking_result)(booked)
        async with call_actions(call) as (actions, stream):
            await actions.after_tool(name="cancel_appointment", arguments={}, result=result)

        assert not stream.closed
        record = await saved(call)
        assert record.outcome == Call.Outcome.CANCELLED
        assert "SMS confirmation failed" in record.last_error

    async def test_a_failed_booking_changes_nothing(self, call, fake_twilio):
        failure = {"success": False, "error": "That time was just taken."}
        async with call_actions(call) as (actions, _):
            assert (
                await actions.after_tool(name="schedule_appointment", arguments={}, result=failure) == failure
            )

        assert not fake_twilio.requests
        assert (await saved(call)).outcome == ""

    @pytest.mark.parametrize(
        "phone, key", [("+13125550999", "verification_locked"), ("anonymous", "verification_locked_withheld")]
    )
    async def test_a_locked_verification_is_told_to_the_caller_in_their_language(
        self, call, customer, fake_twilio, phone, key
    ):
        result = await database_sync_to_async(refused_verification)(customer, phone)
        async with call_actions(call) as (actions, _):
            actions.language = "es"  # the caller switched to Spanish earlier in the call
            seen = await actions.after_tool(
                name="verify_customer", arguments={"customer_id": customer.pk}, result=result
            )

        assert seen["success"] is False and seen["verified"] is False
        assert seen[SPOKEN] == line(key, "es")
        assert "asesor de servicio le devuelva la llamada" in seen[SPOKEN]

    async def test_verification_with_the_counters_down_says_so_and_offers_a_person(self, call):
        result = {"success": False, "error": "...", "verified": False, "locked": "unavailable"}
        async with call_actions(call) as (actions, _):
            seen = await actions.after_tool(name="verify_customer", arguments={}, result=result)

        assert seen[SPOKEN] == line("verification_unavailable", "en")
        assert "put you through to someone" in seen[SPOKEN]


def refused_verification(customer: Customer, phone: str) -> dict:
    """Wrong ZIP codes from `phone`, call after call, until verify_customer refuses even the right one."""
    for _ in range(4):
        context = tool_context_for_call(call_id=None, caller_phone=phone)
        for guess in ("60601", "60602", "60603"):
            execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": guess}, context=context)
    context = tool_context_for_call(call_id=None, caller_phone=phone)
    return execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=context)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
class TestTransferAndHangUp:
    async def test_a_transfer_waits_as_pending_then_dials_the_advisor(self, call, fake_twilio):
        async with call_actions(call, transfer_number=ADVISOR) as (actions, _):
            result = {"success": True, "action": "transfer", "reason": "billing"}
            await actions.after_tool(name="transfer_to_human", arguments={"reason": "billing"}, result=result)
            assert actions.pending == TRANSFER and not fake_twilio.requests

            assert await actions.run_pending() is True

        [update] = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")
        assert f"<Number>{ADVISOR}</Number>" in update.value("Twiml")
        assert actions.ended
        assert (await saved(call)).outcome == Call.Outcome.TRANSFERRED

    async def test_an_interrupted_goodbye_drops_the_hang_up(self, call, fake_twilio):
        async with call_actions(call) as (actions, _):
            await actions.after_tool(
                name="end_call", arguments={}, result={"success": True, "action": "end_call"}
            )
            assert actions.pending == HANG_UP

            assert actions.drop_pending() is False
            assert await actions.run_pending() is False

        assert not fake_twilio.requests

    async def test_hanging_up_a_call_that_already_ended_is_fine(self, call, fake_twilio):
        fake_twilio.end_call(call.call_sid)
        async with call_actions(call) as (actions, stream):
            assert await actions.hang_up() is True

        assert not stream.closed

    async def test_a_failed_transfer_closes_the_stream_for_the_twiml_fallback(self, call, fake_twilio):
        fake_twilio.fail_next(500)
        async with call_actions(call, transfer_number=ADVISOR) as (actions, stream):
            assert await actions.transfer() is False
            assert stream.closed

        assert "transfer failed" in (await saved(call)).last_error


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
class TestMessages:
    async def test_without_a_transfer_number_the_model_is_told_to_take_a_message(self, call, customer):
        refused = {
            "success": False,
            "error": "No one can take a transferred call right now.",
            "action": "take_message",
        }
        async with call_actions(call) as (actions, _):
            first = await actions.after_tool(
                name="transfer_to_human", arguments={"reason": "quote"}, result=refused
            )
            assert "name and a short message" in first["instructions"]
            second = await actions.after_tool(
                name="transfer_to_human",
                arguments={"reason": "Sam Jones: brake quote please"},
                result=refused,
            )

        assert second["success"] is True and second["action"] == "message_taken"
        message = await database_sync_to_async(CallbackRequest.objects.get)()
        assert (message.name, message.reason, message.phone) == (
            "Sam Jones",
            "brake quote please",
            customer.phone,
        )
        assert message.customer_id == customer.pk and message.call_id == call.pk
        assert (await saved(call)).outcome == Call.Outcome.MESSAGE_TAKEN

    async def test_a_message_started_but_never_left_is_saved_at_the_end(self, call):
        refused = {"success": False, "error": "No one is free.", "action": "take_message"}
        async with call_actions(call) as (actions, _):
            await actions.after_tool(
                name="transfer_to_human", arguments={"reason": "billing"}, result=refused
            )

        message = await database_sync_to_async(CallbackRequest.objects.get)()
        assert "billing" in message.reason and message.call_id == call.pk

    async def test_twilio_speaks_the_apology_and_a_message_is_left_without_a_transfer_number(
        self, call, fake_twilio
    ):
        async with call_actions(call) as (actions, _):
            assert await actions.speak_with_twilio() is True

        twiml = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")[0].value("Twiml")
        assert "<Say>Sorry, I'm having trouble on this line. An advisor will call you back soon." in twiml
        assert twiml.endswith("<Hangup/></Response>")
        assert await database_sync_to_async(CallbackRequest.objects.filter(call=call).exists)()

    @pytest.mark.parametrize("transfer_number", ["", ADVISOR])
    async def test_a_spanish_caller_hears_twilios_apology_in_spanish(
        self, call, fake_twilio, transfer_number
    ):
        async with call_actions(call, transfer_number=transfer_number) as (actions, _):
            actions.language = "es"  # the caller switched to Spanish earlier in the call
            assert await actions.speak_with_twilio() is True

        twiml = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")[0].value("Twiml")
        follows = line("connect_you", "es") if transfer_number else line("call_you_back", "es")
        assert f'<Say language="es-MX">{line("apology", "es")} {follows}</Say>' in twiml

    async def test_twilio_speaks_the_apology_then_dials_the_advisor(self, call, fake_twilio):
        async with call_actions(call, transfer_number=ADVISOR) as (actions, _):
            assert await actions.speak_with_twilio() is True

        twiml = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")[0].value("Twiml")
        assert (
            "<Say>Sorry, I'm having trouble on this line." in twiml and f"<Number>{ADVISOR}</Number>" in twiml
        )
        assert (await saved(call)).outcome == Call.Outcome.TRANSFERRED
