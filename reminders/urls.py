"""Twilio webhooks of reminder calls and of texts to our number, under /voice/ (DESIGN.md §4)."""

from django.urls import path

from reminders import webhooks, webhooks_sms

app_name = "reminders"
urlpatterns = [
    path("outbound/reminder/<int:appointment_id>/", webhooks.reminder_answer, name="reminder_answer"),
    path(
        "outbound/reminder/<int:appointment_id>/status/",
        webhooks.reminder_status,
        name="reminder_status",
    ),
    path("outbound/reminder/<int:appointment_id>/amd/", webhooks.reminder_amd, name="reminder_amd"),
    path("sms/", webhooks_sms.sms, name="sms"),
]
