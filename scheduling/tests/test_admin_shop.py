"""The shop's own facts in the admin: settings, hours, closures, the catalog and busy time."""

from datetime import datetime, time
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from scheduling.models import BusinessHours, BusyBlock, Closure, ServiceType, Shop
from scheduling.services import appointment_book
from scheduling.tests.admin_pages import change_form_data, changelist_form_data, error_text
from scheduling.tests.clock import CHICAGO, MONDAY

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.mark.parametrize("model", ["shop", "businesshours", "closure", "servicetype", "busyblock"])
def test_its_lists_render(admin_client, shop, catalog, model):
    response = admin_client.get(reverse(f"admin:scheduling_{model}_changelist"))
    assert response.status_code == 200


def test_the_shop_is_a_singleton(admin_client, shop):
    assert admin_client.get(reverse("admin:scheduling_shop_add")).status_code == 403
    delete = reverse("admin:scheduling_shop_delete", args=[shop.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Shop.objects.count() == 1


def test_it_edits_the_shop_and_checks_what_it_can(admin_client, shop):
    url = reverse("admin:scheduling_shop_change", args=[shop.pk])
    page = admin_client.get(url)
    titles = [fieldset.name for fieldset in page.context["adminform"]]
    assert titles == [
        "Identity",
        "Time zone",
        "Booking rules and capacity",
        "Reminder calls",
        "Call recording",
        "Alerts",
    ]

    bad = change_form_data(page, reminder_window_start="20:00", reminder_window_end="09:00")
    assert "The reminder window must end after it starts." in error_text(admin_client.post(url, bad))

    good = change_form_data(
        page, phone_number="(312) 555-0199", per_slot_capacity="4", timezone="America/Denver"
    )
    assert admin_client.post(url, good).status_code == 302
    shop.refresh_from_db()
    assert (shop.phone_number, shop.per_slot_capacity, str(shop.timezone)) == (
        "+13125550199",
        4,
        "America/Denver",
    )


def test_it_keeps_alert_addresses_clean(admin_client, shop):
    url = reverse("admin:scheduling_shop_change", args=[shop.pk])
    page = admin_client.get(url)

    bad = change_form_data(page, alert_emails="owner@example.com, not-an-address")
    assert "not-an-address is not an email address." in error_text(admin_client.post(url, bad))

    good = change_form_data(
        page,
        alert_channel="both",
        alert_emails=" owner@example.com ,desk@example.com",
        alert_phones="(312) 555-0188",
    )
    assert admin_client.post(url, good).status_code == 302
    shop.refresh_from_db()
    assert (shop.alert_emails, shop.alert_phones) == ("owner@example.com, desk@example.com", "+13125550188")


def test_it_edits_hours_from_the_list_and_refuses_closing_before_opening(admin_client, shop):
    url = reverse("admin:scheduling_businesshours_changelist")
    monday = BusinessHours.objects.get(weekday=0)
    index = next(
        i for i, f in enumerate(admin_client.get(url).context["cl"].formset.forms) if f.instance == monday
    )

    data = changelist_form_data(admin_client.get(url), **{f"form-{index}-closes": "17:00"})
    assert admin_client.post(url, data).status_code == 302
    monday.refresh_from_db()
    assert monday.closes == time(17)

    data = changelist_form_data(admin_client.get(url), **{f"form-{index}-closes": "07:00"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "The shop must close after it opens." in str(response.context["cl"].formset.errors)
    monday.refresh_from_db()
    assert monday.closes == time(17)


def test_it_refuses_overlapping_shifts(admin_client, shop):
    response = admin_client.post(
        reverse("admin:scheduling_businesshours_add"), {"weekday": 0, "opens": "12:00", "closes": "20:00"}
    )
    assert "These hours overlap Monday 7:30 AM–6:00 PM" in error_text(response)
    assert BusinessHours.objects.filter(weekday=0).count() == 1


def test_a_closure_needs_both_times_or_neither(admin_client, shop):
    closure = Closure.objects.create(date=MONDAY, starts=time(12), ends=time(13), reason="staff meeting")
    url = reverse("admin:scheduling_closure_change", args=[closure.pk])
    response = admin_client.post(
        url, {"date": MONDAY.isoformat(), "starts": "12:00", "ends": "", "reason": "staff meeting"}
    )
    assert response.status_code == 200
    assert "Give both a start and an end time" in error_text(response)
    closure.refresh_from_db()
    assert closure.ends == time(13)


def test_a_closure_over_booked_appointments_warns_the_advisor(admin_client, shop, catalog, customer):
    start = datetime.combine(MONDAY, time(12, 30), tzinfo=CHICAGO)
    appointment_book(customer=customer, service_code="oil_change", start=start, channel="ai_phone")
    response = admin_client.post(
        reverse("admin:scheduling_closure_add"),
        {"date": MONDAY.isoformat(), "starts": "12:00", "ends": "13:00", "reason": "power outage"},
    )
    assert response.status_code == 302
    notes = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "1 appointment(s) are already booked in this closure on Monday, November 23" in notes


def test_it_edits_price_duration_and_active_from_the_catalog_list(admin_client, shop, catalog):
    url = reverse("admin:scheduling_servicetype_changelist")
    forms = admin_client.get(url).context["cl"].formset.forms
    index = next(i for i, f in enumerate(forms) if f.instance.code == "oil_change")
    changes = {f"form-{index}-price": "59.99", f"form-{index}-duration_minutes": "40"}
    changes[f"form-{index}-active"] = None  # an unticked box is simply absent
    data = changelist_form_data(admin_client.get(url), **changes)
    assert admin_client.post(url, data).status_code == 302
    oil = ServiceType.objects.get(code="oil_change")
    assert (oil.price, oil.duration_minutes, oil.active) == (Decimal("59.99"), 40, False)


def test_it_searches_the_catalog_by_synonym(admin_client, shop, catalog):
    ServiceType.objects.filter(code="battery_replacement").update(synonyms="dead battery, won't start")
    response = admin_client.get(reverse("admin:scheduling_servicetype_changelist"), {"q": "dead battery"})
    assert [s.code for s in response.context["cl"].result_list] == ["battery_replacement"]


def test_synced_busy_blocks_are_view_only_and_manual_ones_use_shop_time(admin_client, shop):
    synced = BusyBlock.objects.create(
        start=datetime(2026, 11, 23, 15, tzinfo=CHICAGO),
        end=datetime(2026, 11, 23, 16, tzinfo=CHICAGO),
        external_id="g-1",
        summary="Google event",
    )
    page = admin_client.get(reverse("admin:scheduling_busyblock_change", args=[synced.pk]))
    assert page.context["has_change_permission"] is False
    response = admin_client.post(
        reverse("admin:scheduling_busyblock_add"),
        {
            "start_0": "2026-11-23",
            "start_1": "08:00",
            "end_0": "2026-11-23",
            "end_1": "09:00",
            "summary": "lift repair",
        },
    )
    assert response.status_code == 302
    manual = BusyBlock.objects.get(summary="lift repair")
    assert manual.source == "manual"
    assert manual.start == datetime(2026, 11, 23, 8, tzinfo=CHICAGO)


def test_the_settings_page_speaks_plainly_and_fits_the_screen(admin_client, shop, django_user_model):
    shop.phone_number = "+13125550147"
    shop.save()
    django_user_model.objects.create_user("desk", email="desk@example.com", is_staff=True)
    page = admin_client.get(reverse("admin:scheduling_shop_change", args=[shop.pk]))
    html = page.content.decode()
    assert 'value="(312) 555-0147"' in html  # the number as the shop dials it, not +13125550147
    assert "E.164" not in html and "Hold down" not in html
    assert "selectfilter" not in html.lower()  # no two-column picker wider than a laptop
    assert 'type="checkbox" name="alert_users"' in html
    for label in (
        "Shortest notice (minutes)",
        "Book how far ahead (days)",
        "Technician time per day (minutes)",
    ):
        assert label in html
