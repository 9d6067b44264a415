"""Back office for reminders: status per appointment, every attempt, "send now", and consent evidence.

Reminders are written by the system; advisors read them and may only send one again, which needs the
`reminders.send_reminder` permission and, for a reminder the customer already received, a confirmation.
Consent events are evidence and cannot be edited or deleted here.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from unfold.admin import ModelAdmin, TabularInline

from crm.phones import format_phone_for_display
from dealership.core.admin_ordering import UsualOrderNote
from dealership.core.display import answered_by, shop_when
from dealership.core.errors import ApplicationError
from reminders.models import ConsentEvent, Reminder, ReminderAttempt
from reminders.results import Result, reminders_with_result
from reminders.selectors import reminder_list_ordering
from reminders.services import SEND_NOW_WITHOUT_QUEUE, reminder_send_now
from scheduling.models import Appointment

SEND_PERMISSION = "reminders.send_reminder"


def reminder_changelist_url(appointment_id: int) -> str:
    """The reminders of one appointment in the admin (for a link from the appointment page)."""
    return reverse("admin:reminders_reminder_changelist") + f"?appointment__id__exact={appointment_id}"


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReminderAttemptInline(ReadOnlyInline):
    model = ReminderAttempt
    fields = (
        "started_at",
        "kind",
        "outcome",
        "answered_by_shown",
        "customer_local_time",
        "provider_sid",
        "call",
        "script_version",
        "detail",
    )
    readonly_fields = fields

    @admin.display(description="Answered by")
    def answered_by_shown(self, attempt: ReminderAttempt) -> str:
        return answered_by(attempt.answered_by)


class ResultFilter(admin.SimpleListFilter):
    """What came of the reminder (reminders.results, the dashboard's own query); real bookings only."""

    title = "result"
    parameter_name = "result"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(Result.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> QuerySet[Reminder]:
        if self.value() not in Result.values:
            return queryset
        real = queryset.exclude(appointment__in=Appointment.objects.test())
        return reminders_with_result(real).filter(result=self.value())


@admin.register(Reminder)
class ReminderAdmin(UsualOrderNote, ModelAdmin):
    usual_order = (
        "Reminders still to go out first, the soonest due on top; "
        "then those sent or closed, the latest first."
    )
    # Status, channel and attempts are filters; sorting them followed internal codes.
    sortable_by = ("customer", "appointment_start", "due_at")
    list_display = (
        "appointment_link",
        "customer",
        "appointment_start",
        "status",
        "channel",
        "due_at",
        "calls_placed",
        "last_outcome",
        "status_reason",
    )
    list_filter = (
        "status",
        ResultFilter,
        "channel",
        "kind",
        "zone_source",
        ("due_at", admin.DateFieldListFilter),
        ("appointment__local_date", admin.DateFieldListFilter),
    )
    search_fields = ("=appointment__id", "appointment__customer__name", "appointment__customer__phone")
    date_hierarchy = "due_at"
    list_select_related = ("appointment__customer", "appointment__service_type")
    inlines = [ReminderAttemptInline]
    actions = ["send_now"]
    readonly_fields = (
        "appointment_link",
        "kind",
        "channel",
        "status",
        "status_reason",
        "due_at",
        "calls_placed",
        "provider_errors",
        "customer_zone",
        "zone_source",
        "claimed_at",
        "delivered_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        """ "Send now" calls or texts a customer: a permission of its own, not implied by view or change."""
        return request.user.has_perm(SEND_PERMISSION)

    def get_ordering(self, request: HttpRequest) -> list:
        return reminder_list_ordering()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reminder]:
        return super().get_queryset(request).prefetch_related("attempts")

    @admin.display(description="appointment", ordering="appointment__start")
    def appointment_link(self, obj: Reminder) -> str:
        url = reverse("admin:scheduling_appointment_change", args=[obj.appointment_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.appointment_id, obj.appointment.service_type)

    @admin.display(description="customer", ordering="appointment__customer__name")
    def customer(self, obj: Reminder) -> str:
        customer = obj.appointment.customer
        # The number never breaks across lines (desk.css).
        return format_html(
            '{} <span class="desk-phone">{}</span>', customer.name, format_phone_for_display(customer.phone)
        )

    @admin.display(description="appointment time", ordering="appointment__start")
    def appointment_start(self, obj: Reminder) -> Any:
        return obj.appointment.start

    @admin.display(description="last attempt")
    def last_outcome(self, obj: Reminder) -> str:
        attempts = list(obj.attempts.all())
        if not attempts:
            return "—"
        last = attempts[-1]
        kind = capfirst(last.get_kind_display())
        return f"{kind} {shop_when(last.started_at)}: {last.get_outcome_display()}"

    @admin.action(
        description="Send now (call or text on its channel, rules still apply)", permissions=["send"]
    )
    def send_now(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> TemplateResponse | None:
        delivered = queryset.filter(status=Reminder.Status.DELIVERED)
        if request.POST.get("post") != "yes" and delivered.exists():
            # The customer already heard this one: calling again is easy to do by mistake (or on purpose).
            return self._confirm_send_again(request, queryset, delivered)
        queued = skipped = waiting = 0
        for reminder in queryset:
            try:
                result = reminder_send_now(reminder_id=reminder.pk, user=request.user)
            except ApplicationError as refusal:  # e.g. telephony not configured: the same for all
                self.message_user(request, refusal.message, messages.ERROR)
                return None
            if result.status != Reminder.Status.PENDING:
                skipped += 1
            elif result.queued is False:
                waiting += 1
            else:
                queued += 1
        if queued:
            self.message_user(request, f"{queued} reminder(s) queued to go out now.", messages.SUCCESS)
        if waiting:
            self.message_user(request, SEND_NOW_WITHOUT_QUEUE.format(count=waiting), messages.WARNING)
        if skipped:
            self.message_user(
                request,
                f"{skipped} reminder(s) are being sent right now and were left alone.",
                messages.WARNING,
            )

    def _confirm_send_again(
        self, request: HttpRequest, queryset: QuerySet[Reminder], delivered: QuerySet[Reminder]
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Send these reminders again?",
            "subtitle": None,
            "opts": self.opts,
            "queryset": queryset,
            "delivered": delivered.select_related("appointment__customer", "appointment__service_type"),
            "others": queryset.exclude(status=Reminder.Status.DELIVERED).count(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/reminders/reminder/send_now_confirmation.html", context)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ModelAdmin):
    list_display = ("at", "customer", "phone_display", "action", "scope", "source", "detail", "call")
    list_filter = ("action", "scope", "source")
    search_fields = ("customer__name", "phone")
    date_hierarchy = "at"
    list_select_related = ("customer", "call")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, obj: ConsentEvent) -> str:
        return format_phone_for_display(obj.phone)
