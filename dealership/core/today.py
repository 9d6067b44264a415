"""Today, the admin's home page (placeholder; filled in by the Today step)."""

from typing import Any

from django.http import HttpRequest


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    return context
