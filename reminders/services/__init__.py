"""Reminder writes: scheduling from the appointment book, delivery, call outcomes, consent, texts.

Import from here: `from reminders.services import opt_out_record`.
"""

from reminders.services.consent import opt_in_record, opt_out_record
from reminders.services.delivery import DeliveryRetry, reminder_claim, reminder_deliver
from reminders.services.outcome import (
    Answer,
    reminder_call_answered,
    reminder_call_status,
    reminder_machine_detected,
    reminder_status_callback,
)
from reminders.services.queue import SEND_NOW_WITHOUT_QUEUE, reminder_queue_delivery
from reminders.services.schedule import (
    SendNow,
    reminder_cancel,
    reminder_on_appointment_change,
    reminder_retime_for_closures,
    reminder_schedule,
    reminder_send_now,
)
from reminders.services.sms import appointment_confirm, sms_receive, sms_reply_handle
from reminders.services.spool import opt_out_on_call, opt_out_spool_apply
from reminders.services.stale import reminder_release_stale
from reminders.services.waiting import reminder_release_waiting

__all__ = [
    "SEND_NOW_WITHOUT_QUEUE",
    "Answer",
    "DeliveryRetry",
    "SendNow",
    "appointment_confirm",
    "opt_in_record",
    "opt_out_on_call",
    "opt_out_record",
    "opt_out_spool_apply",
    "reminder_call_answered",
    "reminder_call_status",
    "reminder_cancel",
    "reminder_claim",
    "reminder_deliver",
    "reminder_machine_detected",
    "reminder_on_appointment_change",
    "reminder_queue_delivery",
    "reminder_release_stale",
    "reminder_release_waiting",
    "reminder_retime_for_closures",
    "reminder_schedule",
    "reminder_send_now",
    "reminder_status_callback",
    "sms_receive",
    "sms_reply_handle",
]
