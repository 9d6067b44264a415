from django.urls import path

from voice import transfer_webhooks, webhooks

app_name = "voice"
urlpatterns = [
    path("inbound/", webhooks.inbound, name="inbound"),
    path("status/", webhooks.status, name="status"),
    path("transfer/whisper/", transfer_webhooks.whisper, name="transfer-whisper"),
    path("transfer/result/", transfer_webhooks.result, name="transfer-result"),
]
