"""One-click outcomes on the agenda: arrived, no-show, completed (with the invoice total, optional).

A POST form per appointment row (CSRF-protected by the admin site); the same status service and the
same permission (change appointment) as the appointment list's "Mark selected as …" actions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from dealership.core.display import money
from dealership.core.errors import ApplicationError
from dealership.core.parsing import small_int
from scheduling.models import Appointment
from scheduling.services import appointment_status_set

Status = Appointment.Status
ONE_CLICK = (Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW)
_AMOUNT = re.compile(r"\$?\s*(\d{1,7}(?:,\d{3})*|\d{1,9})(\.\d{1,2})?")


def parse_invoice_total(raw: str | None) -> Decimal | None:
    """ "1,234.50", "$89", "89.9" → Decimal; blank → None. ValueError for anything else."""
    text = (raw or "").strip()
    if not text:
        return None
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValueError(text)
    try:
        return Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
    except InvalidOperation as error:  # unreachable for what the pattern admits; kept as a guard
        raise ValueError(text) from error


def _back_to_agenda(appointment_id: int | None) -> HttpResponseRedirect:
    url = reverse("admin:scheduling_appointment_agenda")
    day = Appointment.objects.filter(pk=appointment_id).values_list("local_date", flat=True).first()
    return HttpResponseRedirect(f"{url}?{urlencode({'date': day.isoformat()})}" if day else url)


@require_POST
def agenda_outcome_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    """POST appointment=<id>, status=arrived|completed|no_show, invoice_total (optional, completed)."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    pk = small_int(request.POST.get("appointment"), max_digits=18)
    status = request.POST.get("status", "")
    if pk is None or status not in ONE_CLICK:
        return HttpResponseBadRequest("Choose an appointment and arrived, completed or no-show.")
    try:
        invoice_total = parse_invoice_total(request.POST.get("invoice_total"))
    except ValueError:
        messages.error(request, f"#{pk}: an invoice total is an amount like 189.50; nothing was changed.")
        return _back_to_agenda(pk)
    if status != Status.COMPLETED:
        invoice_total = None
    try:
        appointment_status_set(
            appointment_id=pk, status=status, user=request.user, invoice_total=invoice_total
        )
    except ApplicationError as refusal:
        messages.error(request, f"#{pk}: {refusal.message}")
    else:
        paid = f", invoice {money(invoice_total)}" if invoice_total is not None else ""
        messages.success(request, f"Appointment #{pk} marked {Status(status).label}{paid}.")
    return _back_to_agenda(pk)
