from django.urls import path

from voice import webhooks

app_name = "voice"
urlpatterns = [
    path("inbound/", webhooks.inbound, name="inbound"),
    path("status/", webhooks.status, name="status"),
]
