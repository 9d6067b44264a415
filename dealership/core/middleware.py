"""The back office speaks the shop's local time."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from scheduling.shop import shop_get


class ShopTimeZoneMiddleware:
    """Admin pages show and read datetimes in the shop's time zone (appointments, calls, reminders,
    consent records alike). Everything else keeps UTC: webhooks and tools name their zones."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.admin_prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.admin_prefix = self.admin_prefix or reverse("admin:index")
        if not request.path.startswith(self.admin_prefix):
            return self.get_response(request)
        # The whole response, a TemplateResponse's rendering included, is made inside the override.
        with timezone.override(shop_get().zone):
            return self.get_response(request)
