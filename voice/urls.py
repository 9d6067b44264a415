from django.urls import path

from voice import webhooks, webhooks_reminders, webhooks_sms

app_name = "voice"
urlpatterns = [
    path("inbound/", webhooks.inbound, name="inbound"),
    path("status/", webhooks.status, name="status"),
    path(
        "outbound/reminder/<int:appointment_id>/", webhooks_reminders.reminder_answer, name="reminder_answer"
    ),
    path(
        "outbound/reminder/<int:appointment_id>/status/",
        webhooks_reminders.reminder_status,
        name="reminder_status",
    ),
    path("outbound/reminder/<int:appointment_id>/amd/", webhooks_reminders.reminder_amd, name="reminder_amd"),
    path("sms/", webhooks_sms.sms, name="sms"),
]
