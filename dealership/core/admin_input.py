"""Admin pages that survive whatever their URL says.

Django's admin answers most unusable query parameters with its "?e=1" page, but a few end in a 500:
a date-hierarchy year of 9999 (the end of that year is past `date.max`) or 1 (its start, moved into
the shop's time zone, is before `datetime.min`), a `__year` lookup no date can hold
(`?local_date__year=0`), a NUL in a filter or search (PostgreSQL refuses it), and add-form values that
only break while the form renders: a datetime (`?start=tomorrow`, the split date/time widget needs a
datetime) or an autocomplete id (`?customer=²`).

The default admin site (GuardedAdminSite) gives every ModelAdmin registered on it the mixin below:
year lookups outside the calendar and NULs get the unfiltered list, as Django gives for other bad
filters, and add-form values that don't parse are left out of the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import ModelAdmin
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import path
from unfold.sites import UnfoldAdminSite

from dealership.core.parsing import small_int

# Years whose whole span, shifted into any time zone, stays inside datetime's years 1 to 9999.
YEARS = (2, 9998)
_UNUSABLE = object()


def changelist_query_usable(query: QueryDict) -> bool:
    """False when a parameter holds a NUL (PostgreSQL refuses it in any text it is compared with) or a
    `…__year…` / `…__iso_year…` parameter holds anything but years in YEARS."""
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return False
        parts = key.split("__")[1:]
        if "year" not in parts and "iso_year" not in parts:
            continue
        for value in values:
            for piece in value.split(","):
                year = small_int(piece, max_digits=4)
                if year is None or not YEARS[0] <= year <= YEARS[1]:
                    return False
    return True


def _initial_value(field: Any, value: Any) -> Any:
    """The add-form initial value as the form can render it, or _UNUSABLE."""
    try:
        if isinstance(field, models.DateTimeField) and isinstance(value, str):
            return forms.DateTimeField().clean(value)  # aware, in the current (shop) time zone
        if field.is_relation and (field.many_to_one or field.one_to_one):
            field.target_field.to_python(value)
        elif field.many_to_many:
            for item in value:
                field.target_field.to_python(item)
    except (ValidationError, ValueError, OverflowError):
        return _UNUSABLE
    return value


class AdminInputGuard:
    """Mixed into every ModelAdmin by GuardedAdminSite.register()."""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not changelist_query_usable(request.GET):
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)  # type: ignore[misc]
        usable = {}
        for name, value in initial.items():
            try:
                field = self.opts.get_field(name)  # type: ignore[attr-defined]
            except FieldDoesNotExist:
                # A form-only field (the appointment's local_day): its own form reads it.
                usable[name] = value
                continue
            parsed = _initial_value(field, value)
            if parsed is not _UNUSABLE:
                usable[name] = parsed
        return usable


class GuardedAdminSite(UnfoldAdminSite):
    """The default admin site (see GuardedAdminConfig): every ModelAdmin registered on it, ours and
    third-party alike, gets AdminInputGuard mixed in, whenever its module is imported."""

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, AdminInputGuard):
            admin_class = type(
                admin_class.__name__,
                (AdminInputGuard, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def get_urls(self) -> list[Any]:
        """The site's own pages besides the models': the set-up check (/admin/setup/)."""
        from dealership.core.setup_view import setup_view  # imports models: not at app loading

        return [path("setup/", self.admin_view(setup_view), name="setup"), *super().get_urls()]
