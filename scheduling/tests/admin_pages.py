"""Test support: submit admin pages the way a browser would, starting from what the page showed."""

from datetime import date, time
from typing import Any

from django import forms
from django.http import HttpResponse


def _encode(field: forms.Field, value: Any) -> Any:
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def _form_fields(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        if value is None:
            value = ""
        data[form.add_prefix(name)] = _encode(field, value)
    return data


def change_form_data(response: HttpResponse, **changes: Any) -> dict[str, Any]:
    """The add/change form's current values (main form, inline management forms and rows), with
    `changes` applied; a change of None removes the field (an unticked box)."""
    assert response.status_code == 200, response.status_code
    data = _form_fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_fields(formset.management_form))
        for form in formset.forms:
            data.update(_form_fields(form))
    return _apply(data, changes)


def _apply(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    data["_save"] = "Save"
    return data


def changelist_form_data(response: HttpResponse, **changes: Any) -> dict[str, Any]:
    """The list_editable formset as shown, with `changes` ("form-0-price": "59.99") applied; a change
    of None removes the field."""
    assert response.status_code == 200, response.status_code
    formset = response.context["cl"].formset
    data = _form_fields(formset.management_form)
    for form in formset.forms:
        data.update(_form_fields(form))
    return _apply(data, changes)


def error_text(response: HttpResponse) -> str:
    """Every error the admin form shows, as one string."""
    adminform = response.context["adminform"]
    return " ".join(str(e) for errors in adminform.form.errors.values() for e in errors)
