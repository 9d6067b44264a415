"""The language heard on a call is learnt as the customer's preference (their next call is greeted in
it), but not from a browser test call placed as that customer: a tester trying Spanish must not change
how a real customer is greeted."""

import pytest

from crm.models import Customer
from voice.models import Call
from voice.services import call_set_language

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("is_test, learnt", [(False, "es"), (True, "en")])
def test_a_test_call_does_not_teach_the_customer_a_language(customer, is_test, learnt):
    call = Call.objects.create(
        call_sid="TC" + "3" * 32, from_number=customer.phone, customer=customer, is_test=is_test
    )

    call_set_language(call_id=call.pk, language="es")
    call_set_language(call_id=call.pk, language="es", customer_id=customer.pk)

    assert Call.objects.get(pk=call.pk).language == "es"  # the call itself goes on in Spanish
    assert Customer.objects.get(pk=customer.pk).preferred_language == learnt
