from django.urls import path

from voice import webhooks
from voice.recordings.webhook import recording_status

app_name = "voice"
urlpatterns = [
    path("inbound/", webhooks.inbound, name="inbound"),
    path("status/", webhooks.status, name="status"),
    path("recording/", recording_status, name="recording"),
]
