import pytest

from voice.models import Call, CallbackRequest, Turn
from voice.services import (
    callback_request_create,
    callback_request_mark_handled,
    tool_call_record,
    turn_record,
)


@pytest.fixture
def call(db) -> Call:
    return Call.objects.create(call_sid="CA" + "3" * 32, from_number="+13125550147")


def test_turns_are_numbered_in_order(call):
    turn_record(call_id=call.pk, role="agent", text="Lakeside Auto, how can I help?")
    turn_record(call_id=call.pk, role="caller", text="I need an oil change.", stt_ms=240)
    turn_record(call_id=call.pk, role="agent", text="Sure, what day", interrupted=True, heard_text="Sure")

    assert [(t.seq, t.role, t.interrupted) for t in Turn.objects.filter(call=call)] == [
        (1, "agent", False),
        (2, "caller", False),
        (3, "agent", True),
    ]


def test_an_unknown_role_is_refused(call):
    with pytest.raises(ValueError):
        turn_record(call_id=call.pk, role="robot", text="beep")


def test_a_tool_call_keeps_arguments_and_result(call):
    tool = tool_call_record(
        call_id=call.pk,
        name="check_availability",
        arguments={"service_type": "oil_change"},
        result={"available": True, "slots": []},
        success=True,
        duration_ms=35,
    )

    assert call.tool_calls.get() == tool
    assert tool.result["available"] is True


def test_taking_a_message_marks_the_call_outcome(call):
    request = callback_request_create(
        phone="(312) 555-0147", name="Dana", reason="Wants a quote for brakes", call_id=call.pk
    )

    call.refresh_from_db()
    assert request.phone == "+13125550147"
    assert call.outcome == Call.Outcome.MESSAGE_TAKEN
    assert not request.handled


def test_marking_handled_records_who_and_when_once(call, admin_user, django_user_model):
    first = callback_request_create(phone="+13125550147", reason="call me", call_id=call.pk)
    second = callback_request_create(phone="+13125550148", reason="me too")
    other = django_user_model.objects.create_user("other")
    callback_request_mark_handled(request_ids=[first.pk], user=admin_user)

    changed = callback_request_mark_handled(request_ids=[first.pk, second.pk], user=other)

    assert changed == 1
    first.refresh_from_db()
    assert first.handled_by == admin_user
    assert first.handled_at is not None
    assert CallbackRequest.objects.get(pk=second.pk).handled_by == other
