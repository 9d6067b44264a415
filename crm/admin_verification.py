"""The customer page's "Identity checks paused" note and its "Lift the pause" button (a confirmation page,
then a POST). Lifting needs `crm.lift_verification_pause` (Owner and Service advisor); the work is
crm.verification_attempts.verification_pause_lift. Also the page that clears the hidden numbers' shared
count (linked from Today's warnings and the alert; same permission): hidden_numbers_lift."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from crm.models import Customer
from crm.verification_attempts import (
    MAX_FAILED_WITHHELD,
    UNAVAILABLE_MESSAGE,
    WITHHELD_WINDOW_SECONDS,
    Lock,
    hidden_numbers_lift,
    hidden_numbers_stopped,
    verification_pause,
    verification_pause_lift,
)
from dealership.core.display import shop_when
from dealership.core.errors import ApplicationError
from dealership.core.parsing import small_int

PERMISSION = "crm.lift_verification_pause"


class VerificationPauseAdmin:
    """Mixed into CustomerAdmin: the pause shown on the page, and the page that lifts it."""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/lift-verification-pause/",
                self.admin_site.admin_view(self.lift_verification_pause_view),
                name="crm_customer_lift_verification_pause",
            ),
            path(
                "hidden-numbers-pause/",
                self.admin_site.admin_view(self.lift_hidden_numbers_view),
                name="crm_customer_lift_hidden_numbers",
            ),
        ]
        return own + super().get_urls()  # before "<path:object_id>/", which would swallow it

    def verification_pause_context(self, request: HttpRequest, customer: Customer) -> dict[str, Any]:
        """For the customer's page: the pause in force (None when there is none) and, for those who may
        lift it, where the button goes; when the counters cannot be read, that no one can tell."""
        pause = verification_pause(customer_id=customer.pk)
        if pause == Lock.UNAVAILABLE:
            return {"verification_unavailable": UNAVAILABLE_MESSAGE}
        if pause is None:
            return {}
        context: dict[str, Any] = {"verification_pause": pause}
        if request.user.has_perm(PERMISSION):
            lift = reverse("admin:crm_customer_lift_verification_pause", args=[customer.pk])
            context["lift_pause_url"] = lift
        return context

    def lift_verification_pause_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: asks first. POST: lifts the pause and goes back to the customer's page."""
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        pk = small_int(object_id, max_digits=18)
        customer = Customer.objects.filter(pk=pk).first() if pk is not None else None
        if customer is None:
            return HttpResponseNotFound("No such customer.")
        page = reverse("admin:crm_customer_change", args=[customer.pk])
        if request.method != "POST":
            return self._confirm_lift(request, customer, page)
        try:
            lifted = verification_pause_lift(customer_id=customer.pk, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if lifted is None:
                messages.info(request, f"Identity checks for {customer.name} were not paused.")
            else:
                messages.success(
                    request,
                    f"Pause lifted: callers can verify as {customer.name} again, including from hidden "
                    "numbers and from the numbers that failed on them.",
                )
        # 303: the browser GETs the page again (a reload does not post twice).
        return HttpResponseRedirect(page, status=303)

    def _confirm_lift(self, request: HttpRequest, customer: Customer, page: str) -> TemplateResponse:
        pause = verification_pause(customer_id=customer.pk)
        unavailable = pause == Lock.UNAVAILABLE
        if unavailable:
            pause = None
        context = {
            **self.admin_site.each_context(request),
            "unavailable": UNAVAILABLE_MESSAGE if unavailable else "",
            "title": f"Lift the pause on {customer.name}'s identity checks?",
            "subtitle": None,
            "opts": self.opts,
            "original": customer,
            "pause": pause,
            "until": shop_when(pause.until) if pause and pause.until else "",
            "customer_page": page,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/crm/customer/lift_verification_pause.html", context)

    def lift_hidden_numbers_view(self, request: HttpRequest) -> HttpResponse:
        """GET: asks first. POST: clears the hidden numbers' shared count and goes back to Today."""
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        today = reverse("admin:index")
        if request.method != "POST":
            misses = hidden_numbers_stopped()
            unavailable = misses == Lock.UNAVAILABLE
            context = {
                **self.admin_site.each_context(request),
                "unavailable": UNAVAILABLE_MESSAGE if unavailable else "",
                "title": "Let callers on hidden numbers verify again?",
                "subtitle": None,
                "opts": self.opts,
                "misses": None if unavailable else misses,
                "limit": MAX_FAILED_WITHHELD,
                "window_minutes": WITHHELD_WINDOW_SECONDS // 60,
                "today_page": today,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, "admin/crm/customer/lift_hidden_numbers.html", context)
        try:
            cleared = hidden_numbers_lift(user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if cleared is None:
                messages.info(request, "Callers on hidden numbers were not stopped.")
            else:
                messages.success(request, "Cleared: callers on hidden numbers can verify again.")
        return HttpResponseRedirect(today, status=303)
