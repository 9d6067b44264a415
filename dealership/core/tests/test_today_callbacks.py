"""Today's open callback requests are the shop's work: a message left on a browser test call (which may be
made as a real customer) is not there, as test calls are not in Today's recent calls either."""

import pytest

from dealership.core.today import today_desk
from voice.models import Call
from voice.services import callback_request_create

pytestmark = pytest.mark.django_db


def test_a_message_taken_on_a_test_call_is_not_an_open_callback(shop, admin_client):
    real = Call.objects.create(call_sid="CA" + "1" * 32, from_number="+13125550147")
    test = Call.objects.create(call_sid="TC" + "2" * 32, from_number="+13125550148", is_test=True)
    callback_request_create(phone="+13125550147", name="Dana Ruiz", reason="Brake quote", call_id=real.pk)
    callback_request_create(phone="+13125550148", name="Tess Tester", reason="Trying it out", call_id=test.pk)
    client = admin_client

    desk = today_desk(deployment_warnings=False)

    assert [c.name for c in desk.callbacks.rows] == ["Dana Ruiz"] and desk.callbacks.count == 1
    # "All open" lists the same messages.
    listed = client.get(desk.callbacks.url).content.decode()
    assert "Dana Ruiz" in listed and "Tess Tester" not in listed
