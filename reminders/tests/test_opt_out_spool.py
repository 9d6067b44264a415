"""The opt-out spool: every texted opt-out is on local disk before the webhook answers, and applying
the spool is idempotent, in order, and keeps the time the customer asked."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from reminders.models import ConsentEvent
from reminders.opt_out_spool import SPOOL_NAME, spool_append
from reminders.services import opt_in_record, opt_out_on_call, opt_out_spool_apply, sms_receive
from reminders.tasks import opt_out_spool_apply_task
from voice.models import Call

ASKED = datetime(2026, 3, 10, 14, 5, tzinfo=UTC)
SID = "SM" + "5" * 32


def spool_file():
    return settings.OPT_OUT_SPOOL_DIR / SPOOL_NAME


def spool_stop(phone: str, *, sid: str = SID, at: datetime = ASKED) -> None:
    spool_append(phone=phone, word="STOP", message_sid=sid, at=at, source="sms_keyword")


@pytest.mark.django_db
def test_applying_keeps_when_they_asked_and_changes_nothing_twice(customer):
    spool_stop(customer.phone)

    assert opt_out_spool_apply() == 1
    assert opt_out_spool_apply() == 0  # nothing new since
    customer.refresh_from_db()
    assert customer.sms_opted_out_at == ASKED and customer.calls_opted_out_at == ASKED
    [event] = ConsentEvent.objects.all()
    assert (event.customer, event.at, event.message_sid, event.detail) == (customer, ASKED, SID, "STOP")


@pytest.mark.django_db
def test_an_entry_already_in_the_database_is_not_recorded_again(customer, tmp_path):
    spool_stop(customer.phone)
    opt_out_spool_apply()
    (settings.OPT_OUT_SPOOL_DIR / "opt-outs.applied").write_text("0")  # a crash before the offset

    opt_out_spool_apply()

    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_start_that_reached_the_database_later_still_stands(customer):
    opt_in_record(customer=customer, channel="all", source="sms_keyword", at=ASKED + timedelta(minutes=3))
    spool_stop(customer.phone)

    opt_out_spool_apply()

    customer.refresh_from_db()
    assert customer.sms_allowed and customer.calls_allowed
    assert ConsentEvent.objects.filter(action="opt_out", at=ASKED).count() == 1  # the evidence is kept


@pytest.mark.django_db
def test_an_unknown_number_is_kept_as_evidence_by_number(db):
    spool_stop("+13125550999")

    opt_out_spool_apply()

    event = ConsentEvent.objects.get()
    assert (event.customer, event.phone, event.at) == (None, "+13125550999", ASKED)


@pytest.mark.django_db
def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next_opt_out(customer):
    settings.OPT_OUT_SPOOL_DIR.mkdir(parents=True)
    spool_file().write_text('{"phone": "+1312555')  # a writer died mid-line
    spool_stop(customer.phone)

    assert opt_out_spool_apply() == 2  # the fragment is skipped, the entry applied

    customer.refresh_from_db()
    assert customer.sms_opted_out_at == ASKED


@pytest.mark.django_db
def test_the_periodic_task_applies_the_spool(customer):
    spool_stop(customer.phone)

    assert opt_out_spool_apply_task() == 1

    customer.refresh_from_db()
    assert not customer.sms_allowed


@pytest.mark.django_db
def test_every_texted_opt_out_is_spooled_even_when_the_database_takes_it(shop, customer):
    reply = sms_receive(from_number=customer.phone, body="Stop", message_sid=SID, now=ASKED)

    assert "won't get any more reminder texts" in reply
    [line] = spool_file().read_text().splitlines()
    assert json.loads(line) == {
        "phone": customer.phone,
        "word": "STOP",
        "message_sid": SID,
        "at": ASKED.isoformat(),
        "source": "sms_keyword",
    }
    opt_out_spool_apply()
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_an_unwritable_spool_is_logged_and_the_database_still_records_the_opt_out(
    shop, customer, settings, tmp_path, caplog
):
    (tmp_path / "a-file").write_text("")
    settings.OPT_OUT_SPOOL_DIR = tmp_path / "a-file" / "spool"  # cannot be created

    reply = sms_receive(from_number=customer.phone, body="STOP", message_sid=SID)

    assert "won't get any more reminder texts" in reply
    assert ConsentEvent.objects.filter(message_sid=SID).exists()
    assert "could NOT be spooled" in caplog.text


@pytest.mark.django_db
def test_an_opt_out_on_a_call_is_spooled_too_and_recorded_once(customer):
    call = Call.objects.create(
        call_sid="CA" + "4" * 32,
        direction=Call.Direction.OUTBOUND,
        from_number="+13125550100",
        to_number=customer.phone,
    )

    recorded = opt_out_on_call(
        customer_id=customer.pk, phone=customer.phone, call_id=call.pk, source="voice_keypad", detail="9"
    )
    opt_out_spool_apply()

    assert recorded
    entry = json.loads(spool_file().read_text())
    assert (entry["channel"], entry["call_id"], entry["customer_id"]) == ("calls", call.pk, customer.pk)
    [event] = ConsentEvent.objects.all()
    assert (event.call, event.source, event.scope) == (call, "voice_keypad", "all")
    customer.refresh_from_db()
    assert not customer.calls_allowed


@pytest.mark.django_db
def test_a_spooled_call_opt_out_is_applied_to_that_customer_with_its_call(customer):
    call = Call.objects.create(
        call_sid="CA" + "6" * 32,
        direction=Call.Direction.OUTBOUND,
        from_number="+1",
        to_number=customer.phone,
    )
    spool_append(
        phone=customer.phone,
        word="stop calling me",
        message_sid="",
        at=ASKED,
        source="voice_phrase",
        channel="calls",
        call_id=call.pk,
        customer_id=customer.pk,
    )

    assert opt_out_spool_apply() == 1
    assert opt_out_spool_apply() == 0

    event = ConsentEvent.objects.get()
    assert (event.customer, event.call, event.at, event.detail) == (customer, call, ASKED, "stop calling me")
    customer.refresh_from_db()
    assert customer.calls_opted_out_at == ASKED


@pytest.mark.django_db
def test_an_entry_the_database_refuses_does_not_hold_back_the_ones_after_it(customer):
    spool_append(phone=customer.phone, word="STOP", message_sid="", at=ASKED, source="sms", channel="fax")
    spool_stop(customer.phone)

    assert opt_out_spool_apply() == 2

    customer.refresh_from_db()
    assert customer.sms_opted_out_at == ASKED
    assert '"channel":"fax"' in spool_file().read_text()  # the refused entry stays as evidence
