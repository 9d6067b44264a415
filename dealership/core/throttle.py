"""Failed sign-ins throttled per client address: admin logins and tools-API keys, both through django-axes.

Why axes for the tools API as well (and not django-ratelimit): one maintained library, one store (the
Django cache, so Redis shared by every web process), and one budget of failures per client address, so a
client guessing tools-API keys gets no fresh budget for admin passwords and vice versa. axes counts only
failures, so a correct key never uses the budget up. django-ratelimit (last release 2023) would add a
second counter whose system check does not know Django's own Redis cache backend, a warning we would have
to silence.

Twilio's webhooks under /voice/ authenticate by signature and never pass through here: a validly signed
request is answered whatever the caller's address has done.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse

# What axes records a failed tools-API key as (it keeps the same counter per address as admin logins).
TOOLS_API_CREDENTIALS = {"username": "tools-api"}


def client_ip(request: HttpRequest) -> str:
    """The client's address. uvicorn (dealership.serve) has already replaced REMOTE_ADDR with the address
    from X-Forwarded-For when the connection comes from a trusted proxy (FORWARDED_ALLOW_IPS); reading
    the header again here would let any client pick the address its failures are counted against."""
    return request.META.get("REMOTE_ADDR", "")


class AxesRequestBackend(AxesStandaloneBackend):
    """axes' lockout check for logins that come from a client. authenticate() without a request (a
    management command, a shell, the test client's login()) has no client address to count against, and
    the stock backend would raise instead of letting the next backend answer."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def tools_api_locked(request: HttpRequest) -> bool:
    return not AxesProxyHandler.is_allowed(request, TOOLS_API_CREDENTIALS)


def tools_api_failed(request: HttpRequest) -> None:
    """Count a wrong tools-API key; the failure that reaches the limit is answered by lockout_response
    (axes' middleware swaps it in)."""
    user_login_failed.send(sender=__name__, credentials=TOOLS_API_CREDENTIALS, request=request)


def lockout_response(
    request: HttpRequest, original_response: object = None, credentials: object = None
) -> HttpResponse:
    """429 with Retry-After: JSON for the tools API, a plain sentence for the admin login."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = (
        f"Too many failed sign-in attempts from your address. Try again in {max(1, seconds // 60)} minutes."
    )
    if request.path.startswith("/tools/"):
        response: HttpResponse = JsonResponse({"success": False, "error": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response
