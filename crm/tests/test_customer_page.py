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


def _add(client: Client, **fields) -> object:
    data = {
        "name": "Sam Whitfield",
        "phone": "(312) 555-0147",
        "preferred_language": "en",
        "vehicles-TOTAL_FORMS": "0",
        "vehicles-INITIAL_FORMS": "0",
        **fields,
    }
    return client.post("/admin/crm/customer/add/", data)


def test_a_second_customer_on_the_same_phone_is_refused_with_who_has_it(shop, customer, boss):
    response = _add(boss)

    assert response.status_code == 200  # the form again, with the reason
    assert "already belongs to Dana Whitfield" in response.content.decode()
    assert customer.__class__.objects.count() == 1


def test_it_is_saved_when_confirmed_and_caller_id_keeps_the_first_customer(shop, customer, boss):
    response = _add(boss, confirm_shared_phone="on")

    assert response.status_code == 302
    sam = customer.__class__.objects.get(name="Sam Whitfield")
    assert sam.phone == "+13125550147" and sam.secondary_on_phone
    customer.refresh_from_db()
    assert not customer.secondary_on_phone


def test_saving_an_existing_customer_unchanged_is_not_questioned(shop, customer, boss):
    page = boss.get(f"/admin/crm/customer/{customer.pk}/change/")
    assert page.status_code == 200
    assert "already belongs" not in page.content.decode()


def test_the_card_names_a_language_other_than_english_only(shop, customer, boss):
    assert "language" not in _card(boss, customer).lower()  # English: nothing to say

    customer.preferred_language = "es"
    customer.save()
    card = _card(boss, customer)
    assert "Speaks Spanish" in card and "language: es" not in card


def test_the_page_explains_the_phone_format_and_shows_a_readable_service_history(shop, customer, boss):
    from datetime import date
    from decimal import Decimal

    from crm.models import ServiceRecord

    ServiceRecord.objects.create(
        vehicle=customer.vehicles.get(),
        date=date(2026, 11, 9),
        description="Oil change",
        mileage=42100,
        cost=Decimal("59.99"),
        notes="Full synthetic 0W-20",
    )
    page = boss.get(f"/admin/crm/customer/{customer.pk}/change/").content.decode()

    assert "(312) 555-0123 or +1 312 555 0123" in page and "E.164" not in page
    assert re.search(r'name="phone"[^>]*value="\(312\) 555-0147"', page)  # national format in the field
    assert "Texts opted out at" in page and "Sms opted out at" not in page
    history = page.split('id="service-history"', 1)[1].split("</table>", 1)[0]
    assert "<th" in history and ">Date</th>" in history and ">Cost</th>" in history
    assert "Nov 9, 2026" in history and "2026-11-09" not in history
    assert ">$59.99</td>" in history and "42,100 mi" in history
