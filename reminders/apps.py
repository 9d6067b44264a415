from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    # The breadcrumb and app page title staff read (the sidebar's words, dealership/core/navigation.py).
    verbose_name = "Reminders"

    def ready(self) -> None:
        from reminders.calls import ReminderCall
        from reminders.services import reminder_on_appointment_change
        from scheduling.services import after_change_hooks
        from voice.agent.purposes import register_call_purpose

        # A reminder call's opening and opt-out words (voice asks its purposes registry, never us).
        register_call_purpose("reminder", ReminderCall())

        # Booking creates the reminder, rescheduling re-times it, cancelling voids it (run on commit).
        if reminder_on_appointment_change not in after_change_hooks:
            after_change_hooks.append(reminder_on_appointment_change)
