from django.contrib import admin
from django.urls import include, path

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
]
