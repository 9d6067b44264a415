"""Every admin page survives whatever its URL says: date-hierarchy years at the edge of the calendar,
year lookups no date can hold, and add-form values that are not dates or ids."""

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.urls import reverse

from scheduling.models import Appointment, BusyBlock

CHANGELISTS_WITH_A_DATE_HIERARCHY = [
    (model, model_admin.date_hierarchy)
    for model, model_admin in admin.site._registry.items()
    if model_admin.date_hierarchy
]


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize(
    ("model", "field"), CHANGELISTS_WITH_A_DATE_HIERARCHY, ids=lambda v: getattr(v, "__name__", v)
)
@pytest.mark.parametrize(
    "parts",
    [
        {"year": "9999"},
        {"year": "9999", "month": "12"},
        {"year": "9999", "month": "12", "day": "31"},
        {"year": "1"},
        {"year": "0"},
        {"year": "99999"},
        {"year": "²"},
        {"year": "9" * 5000},
    ],
    ids=["9999", "9999-12", "9999-12-31", "1", "0", "99999", "superscript", "5000-digits"],
)
def test_a_date_hierarchy_year_out_of_range_shows_the_whole_list(admin_client, shop, model, field, parts):
    params = {f"{field}__{part}": value for part, value in parts.items()}

    response = admin_client.get(changelist(model), params)

    assert response.status_code == 302
    assert response["Location"] == f"{changelist(model)}?{ERROR_FLAG}=1"
    assert admin_client.get(response["Location"]).status_code == 200


def test_a_date_hierarchy_year_in_range_still_filters(admin_client, shop):
    response = admin_client.get(
        changelist(Appointment), {"local_date__year": "2026", "local_date__month": "12"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("lookup", ["local_date__year", "start__year", "start__year__gte", "start__iso_year"])
@pytest.mark.parametrize("value", ["0", "10000", "99999"])
def test_a_year_lookup_no_date_can_hold_shows_the_whole_list(admin_client, shop, lookup, value):
    url = reverse("admin:scheduling_appointmentcalendarsync_changelist")

    response = admin_client.get(url, {lookup: value})

    assert response.status_code == 302
    assert response["Location"] == f"{url}?{ERROR_FLAG}=1"


@pytest.mark.parametrize("value", ["²", "\x00", "9999-99-99", "tomorrow"])
def test_an_add_form_ignores_a_datetime_in_the_url_it_cannot_read(admin_client, shop, value):
    response = admin_client.get(reverse("admin:scheduling_busyblock_add"), {"start": value, "end": value})

    assert response.status_code == 200


def test_an_add_form_still_takes_a_datetime_from_the_url(admin_client, shop):
    response = admin_client.get(reverse("admin:scheduling_busyblock_add"), {"start": "2026-11-23 09:30"})

    assert response.status_code == 200
    assert 'value="09:30 AM"' in response.content.decode()  # the back office's one time format
    assert BusyBlock.objects.count() == 0


@pytest.mark.parametrize("params", [{"action": "\x00"}, {"q": "\x00"}], ids=repr)
def test_a_nul_in_a_filter_or_search_shows_the_whole_list(admin_client, shop, params):
    url = reverse("admin:reminders_consentevent_changelist")

    response = admin_client.get(url, params)

    assert response.status_code == 302
    assert response["Location"] == f"{url}?{ERROR_FLAG}=1"
