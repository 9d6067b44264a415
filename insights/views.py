"""The owner's dashboard at /admin/dashboard/ (registered on the admin site, dealership.core.admin_input)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from insights.charts import dashboard_charts
from insights.periods import KINDS
from insights.selectors import dashboard_figures

PERMISSION = "voice.view_dashboard"


@require_safe  # read only: anything but GET/HEAD is answered 405
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """GET ?period=day|week|month (default day: the last 30 days)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    dashboard = dashboard_figures(kind=request.GET.get("period", "day"))
    url = reverse("admin:dashboard")
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "subtitle": None,
        "dashboard": dashboard,
        "charts": dashboard_charts(dashboard),
        "periods": [(kind, f"{url}?period={kind}") for kind in KINDS],
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
