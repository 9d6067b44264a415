from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    # The breadcrumb and app page title staff read (the sidebar's words, dealership/core/navigation.py).
    verbose_name = "Appointments and shop"

    def ready(self) -> None:
        from scheduling import admin_calendar  # noqa: F401  (registers the calendar sync admin)
        from scheduling.calendar_sync import calendar_push_enqueue
        from scheduling.services import after_change_hooks

        if calendar_push_enqueue not in after_change_hooks:
            after_change_hooks.append(calendar_push_enqueue)
