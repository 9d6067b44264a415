"""Texts to our number: STOP stops texts and calls at once, START undoes it, HELP helps, C confirms."""

import base64
import hashlib
import hmac
import itertools
import xml.etree.ElementTree as ET
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from crm.models import Customer
from reminders.models import ConsentEvent, Reminder
from reminders.services import reminder_deliver, reminder_schedule
from scheduling.models import Appointment, AppointmentChange
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.models import CallbackRequest

AUTH_TOKEN = "sms-test-token"
BASE = "https://shop.example.com"
URL = "/voice/sms/"
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def twilio_settings(settings) -> None:
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.PUBLIC_BASE_URL = BASE
    settings.DEBUG = False


_message_sids = itertools.count(1)


def text(client, body: str, *, sender: str = "+13125550147", sid: str | None = None, signed: bool = True):
    """A text as Twilio posts it; each gets its own MessageSid unless `sid` is given."""
    sid = f"SM{next(_message_sids):032d}" if sid is None else sid
    params = {"From": sender, "To": "+13125550100", "Body": body, "MessageSid": sid}
    payload = BASE + URL + "".join(f"{k}{params[k]}" for k in sorted(params))
    signature = base64.b64encode(
        hmac.new(django_settings.TWILIO_AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()
    return client.post(URL, params, HTTP_X_TWILIO_SIGNATURE=signature if signed else "")


def reply(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content).findtext("Message")


@pytest.fixture
def appointment(shop, catalog, customer) -> Appointment:
    start = timezone.now() + timedelta(days=3)
    service = catalog["oil_change"]
    return Appointment.objects.create(
        customer=customer,
        service_type=service,
        start=start,
        end=start + timedelta(minutes=30),
        local_date=start.astimezone(CHICAGO).date(),
        duration_minutes=30,
        price_quoted=service.price,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Quit. ", "END", "revoke", "Opt out", "opt-out", "CANCEL", "unsubscribe"]
)
def test_an_opt_out_keyword_stops_texts_and_calls_at_once_with_evidence(client, shop, customer, body):
    message = reply(text(client, body, sid="SM" + "1" * 32))

    customer.refresh_from_db()
    assert customer.sms_opted_out_at is not None
    assert customer.calls_opted_out_at is not None
    assert "won't get any more reminder texts or calls" in message
    assert "Reply START" in message
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.action, event.scope, event.source) == ("opt_out", "all", "sms_keyword")
    assert event.message_sid == "SM" + "1" * 32
    assert event.phone == "+13125550147"


@pytest.mark.django_db
def test_after_stop_no_reminder_call_or_text_goes_out(
    client,
    shop,
    customer,
    appointment,
    settings,
    fake_twilio,  # noqa: F811
):
    settings.PUBLIC_BASE_URL = BASE
    reminder = reminder_schedule(appointment_id=appointment.pk)
    reply(text(client, "STOP"))

    Reminder.objects.filter(pk=reminder.pk).update(status="pending", due_at=timezone.now())
    reminder_deliver(reminder_id=reminder.pk)

    assert fake_twilio.requests == []
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SKIPPED


@pytest.mark.django_db
def test_start_opts_back_in_to_what_stop_turned_off(client, shop, customer):
    reply(text(client, "STOP"))
    message = reply(text(client, "START"))

    customer.refresh_from_db()
    assert customer.sms_opted_out_at is None and customer.calls_opted_out_at is None
    assert "receive appointment reminders again" in message
    assert list(ConsentEvent.objects.order_by("pk").values_list("action", flat=True)) == ["opt_out", "opt_in"]


@pytest.mark.django_db
def test_start_does_not_undo_an_opt_out_made_on_a_call(client, shop, customer):
    from reminders.services import opt_out_record

    opt_out_record(customer=customer, channel="calls", source="voice_keypad")
    reply(text(client, "UNSTOP"))

    customer.refresh_from_db()
    assert customer.sms_opted_out_at is None
    assert customer.calls_opted_out_at is not None


@pytest.mark.django_db
def test_help_explains_how_to_reach_us_and_stop(client, shop, customer):
    message = reply(text(client, "help"))

    assert message.startswith("Lakeside Auto Service appointment reminders.")
    assert "(312) 555-0100" in message and "STOP" in message


@pytest.mark.django_db
def test_c_confirms_the_next_appointment(client, shop, customer, appointment):
    message = reply(text(client, "c"))

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert "oil change appointment on" in message and "is confirmed" in message
    change = AppointmentChange.objects.get(appointment=appointment)
    assert "customer replied C by text" in change.detail
    assert "already confirmed" in reply(text(client, "C"))


@pytest.mark.django_db
def test_c_without_an_upcoming_appointment_says_so(client, shop, customer):
    assert "couldn't find an upcoming appointment" in reply(text(client, "C"))


@pytest.mark.django_db
def test_an_unknown_number_gets_a_polite_reply_and_the_message_is_kept(client, shop):
    message = reply(text(client, "Is my car ready?", sender="+13125559999"))

    assert "don't recognise this number" in message
    kept = CallbackRequest.objects.get()
    assert (kept.phone, kept.reason) == ("+13125559999", "Text message: Is my car ready?")


@pytest.mark.django_db
def test_any_other_text_from_a_customer_reaches_an_advisor(client, shop, customer):
    message = reply(text(client, "Can I bring it in an hour later?"))

    assert "passed your message to our service team" in message
    assert CallbackRequest.objects.get().customer == customer


@pytest.mark.django_db
def test_an_unsigned_text_is_refused_and_changes_nothing(client, shop, customer):
    response = text(client, "STOP", signed=False)

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.sms_opted_out_at is None
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_stop_from_a_shared_number_opts_out_every_customer_on_it(client, shop, customer):
    partner = Customer.objects.create(name="Sam Whitfield", phone="+13125550111", alt_phone="+13125550147")

    reply(text(client, "STOP"))

    assert (
        Customer.objects.filter(pk__in=[customer.pk, partner.pk], sms_opted_out_at__isnull=False).count() == 2
    )


@pytest.mark.django_db
def test_stop_from_an_unknown_number_is_still_recorded(client, shop):
    reply(text(client, "STOP", sender="+13125559999"))

    event = ConsentEvent.objects.get()
    assert (event.customer, event.phone, event.action) == (None, "+13125559999", "opt_out")


@pytest.mark.django_db
def test_cancel_opts_out_and_flags_the_visit_for_an_advisor(client, shop, customer, appointment):
    message = reply(text(client, "CANCEL"))

    customer.refresh_from_db()
    assert customer.sms_opted_out_at is not None
    assert "To cancel an appointment, call (312) 555-0100." in message
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED  # only a person cancels on a one-word text
    assert f"cancel appointment {appointment.pk}" in CallbackRequest.objects.get(customer=customer).reason


@pytest.mark.django_db
def test_nul_characters_are_dropped_and_the_opt_out_still_counts(client, shop, customer):
    message = reply(text(client, "\x00STOP\x00", sender="+1312555\x000147", sid="SM\x00" + "1" * 32))

    customer.refresh_from_db()
    assert customer.sms_opted_out_at is not None
    assert "won't get any more reminder texts or calls" in message
    assert ConsentEvent.objects.get(customer=customer).message_sid == "SM" + "1" * 32


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["ALTO", "alto", "Pare.", "No me llamen", "BAJA"])
def test_a_spanish_opt_out_word_stops_texts_and_calls_and_is_answered_in_spanish(
    client, shop, customer, body
):
    message = reply(text(client, body))

    customer.refresh_from_db()
    assert customer.sms_opted_out_at is not None and customer.calls_opted_out_at is not None
    assert message.startswith(
        "Lakeside Auto Service: ya no recibirá más mensajes ni llamadas de recordatorio."
    )
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.action, event.scope, event.source) == ("opt_out", "all", "sms_keyword")


