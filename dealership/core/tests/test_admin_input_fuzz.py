"""Fuzzing the admin's GET parameters, on every registered admin: changelist filters, date-hierarchy
parts, search, ordering and page numbers, the add form's initial values, and the agenda's date. An advisor
(or a stale bookmark) gets a page, a redirect or a 400, never a 500."""

import pytest
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.strategies import ODD_STRINGS_FORM, odd_text

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.django_db,
    # A date typed into a datetime filter is read as midnight, which Django warns about; that's fine here.
    pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning"),
]

# An admin page costs ~10x a webhook: a fifth of the profile's examples per admin keeps the set quick.
FEWER = hypothesis_settings(max_examples=max(10, hypothesis_settings.default.max_examples // 5))
ADMINS = [
    pytest.param(model, model_admin, id=model._meta.label)
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
]
LOOKUPS = ["", "__exact", "__gte", "__lt", "__in", "__isnull", "__year", "__month", "__day", "__iso_year"]


def url_name(model, view: str) -> str:
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"


def values() -> st.SearchStrategy[str]:
    numbers = st.integers(-(10**6), 10**25).map(str)
    dates = st.dates().map(lambda d: d.isoformat())
    return st.one_of(st.sampled_from(ODD_STRINGS_FORM), odd_text(surrogates=False), numbers, dates)


def changelist_keys(model, model_admin) -> list[str]:
    keys = ["q", "o", "p", "e", "all", "_to_field"]
    if model_admin.date_hierarchy:
        keys += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            keys += [entry + lookup for lookup in LOOKUPS]
        elif isinstance(entry, type):  # a SimpleListFilter
            keys.append(entry.parameter_name)
    keys += [field.name + lookup for field in model._meta.concrete_fields for lookup in ("", "__year")]
    return keys


@pytest.mark.parametrize(("model", "model_admin"), ADMINS)
@FEWER
@given(data=st.data())
def test_changelist_parameters_never_break_the_list(admin_client, shop, model, model_admin, data):
    keys = st.sampled_from(changelist_keys(model, model_admin))
    params = data.draw(st.dictionaries(keys, values(), max_size=4), label="params")

    response = admin_client.get(reverse(url_name(model, "changelist")), params)

    assert response.status_code in (200, 302, 400), response.status_code


def form_fields(model) -> list[str]:
    return [f.name for f in model._meta.get_fields() if isinstance(f, models.Field) and not f.auto_created]


@pytest.mark.parametrize(("model", "model_admin"), ADMINS)
@FEWER
@given(data=st.data())
def test_add_form_values_in_the_url_never_break_the_form(admin_client, shop, model, model_admin, data):
    try:
        url = reverse(url_name(model, "add"))
    except NoReverseMatch:
        return  # no add view
    params = data.draw(
        st.dictionaries(st.sampled_from(form_fields(model)), values(), max_size=4), label="params"
    )

    response = admin_client.get(url, params)

    assert response.status_code in (200, 403), response.status_code


@FEWER
@example(day="9999-12-31")
@example(day="0001-01-01")
@given(day=st.one_of(st.dates().map(lambda d: d.isoformat()), values()))
def test_the_agenda_shows_some_day_for_any_date(admin_client, shop, day):
    response = admin_client.get(reverse("admin:scheduling_appointment_agenda"), {"date": day})

    assert response.status_code == 200
