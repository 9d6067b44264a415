from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.admin import _admin_link
from crm.models import Customer, ServiceRecord, Vehicle
from scheduling.models import Appointment

CHANGELIST = "admin:crm_customer_changelist"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago


@pytest.fixture
def admin_client(db, client):
    # No password: hashing one costs a second per test and force_login does not need it.
    client.force_login(User.objects.create_superuser("advisor", "advisor@example.com", None))
    return client


@pytest.fixture
def desk(shop, customer):
    civic = customer.vehicles.get()
    civic.plate = "ABC 1234"
    civic.save()
    other = Customer.objects.create(name="Lee Park", phone="+17735550122")
    Vehicle.objects.create(
        customer=other, year=2020, make="Kia", model="Soul", vin="1M8GDM9AXKP042788", plate="XYZ99"
    )
    return other


def _names_listed(admin_client, query: str) -> set[str]:
    response = admin_client.get(reverse(CHANGELIST), {"q": query})
    assert response.status_code == 200
    return {c.name for c in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "query",
    [
        "(312) 555-0147",
        "312.555.0147",
        "+1 312 555 0147",
        "whitfield",
        "1G4AH59H45G118341",
        "g118341",
        "abc1234",
        "abc 1234",
    ],
)
def test_it_finds_the_customer_from_the_search_box(admin_client, desk, query):
    assert _names_listed(admin_client, query) == {"Dana Whitfield"}


