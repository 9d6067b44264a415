"""The back office's live-call pages: the board (`/admin/voice/call/live/`) and the take-over endpoint
(`/admin/voice/call/<id>/take-over/`, POST) the board and the call page send their buttons to."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from dealership.core.display import phone
from dealership.core.errors import ApplicationError, NotFound
from voice.models import Call
from voice.takeover import call_is_live, call_take_over, staff_phone, transfer_numbers, user_may_take_over


def take_over_context(request: HttpRequest) -> dict[str, object]:
    """What the take-over buttons need (board and call page alike)."""
    may = user_may_take_over(request.user)
    return {
        "can_take_over": may,
        "my_phone": phone(staff_phone(request.user)) if may else "",
        "transfer_numbers": [(n.pk, f"{n.label}, {phone(n.phone)}") for n in transfer_numbers()]
        if may
        else [],
    }


@require_safe
def live_board_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    """GET: the calls in progress, pushed over the board's WebSocket (voice.live.consumer)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        **take_over_context(request),
        "title": "Live calls",
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "changelist_url": reverse("admin:voice_call_changelist"),
    }
    return TemplateResponse(request, "admin/voice/call/live.html", context)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_http_methods(["GET", "HEAD", "POST"])
def take_over_view(request: HttpRequest, object_id: str, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    """GET: the call's take-over buttons on a page of their own (or why there are none).
    POST action=transfer_to_me|transfer|say|end_call (+ transfer_number or text): JSON for the board
    (Accept: application/json), else a message and back to `next` (303)."""
    if not user_may_take_over(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _take_over_page(request, object_id, model_admin=model_admin)
    try:
        control = call_take_over(
            call_id=int(object_id),
            user=request.user,
            action=request.POST.get("action", ""),
            transfer_number_id=request.POST.get("transfer_number"),
            text=request.POST.get("text", ""),
        )
    except (ValueError, NotFound):
        ok, said = False, "No such call."
    except ApplicationError as refusal:
        ok, said = False, refusal.message
    else:
        where = f" to {phone(control.number)}" if control.number else ""
        ok, said = True, f"Sent: {control.get_action_display().rstrip('…')}{where}."
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": said}, status=200 if ok else 409)
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, said)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = reverse("admin:voice_call_live")
    return HttpResponseRedirect(back, status=303)  # See Other: the result page is fetched with GET


def _take_over_page(request: HttpRequest, object_id: str, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    call = (
        Call.objects.select_related("customer").filter(pk=int(object_id)).first()
        if object_id.isdigit()
        else None
    )
    if call is None:
        raise Http404("No such call.")
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        **take_over_context(request),
        "title": f"Take over the call from {phone(call.from_number) or 'an unknown number'}",
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "original": call,
        "call_live": call_is_live(call_id=call.pk),
        "take_over_url": reverse("admin:voice_call_take_over", args=[call.pk]),
        "call_url": reverse("admin:voice_call_change", args=[call.pk]),
    }
    return TemplateResponse(request, "admin/voice/call/take_over.html", context)
