"""The top of a customer's page counts their calls and open messages as the lists it links to do: a
browser test call placed as this customer (and a message left on it) is in neither."""

import pytest

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