def test_it_lists_phones_nicely_with_vehicle_counts_and_the_next_appointment(
    admin_client, desk, customer, make_appointment
):
    Vehicle.objects.create(customer=customer, year=2012, make="Ford", model="Focus")
    with time_machine.travel(NOW, tick=False):
        make_appointment(customer, NOW - timedelta(days=3))
        make_appointment(customer, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
        make_appointment(customer, NOW + timedelta(days=1), status=Appointment.Status.CANCELLED)
        response = admin_client.get(reverse(CHANGELIST))

    html = response.content.decode()
    assert "(312) 555-0147" in html
    assert "(773) 555-0122" in html
    row = next(c for c in response.context["cl"].result_list if c.pk == customer.pk)
    assert row.vehicles_n == 2
    assert "Tue Mar 10, 2026 9:00 AM" in html  # shop-local (CDT), not UTC


def test_it_filters_customers_who_opted_out(admin_client, desk, customer):
    customer.sms_opted_out_at = NOW
    customer.save()
    response = admin_client.get(reverse(CHANGELIST), {"sms": "out"})
    assert [c.name for c in response.context["cl"].result_list] == ["Dana Whitfield"]
    response = admin_client.get(reverse(CHANGELIST), {"sms": "allowed"})
    assert [c.name for c in response.context["cl"].result_list] == ["Lee Park"]


def test_it_lists_customers_the_phone_agent_flagged_for_review(admin_client, desk, customer):
    desk.review_note = "Added on a call as another person on the number of Dana Whitfield; check who this is."
    desk.save()

    response = admin_client.get(reverse(CHANGELIST), {"review": "yes"})

    assert [c.name for c in response.context["cl"].result_list] == ["Lee Park"]
    assert "Needs review" in response.content.decode()
    page = admin_client.get(reverse("admin:crm_customer_change", args=[desk.pk])).content.decode()
    assert "another person on the number of Dana Whitfield" in page


def test_it_shows_vehicles_appointments_and_history_on_the_change_page(
    admin_client, desk, customer, catalog, make_appointment
):
    civic = customer.vehicles.get()
    with time_machine.travel(NOW, tick=False):
        upcoming = make_appointment(customer, datetime(2026, 3, 10, 14, 0, tzinfo=UTC), code="tire_rotation")
        past = make_appointment(customer, NOW - timedelta(days=40), status=Appointment.Status.COMPLETED)
        ServiceRecord.objects.create(
            vehicle=civic,
            date=date(2026, 1, 21),
            service_type=catalog["oil_change"],
            cost=Decimal("49.99"),
            mileage=41250,
            notes="Synthetic 0W-20",
        )
        response = admin_client.get(reverse("admin:crm_customer_change", args=[customer.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    formsets = {f.formset.prefix: f for f in response.context["inline_admin_formsets"]}
    upcoming_ids = [form.instance.pk for form in formsets["appointments"].formset.forms]
    past_ids = [form.instance.pk for form in formsets["appointments-2"].formset.forms]
    assert (upcoming_ids, past_ids) == ([upcoming.pk], [past.pk])
    assert f'href="/admin/scheduling/appointment/{upcoming.pk}/change/"' in html
    assert "1G4AH59H45G118341" in html
    assert "ABC 1234" in html
    assert "Synthetic 0W-20" in html
    assert "$49.99" in html
    assert "41,250" in html


def _customer_post(**overrides) -> dict[str, str]:
    data = {
        "name": "Ana Lopez",
        "phone": "(312) 555-0188",
        "alt_phone": "",
        "email": "",
        "preferred_language": "en",
        "vehicles-TOTAL_FORMS": "0",
        "vehicles-INITIAL_FORMS": "0",
        "vehicles-MIN_NUM_FORMS": "0",
        "vehicles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_it_stores_an_advisors_phone_as_e164(admin_client, shop):
    response = admin_client.post(reverse("admin:crm_customer_add"), _customer_post(alt_phone="773.555.0101"))
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.phone, customer.alt_phone) == ("+13125550188", "+17735550101")


def test_it_rejects_a_bad_phone_with_a_readable_message(admin_client, shop):
    response = admin_client.post(reverse("admin:crm_customer_add"), _customer_post(phone="555-0188"))
    assert response.status_code == 200
    assert "isn&#x27;t a valid phone number" in response.content.decode()
    assert "area code" in response.context["adminform"].form.errors["phone"][0]
    assert Customer.objects.count() == 0


def test_it_adds_a_vehicle_inline_with_a_flagged_vin_and_warns(admin_client, shop):
    data = _customer_post(
        **{
            "vehicles-TOTAL_FORMS": "1",
            "vehicles-0-year": "2017",
            "vehicles-0-make": "Tesla",
            "vehicles-0-model": "Model S",
            "vehicles-0-vin": "5yjsa1e26hf000001",
            "vehicles-0-plate": "ev 2017",
        }
    )
    response = admin_client.post(reverse("admin:crm_customer_add"), data, follow=True)
    vehicle = Vehicle.objects.get()
    assert (vehicle.vin, vehicle.vin_flagged, vehicle.plate) == ("5YJSA1E26HF000001", True, "EV 2017")
    assert any("check digit" in str(m) for m in get_messages(response.wsgi_request))


def _vehicle_post(customer: Customer, **overrides) -> dict[str, str]:
    data = {
        "customer": str(customer.pk),
        "year": "2017",
        "make": "Tesla",
        "model": "Model S",
        "vin": "5YJSA1E26HF000001",
        "service_records-TOTAL_FORMS": "0",
        "service_records-INITIAL_FORMS": "0",
        "service_records-MIN_NUM_FORMS": "0",
        "service_records-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_it_saves_a_vehicle_with_a_bad_check_digit_flagged_and_warns(admin_client, customer):
    response = admin_client.post(reverse("admin:crm_vehicle_add"), _vehicle_post(customer), follow=True)
    assert response.status_code == 200
    vehicle = Vehicle.objects.get(vin="5YJSA1E26HF000001")
    assert vehicle.vin_flagged is True
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert "flagged for review" in warnings[0]


def test_it_clears_the_flag_when_the_vin_is_corrected(admin_client, customer):
    admin_client.post(reverse("admin:crm_vehicle_add"), _vehicle_post(customer), follow=True)
    vehicle = Vehicle.objects.get(vin="5YJSA1E26HF000001")
    response = admin_client.post(
        reverse("admin:crm_vehicle_change", args=[vehicle.pk]),
        _vehicle_post(customer, vin="1M8GDM9AXKP042788"),
        follow=True,
    )
    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.vin_flagged) == ("1M8GDM9AXKP042788", False)
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


@pytest.mark.parametrize(
    ("vin", "fragment"), [("5YJSA1E26HF00000", "17 characters"), ("5YJSA1E26HF00000I", "except I, O and Q")]
)
def test_it_refuses_a_vin_with_bad_syntax(admin_client, customer, vin, fragment):
    response = admin_client.post(reverse("admin:crm_vehicle_add"), _vehicle_post(customer, vin=vin))
    assert response.status_code == 200
    assert fragment in response.context["adminform"].form.errors["vin"][0]
    assert not Vehicle.objects.filter(make="Tesla").exists()


def test_it_refuses_an_implausible_model_year(admin_client, customer):
    response = admin_client.post(reverse("admin:crm_vehicle_add"), _vehicle_post(customer, year="1900"))
    assert "between 1950" in response.context["adminform"].form.errors["year"][0]


@pytest.mark.parametrize("query", ["118341", "abc1234", "dana", "(312) 555-0147"])
def test_it_finds_vehicles_by_vin_plate_or_owner(admin_client, desk, query):
    response = admin_client.get(reverse("admin:crm_vehicle_changelist"), {"q": query})
    assert [v.model for v in response.context["cl"].result_list] == ["Civic"]


def test_it_lists_and_searches_service_records(admin_client, customer, catalog):
    civic = customer.vehicles.get()
    ServiceRecord.objects.create(vehicle=civic, date=date(2026, 1, 21), service_type=catalog["oil_change"])
    ServiceRecord.objects.create(vehicle=civic, date=date(2025, 7, 2), description="Wiper blades")
    response = admin_client.get(reverse("admin:crm_servicerecord_changelist"), {"q": "wiper"})
    assert response.status_code == 200
    assert [r.description for r in response.context["cl"].result_list] == ["Wiper blades"]
    page = admin_client.get(reverse("admin:crm_servicerecord_changelist"))
    assert "Dana Whitfield" in page.content.decode()


def test_it_links_to_admin_pages_only_when_they_exist():
    assert (
        _admin_link("admin:crm_customer_change", 7, "#7") == '<a href="/admin/crm/customer/7/change/">#7</a>'
    )
    assert _admin_link("admin:not_registered_change", 7, "#7") == "#7"


def test_the_vehicle_list_flags_only_the_vins_to_check(admin_client, customer):
    car = customer.vehicles.get()
    Vehicle.objects.filter(pk=car.pk).update(vin_flagged=True)
    Vehicle.objects.create(customer=customer, make="Honda", model="Civic", vin="1HGCM82633A004352")

    page = admin_client.get(reverse("admin:crm_vehicle_changelist")).content.decode()

    assert page.count('data-badge="warning">Check VIN</span>') == 1
    assert "close_small" not in page  # no red cross on the cars whose VIN is fine