@pytest.mark.django_db
def test_a_spanish_speaker_confirming_by_text_is_answered_in_spanish(client, customer, appointment):
    customer.preferred_language = "es"
    customer.save()

    confirmed = reply(text(client, "C"))
    again = reply(text(client, "c"))
    helped = reply(text(client, "AYUDA por favor"))

    assert confirmed.startswith("Lakeside Auto Service: gracias, su cita de oil change el ")
    assert confirmed.endswith("está confirmada. ¡Lo esperamos!")
    assert "ya está confirmada" in again
    assert "pasamos su mensaje a nuestro equipo de servicio" in helped
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


@pytest.mark.django_db
def test_c_never_confirms_a_test_booking_made_as_the_customer(client, shop, customer, appointment):
    """A tester booked as this customer on a browser test call, sooner than their real visit: the
    customer's "C" confirms their real visit, and the test booking stays as it was."""
    test_booking = Appointment.objects.create(
        customer=customer,
        service_type=appointment.service_type,
        start=appointment.start - timedelta(days=1),
        end=appointment.end - timedelta(days=1),
        local_date=(appointment.start - timedelta(days=1)).astimezone(CHICAGO).date(),
        duration_minutes=30,
        price_quoted=appointment.price_quoted,
        is_test=True,
    )

    reply(text(client, "C"))

    appointment.refresh_from_db()
    test_booking.refresh_from_db()
    assert (appointment.status, test_booking.status) == (
        Appointment.Status.CONFIRMED,
        Appointment.Status.SCHEDULED,
    )
