"""Admin pages beyond the generated ones: the day agenda, and the shop-time-zone wrapper every
scheduling admin uses so advisors read and type wall-clock times of the shop, never UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from scheduling.agenda import agenda_for_day, shop_today
from scheduling.formatting import say_date
from scheduling.shop import shop_get


def in_shop_zone(view: Callable[..., HttpResponse], *args: Any, **kwargs: Any) -> HttpResponse:
    """Run `view` with the shop's zone active. A TemplateResponse is rendered inside, or it would
    render after the override ended and show UTC."""
    with timezone.override(shop_get().zone):
        response = view(*args, **kwargs)
        if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
            response.render()
    return response


class ShopZoneAdminMixin:
    """Lists and forms show and read datetimes in the shop's time zone."""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return in_shop_zone(super().changelist_view, request, extra_context)  # type: ignore[misc]

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        view = super().changeform_view  # type: ignore[misc]
        return in_shop_zone(view, request, object_id, form_url, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None) -> HttpResponse:
        return in_shop_zone(super().history_view, request, object_id, extra_context)  # type: ignore[misc]


def _requested_day(request: HttpRequest) -> date:
    raw = (request.GET.get("date") or "").strip()
    if not raw:
        return shop_today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        messages.error(request, f"'{raw}' isn't a date like 2026-11-23; showing today instead.")
        return shop_today()


def agenda_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    """GET ?date=YYYY-MM-DD (default: today in the shop's zone)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    day = _requested_day(request)
    agenda = agenda_for_day(day=day)
    url = reverse("admin:scheduling_appointment_agenda")
    add_url = reverse("admin:scheduling_appointment_add")
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Agenda for {say_date(day)}, {day.year}",
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "agenda": agenda,
        "day": day,
        "today": shop_today(),
        "previous_url": f"{url}?{urlencode({'date': (day - timedelta(days=1)).isoformat()})}",
        "next_url": f"{url}?{urlencode({'date': (day + timedelta(days=1)).isoformat()})}",
        "today_url": url,
        "add_url": f"{add_url}?{urlencode({'local_day': day.isoformat()})}",
        "slot_rows": [
            (
                slot,
                f"{add_url}?{urlencode({'local_day': day.isoformat(), 'local_time': f'{slot.start:%H:%M}'})}",
            )
            for slot in agenda.slots
        ],
        "changelist_url": f"{reverse('admin:scheduling_appointment_changelist')}?"
        + urlencode(
            {"local_date__year": day.year, "local_date__month": day.month, "local_date__day": day.day}
        ),
        "can_add": model_admin.has_add_permission(request),
    }
    response = TemplateResponse(request, "admin/scheduling/appointment/agenda.html", context)
    return in_shop_zone(lambda: response)
