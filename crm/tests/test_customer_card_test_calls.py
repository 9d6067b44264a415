"""The top of a customer's page counts their calls and open messages as the lists it links to do: a
browser test call placed as this customer (and a message left on it) is in neither; and its next
appointment is a real one, never a test booking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.selectors import customer_card
from voice.models import Call
from voice.services import callback_request_create

pytestmark = pytest.mark.django_db


def test_test_calls_and_their_messages_are_not_counted(shop, customer, admin_client):
    real = Call.objects.create(call_sid="CA" + "1" * 32, from_number=customer.phone, customer=customer)
    test = Call.objects.create(
        call_sid="TC" + "2" * 32, from_number=customer.phone, customer=customer, is_test=True
    )
    for call in (real, test):
        callback_request_create(
            phone=customer.phone, reason="Call me", call_id=call.pk, customer_id=customer.pk
        )

    card = customer_card(customer=customer)

    assert (card.calls, card.open_callbacks) == (1, 1)
    calls = admin_client.get(f"/admin/voice/call/?customer__id__exact={customer.pk}")
    assert calls.context["cl"].result_count == card.calls


def test_the_next_appointment_is_never_a_test_booking(
    shop, catalog, customer, make_appointment, admin_client
):
    """A tester booked as this customer on a browser test call, before their real visit: the page's
    "next appointment" (the card and the customer list's column) is still the real visit."""
    soon = timezone.now() + timedelta(days=1)
    make_appointment(customer, soon, is_test=True)
    real = make_appointment(customer, soon + timedelta(days=2))

    card = customer_card(customer=customer)
    listed = admin_client.get("/admin/crm/customer/")

    assert card.next_appointment == real
    row = next(c for c in listed.context["cl"].result_list if c.pk == customer.pk)
    assert row.next_start == real.start
