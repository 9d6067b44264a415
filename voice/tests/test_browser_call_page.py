"""The test-call page (`/admin/voice/call/test-call/`): it says which provider keys are missing, places
test calls as a customer or a new caller, and test calls stay out of the call list unless asked for."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from voice.models import Call

pytestmark = pytest.mark.django_db

PAGE = "/admin/voice/call/test-call/"


@pytest.fixture
def advisor(client: Client) -> User:
    user = User.objects.create_user("advisor", password="pw-12345678", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["place_test_call", "view_customer", "view_call"])
    )
    client.force_login(user)
    return user


@pytest.fixture
def keys(settings) -> None:
    settings.DEEPGRAM_API_KEY = "dg-key"
    settings.OPENAI_API_KEY = "oa-key"


def test_without_keys_the_page_says_which_are_missing(settings, shop, advisor, client):
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = ""

    page = client.get(PAGE).content.decode()
    placed = client.post(PAGE, {"engine": "cascade"})

    assert "Cascade (Deepgram + OpenAI) needs DEEPGRAM_API_KEY and OPENAI_API_KEY" in page
    assert "OpenAI Realtime needs OPENAI_API_KEY" in page
    assert placed.status_code == 400
    assert "needs DEEPGRAM_API_KEY and OPENAI_API_KEY" in placed.json()["error"]
    assert not Call.objects.exists()


def test_with_only_the_openai_key_realtime_is_offered_and_cascade_is_not(settings, shop, advisor, client):
    settings.DEEPGRAM_API_KEY, settings.OPENAI_API_KEY = "", "oa-key"

    assert client.post(PAGE, {"engine": "cascade"}).status_code == 400
    placed = client.post(PAGE, {"engine": "realtime"})

    assert placed.status_code == 200
    assert Call.objects.get(call_sid=placed.json()["call_sid"]).engine == "realtime"


def test_calling_as_a_customer_places_a_test_call_from_their_number(keys, shop, customer, advisor, client):
    placed = client.post(PAGE, {"engine": "cascade", "customer": str(customer.pk)}).json()

    call = Call.objects.get(call_sid=placed["call_sid"])
    assert call.is_test and call.status == Call.Status.RINGING and call.stream_claimed_at is None
    assert (call.customer, call.from_number) == (customer, customer.phone)
    assert placed["token"] == call.stream_token and placed["stream_path"] == "/voice/test-call/stream/"
    assert placed["customer"] == customer.name


def test_a_new_caller_gets_a_fictional_number_no_customer_has(keys, shop, customer, advisor, client):
    placed = client.post(PAGE, {"engine": "cascade"}).json()

    call = Call.objects.get(call_sid=placed["call_sid"])
    assert call.customer is None and call.from_number.startswith("+1312555")
    assert 100 <= int(call.from_number[-4:]) <= 199  # 555-0100 to 555-0199: set aside for fiction


def test_a_typed_number_of_a_customer_calls_as_them_and_nonsense_is_refused(
    keys, shop, customer, advisor, client
):
    national = f"({customer.phone[2:5]}) {customer.phone[5:8]}-{customer.phone[8:]}"
    placed = client.post(PAGE, {"engine": "cascade", "phone": national}).json()
    refused = client.post(PAGE, {"engine": "cascade", "phone": "call me maybe"})

    assert Call.objects.get(call_sid=placed["call_sid"]).customer == customer
    assert refused.status_code == 400 and "not a phone number" in refused.json()["error"]


def test_test_calls_are_hidden_from_the_call_list_unless_filtered_for(shop, advisor, client):
    Call.objects.create(call_sid="CA" + "1" * 32, from_number="+13125550111")
    Call.objects.create(call_sid="TC" + "1" * 32, from_number="+13125550122", is_test=True)
    changelist = reverse("admin:voice_call_changelist")

    default = client.get(changelist).content.decode()
    only_tests = client.get(changelist, {"is_test": "yes"}).content.decode()
    both = client.get(changelist, {"is_test": "all"}).content.decode()

    assert "555-0111" in default and "555-0122" not in default
    assert "555-0122" in only_tests and "555-0111" not in only_tests
    assert "555-0111" in both and "555-0122" in both


def test_without_the_customer_permission_only_a_new_number_can_call(keys, shop, customer, client):
    user = User.objects.create_user("trainee", password="pw-12345678", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="place_test_call"))
    client.force_login(user)

    page = client.get(PAGE).content.decode()
    refused = client.post(PAGE, {"engine": "cascade", "customer": str(customer.pk)})

    assert customer.name not in page
    assert refused.status_code == 400 and not Call.objects.exists()


def test_the_microphone_warning_names_this_servers_own_port_and_waits_for_the_browser(shop, advisor, client):
    page = client.get(PAGE, SERVER_PORT="8123").content.decode()

    warning = page.split('id="test-call-insecure"', 1)[1].split("</p>", 1)[0]
    assert warning.startswith(" hidden>")  # test_call.js shows it only when the page is not a secure context
    assert f'href="http://localhost:8123{PAGE}"' in warning and f"http://127.0.0.1:8123{PAGE}" in warning
    assert ":8000" not in page
