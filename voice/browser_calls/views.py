"""The test-call page (`/admin/voice/call/test-call/`): GET shows it, POST places a test call.

POST answers JSON for the page's script: the call's SID and one-time stream token and the socket's
path, or `{"error": "<sentence>"}` with HTTP 400.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dealership.core.display import phone
from dealership.core.errors import ApplicationError
from voice.browser_calls.services import (
    PERMISSION,
    browser_call_customers,
    browser_call_engines,
    browser_call_place,
)

STREAM_PATH = "/voice/test-call/stream/"


def _local_addresses(request: HttpRequest) -> list[str]:
    """This page on localhost and 127.0.0.1 at the port it was served on (the browser gives the microphone
    to https pages and to those hosts only): "http://localhost:8000/admin/voice/call/test-call/"."""
    port = request.get_port()
    at = "" if port in ("80", "") else f":{port}"
    return [f"http://{host}{at}{request.path}" for host in ("localhost", "127.0.0.1")]


@require_http_methods(["GET", "HEAD", "POST"])
def test_call_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        return _place(request)
    engines = browser_call_engines()
    ready = [engine.name for engine in engines if engine.ready]
    query = (request.GET.get("q") or "").strip()[:100]
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Talk to the receptionist",
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "engines": engines,
        "chosen_engine": settings.VOICE_ENGINE if settings.VOICE_ENGINE in ready else (ready or [""])[0],
        "any_ready": bool(ready),
        "query": query,
        # Calling as a customer shows their name and history: only for those who may see customers.
        "may_pick_customer": request.user.has_perm("crm.view_customer"),
        "customers": [(c, phone(c.phone)) for c in browser_call_customers(query=query)]
        if request.user.has_perm("crm.view_customer")
        else [],
        "stream_path": STREAM_PATH,
        "calls_url": reverse("admin:voice_call_changelist") + "?is_test=yes",
        "local_addresses": _local_addresses(request),
    }
    return TemplateResponse(request, "admin/voice/call/test_call.html", context)


def _place(request: HttpRequest) -> JsonResponse:
    raw_customer = (request.POST.get("customer") or "").strip()
    if raw_customer and not raw_customer.isdigit():
        return JsonResponse({"error": "Pick a customer from the list, or a new number."}, status=400)
    if raw_customer and not request.user.has_perm("crm.view_customer"):
        return JsonResponse({"error": "You may not see customers; call from a new number."}, status=400)
    try:
        call = browser_call_place(
            engine=(request.POST.get("engine") or settings.VOICE_ENGINE).strip(),
            customer_id=int(raw_customer) if raw_customer else None,
            phone=(request.POST.get("phone") or "")[:40],
        )
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse(
        {
            "call_sid": call.call_sid,
            "token": call.stream_token,
            "engine": call.engine,
            "stream_path": STREAM_PATH,
            "caller": phone(call.from_number),
            "customer": call.customer.name if call.customer else "",
            "call_url": reverse("admin:voice_call_change", args=[call.pk]),
        }
    )
