"""The customer's page: a header card (click-to-call, cars with plate and VIN tail, next visit, open
callbacks and calls, opt-outs) with links that open exactly those lists, and Book appointment."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from voice.models import Call, CallbackRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-boss-12345"))
    return client


def _card(client: Client, customer) -> str:
    page = client.get(f"/admin/crm/customer/{customer.pk}/change/").content.decode()
    return page.split('id="customer-card"', 1)[1].split('id="customer_form"', 1)[0]


def test_the_card_shows_the_customer_at_a_glance(shop, customer, boss):
    vehicle = customer.vehicles.get()
    vehicle.plate = "ABC 1234"
    vehicle.save()
    card = _card(boss, customer)
    assert 'href="tel:+13125550147"' in card and "(312) 555-0147" in card
    assert "ABC 1234" in card and "…118341" in card
    assert f'href="/admin/scheduling/appointment/add/?customer={customer.pk}"' in card


def test_its_callback_and_call_links_open_just_this_customers(shop, customer, boss):
    other = customer.__class__.objects.create(name="Lee Park", phone="+13125550122")
    for who in (customer, customer, other):
        CallbackRequest.objects.create(customer=who, phone=who.phone, reason="Call me")
    Call.objects.create(call_sid="CA" + "7" * 32, from_number=customer.phone, customer=customer)
    card = _card(boss, customer)

    for link, count in (("callbackrequest", 2), ("call", 1)):
        url = re.search(rf'href="(/admin/voice/{link}/\?[^"]+)"', card).group(1).replace("&amp;", "&")
        listing = boss.get(url)
        assert listing.status_code == 200, url
        assert f">{count}</a>" in card
        assert listing.content.decode().count('name="_selected_action"') == count, url
