"""Admin pages beyond the generated ones: the day agenda, and the shop-time-zone wrapper every
scheduling admin uses so advisors read and type wall-clock times of the shop, never UTC."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from dealership.core.errors import ApplicationError
from scheduling.agenda import agenda_for_day, shop_today
from scheduling.formatting import say_date
from scheduling.models import Appointment, ServiceType
from scheduling.open_times import open_times

# Days the agenda can show: beyond these, the next/previous-day links and the time-zone arithmetic run
# off the calendar (date.max + 1 day is an OverflowError), and no appointment is ever there.
YEARS = (1900, 2200)


def _requested_day(request: HttpRequest) -> date:
    raw = (request.GET.get("date") or "").strip()
    if not raw:
        return shop_today()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        messages.error(request, f"'{raw}' isn't a date like 2026-11-23; showing today instead.")
        return shop_today()
    if not YEARS[0] <= day.year <= YEARS[1]:
        messages.error(
            request, f"'{raw}' is outside the years {YEARS[0]} to {YEARS[1]}; showing today instead."
        )
        return shop_today()
    return day


@require_safe  # a read-only page: anything but GET/HEAD is answered 405
def agenda_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    """GET ?date=YYYY-MM-DD (default: today in the shop's zone); needs view permission on appointments."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    day = _requested_day(request)
    agenda = agenda_for_day(day=day)
    today = shop_today()
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
        "today": today,
        # Nothing can be booked on a closed day or in the past: no "Book" links there.
        "bookable": day >= today and not agenda.closed_all_day,
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
        # One-click outcomes (scheduling.admin_outcome): the list actions' permission.
        "can_close": model_admin.has_change_permission(request),
        "outcome_url": reverse("admin:scheduling_appointment_outcome"),
        "now": timezone.now(),
    }
    response = TemplateResponse(request, "admin/scheduling/appointment/agenda.html", context)
    return response


@require_safe  # read only: answers GET/HEAD, anything else 405
def open_times_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    """GET ?service=<id>&transport=waiter|drop_off: open times for the booking form to click (JSON).
    Needs add or change permission on appointments (booking or moving one)."""
    if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
        raise PermissionDenied
    raw = request.GET.get("service", "")
    service = ServiceType.objects.filter(pk=int(raw), active=True).first() if raw.isdigit() else None
    if service is None:
        return JsonResponse({"days": [], "error": "Choose a service to see open times."})
    waiter = request.GET.get("transport") == Appointment.Transport.WAITER
    try:
        answer = open_times(service_code=service.code, waiter=waiter)
    except ApplicationError as refusal:  # e.g. a service a waiter cannot wait for
        return JsonResponse({"days": [], "error": refusal.message})
    return JsonResponse(answer)
