from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

from dealership.health import health, ready
from dealership.metrics_view import metrics

urlpatterns = [
    path("health/", health, name="health"),
    path("health/ready/", ready, name="health_ready"),
    path("metrics", metrics, name="metrics"),
    path("voice/", include("voice.urls")),
    path("voice/", include("reminders.urls")),  # reminder-call and SMS webhooks (DESIGN.md §4)
    path("tools/", include("voice.tools.urls")),
    path("admin/", admin.site.urls),
    # No public site: the root leads to the back office rather than a 404.
    path("", RedirectView.as_view(url=reverse_lazy("admin:index"))),
]

# Inside the back office: a 403 in the theme saying who can grant access (dealership/core/forbidden.py).
handler403 = "dealership.core.forbidden.permission_denied"
