"""The set-up check page, /admin/setup/ (DESIGN.md §4): GET shows the rows, POST points the shop's Twilio
number at this server. Both need `voice.configure_telephony` (the Owner group), since opening the page
sends a request to every provider."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from dealership.core.errors import ApplicationError
from dealership.core.setup_check import setup_number_point, setup_rows
from dealership.core.setup_probes import expected_webhooks

PERMISSION = "voice.configure_telephony"


@require_http_methods(["GET", "HEAD", "POST"])
def setup_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        try:
            setup_number_point()
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The number now sends calls, call status and texts to this server.")
        return redirect("admin:setup")
    context = {
        **admin.site.each_context(request),
        "title": "Set-up check",
        "page": setup_rows(),
        "expected": expected_webhooks(),
    }
    return TemplateResponse(request, "admin/setup.html", context)
