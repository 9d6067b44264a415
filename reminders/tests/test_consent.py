from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dealership.core.errors import ApplicationError
from reminders.models import ConsentEvent, Reminder
from reminders.services import opt_out_record, reminder_schedule
from voice.models import Call

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def call(customer) -> Call:
    return Call.objects.create(
        call_sid="CA" + "5" * 32, direction="outbound", to_number=customer.phone, customer=customer
    )


@pytest.mark.django_db
def test_stop_calling_me_on_a_reminder_call_is_honoured_at_once_with_evidence(customer, call):
    at = datetime(2026, 3, 10, 9, 2, tzinfo=CHICAGO)

    event = opt_out_record(
        customer=customer, channel="calls", source="voice_keypad", call_id=call.pk, detail="9", at=at
    )

    customer.refresh_from_db()
    assert customer.calls_opted_out_at == at
    assert customer.sms_opted_out_at == at  # domain.md: across calls and texts
    assert (event.scope, event.source, event.call, event.detail, event.at) == (
        "all",
        "voice_keypad",
        call,
        "9",
        at,
    )
    assert event.phone == "+13125550147"


@pytest.mark.django_db
def test_the_shop_can_limit_an_opt_out_to_the_channel_asked_for(customer, settings):
    settings.REMINDER_OPT_OUT_ALL_CHANNELS = False

    opt_out_record(customer=customer, channel="calls", source="voice_phrase", detail="stop calling me")

    customer.refresh_from_db()
    assert customer.calls_opted_out_at is not None
    assert customer.sms_opted_out_at is None
    assert ConsentEvent.objects.get().scope == "calls"


@pytest.mark.django_db
def test_the_first_opt_out_time_is_kept_as_evidence(customer):
    first = datetime(2026, 3, 1, 12, tzinfo=CHICAGO)
    opt_out_record(customer=customer, channel="all", source="admin", at=first)
    opt_out_record(customer=customer, channel="all", source="sms_keyword", at=first + timedelta(days=3))

    customer.refresh_from_db()
    assert customer.calls_opted_out_at == first
    assert ConsentEvent.objects.count() == 2


@pytest.mark.django_db
def test_open_reminders_show_as_skipped_once_every_channel_is_closed(shop, customer, make_appointment):
    appointment = make_appointment(customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO))
    reminder = reminder_schedule(appointment_id=appointment.pk, now=datetime(2026, 3, 9, 12, tzinfo=CHICAGO))

    opt_out_record(customer=customer, channel="calls", source="voice_phrase")

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SKIPPED
    assert "opted out (voice_phrase)" in reminder.status_reason


@pytest.mark.django_db
def test_an_unknown_channel_is_refused_with_a_sentence(customer):
    with pytest.raises(ApplicationError, match="Unknown contact channel 'fax'"):
        opt_out_record(customer=customer, channel="fax", source="admin")
