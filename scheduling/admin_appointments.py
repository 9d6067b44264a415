"""The advisors' appointment book in the admin. Every write goes through the booking services (the
same rules the AI obeys); refusals come back as readable form errors with nearby open times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from unfold.admin import ModelAdmin, TabularInline

from dealership.core.admin_ordering import UsualOrderNote
from dealership.core.display import money
from dealership.core.errors import ApplicationError
from dealership.core.parsing import small_int
from reminders.models import Reminder
from reminders.results import reminded_q
from scheduling.admin_outcome import agenda_outcome_view
from scheduling.admin_views import agenda_view, open_times_view
from scheduling.agenda import appointment_search
from scheduling.formatting import say_datetime
from scheduling.forms import OVERRIDE_FIELDS, AppointmentForm, appointment_form_extras
from scheduling.models import Appointment, AppointmentChange, WorkStatus
from scheduling.opening import next_open_day
from scheduling.selectors import appointment_list_ordering
from scheduling.services import OVERRIDE_PERMISSION, appointment_cancel, appointment_status_set
from scheduling.shop import shop_get
from scheduling.work_status import WORK_STATUS_PERMISSION, appointment_work_status_set

Status = Appointment.Status
RECORD_FIELDS = (
    "channel",
    "capacity_override",
    "override_by",
    "override_reason",
    "cancelled_at",
    "cancel_reason",
    "call",
    "calendar_event_id",
    "calendar_sync_status",
    "calendar_sync_error",
    "calendar_synced_at",
    "created_at",
    "updated_at",
)
WORK_FIELDS = ("work_status", "promised_at", "customer_note")
READY_TEXT_FIELDS = ("ready_text", "ready_text_detail")
NO_WORK = (Status.CANCELLED, Status.NO_SHOW)
LIST_CANCEL_REASON = "Cancelled by staff from the appointment list."


class ReminderInline(TabularInline):
    """Reminder status for the advisor; sending and retries are handled in the reminders admin."""

    model = Reminder
    extra = 0
    can_delete = False
    fields = ("status", "channel", "due_at", "calls_placed", "status_reason", "delivered_at")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "reminder"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AppointmentChangeInline(TabularInline):
    """The appointment's history; written only by the services."""

    model = AppointmentChange
    extra = 0
    can_delete = False
    fields = ("at", "kind", "channel", "user", "old_start", "new_start", "detail")
    readonly_fields = fields
    verbose_name_plural = "history"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _run_each(
    request: HttpRequest, queryset: QuerySet[Appointment], write: Callable[[int], Any], done: str
) -> None:
    """Apply one service call per selected appointment; report successes and each refusal."""
    succeeded = 0
    for pk in queryset.order_by("start").values_list("pk", flat=True):
        try:
            write(pk)
            succeeded += 1
        except ApplicationError as error:
            messages.error(request, f"#{pk}: {error.message}")
    if succeeded:
        messages.success(request, f"{succeeded} appointment{'s' if succeeded != 1 else ''} {done}.")


def _status_action(status: str, description: str) -> Callable[..., None]:
    def action(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        def write(pk: int) -> None:
            appointment_status_set(appointment_id=pk, status=status, user=request.user)

        _run_each(request, queryset, write, f"marked {Status(status).label}")

    action.__name__ = f"mark_{status}"
    return admin.action(description=description, permissions=["change"])(action)


def _work_action(work_status: str, description: str) -> Callable[..., None]:
    def action(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        def write(pk: int) -> None:
            appointment_work_status_set(appointment_id=pk, work_status=work_status, user=request.user)

        _run_each(request, queryset, write, f"marked {WorkStatus(work_status).label}")

    action.__name__ = f"work_{work_status}"
    return admin.action(description=description, permissions=["set_work_status"])(action)


class RemindedFilter(admin.SimpleListFilter):
    """Whether a reminder reached the customer (the dashboard compares no-shows of the two)."""

    title = "reminded"
    parameter_name = "reminded"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "reminder delivered"), ("no", "not reminded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
        if self.value() == "yes":
            return queryset.filter(reminded_q())
        if self.value() == "no":
            return queryset.exclude(reminded_q())
        return queryset


@admin.register(Appointment)
class AppointmentAdmin(UsualOrderNote, ModelAdmin):
    form = AppointmentForm
    usual_order = "Today and upcoming first, the soonest on top; then past appointments, the latest first."
    # Columns that sort in an order a person expects; status, vehicle and transport are filters instead
    # (sorting them followed internal codes).
    sortable_by = ("local_start", "customer", "service_type", "price")
    list_display = (
        "number",
        "local_start",
        "customer",
        "vehicle",
        "service_type",
        "status_shown",
        "work",
        "price",
        "transport_shown",
        "override",  # only while some appointment is over capacity (get_list_display)
    )
    list_display_links = ("number", "local_start")
    list_filter = (
        "status",
        "work_status",
        RemindedFilter,
        "local_date",
        "service_type",
        "channel",
        "transport",
        "capacity_override",
    )
    list_select_related = ("customer", "vehicle", "service_type")
    date_hierarchy = "local_date"
    search_fields = ("customer__name",)  # the box needs one; get_search_results does the matching
    search_help_text = "Customer name or phone (any format), VIN, plate, or appointment number."
    autocomplete_fields = ("customer", "vehicle")
    inlines = (ReminderInline, AppointmentChangeInline)

    class Media:
        # Sends the chosen customer with the vehicle picker's searches (crm.admin.VehicleAdmin filters).
        js = ("admin/js/jquery.init.js", "scheduling/admin/appointment_form.js")

    actions = (
        "cancel_selected",
        _status_action(Status.CONFIRMED, "Mark selected as confirmed"),
        _status_action(Status.ARRIVED, "Mark selected as arrived"),
        _status_action(Status.COMPLETED, "Mark selected as completed"),
        _status_action(Status.NO_SHOW, "Mark selected as no-show"),
        # The work status goes through its service (history, the one ready text), so it is set by
        # these actions and the change page, not list_editable (which would save the model directly).
        _work_action(WorkStatus.WAITING_PARTS, "Work: waiting for parts"),
        _work_action(WorkStatus.IN_PROGRESS, "Work: in progress"),
        _work_action(WorkStatus.READY, "Work: ready for pickup (texts the customer once)"),
        _work_action(WorkStatus.PICKED_UP, "Work: picked up"),
    )

    def get_urls(self) -> list[URLPattern]:
        agenda = self.admin_site.admin_view(lambda request: agenda_view(request, model_admin=self))
        times = self.admin_site.admin_view(lambda request: open_times_view(request, model_admin=self))
        outcome = self.admin_site.admin_view(lambda request: agenda_outcome_view(request, model_admin=self))
        own = [
            path("agenda/", agenda, name="scheduling_appointment_agenda"),
            path("agenda/outcome/", outcome, name="scheduling_appointment_outcome"),
            path("open-times/", times, name="scheduling_appointment_open_times"),
        ]
        return own + super().get_urls()  # before "<object_id>/", which would swallow "agenda/"

    @admin.display(description="#", ordering="pk")
    def number(self, obj: Appointment) -> str:
        return f"#{obj.pk}"

    @admin.display(description="when (shop time)", ordering="start")
    def local_start(self, obj: Appointment) -> str:
        # The views run under the shop's zone (dealership.core.middleware), so localtime() is shop time.
        return date_format(timezone.localtime(obj.start), "D, M j, g:i A")

    @admin.display(description="override", ordering="capacity_override")
    def override(self, obj: Appointment) -> str:
        return "over capacity" if obj.capacity_override else ""

    @admin.display(description="work status", ordering="work_status")
    def work(self, obj: Appointment) -> str:
        return obj.get_work_status_display() if obj.work_status != WorkStatus.NOT_SET else ""

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        # A column that is empty on every row only costs width; channel and override stay filters.
        shown = tuple(super().get_list_display(request))
        if not Appointment.objects.filter(capacity_override=True).exists():
            shown = tuple(column for column in shown if column != "override")
        return shown

    def get_ordering(self, request: HttpRequest) -> list:
        return appointment_list_ordering(today=timezone.now().astimezone(shop_get().zone).date())

    @admin.display(description="status")
    def status_shown(self, obj: Appointment) -> str:
        # "No-show" beside "Scheduled", not "no-show".
        return capfirst(obj.get_status_display())

    @admin.display(description="transport")
    def transport_shown(self, obj: Appointment) -> str:
        # "Drop-off" beside "Waiter", not "drop-off".
        return capfirst(obj.get_transport_display())

    @admin.display(description="price", ordering="price_quoted")
    def price(self, obj: Appointment) -> str:
        return money(obj.price_quoted)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Appointment], search_term: str
    ) -> tuple[QuerySet[Appointment], bool]:
        if not search_term.strip():
            return queryset, False
        found = appointment_search(query=search_term, region=shop_get().phone_region)
        return queryset.filter(pk__in=found.values("pk")), False

    def get_form(self, request: HttpRequest, obj: Appointment | None = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a fresh class per call, so this never leaks between requests
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Appointment | None = None) -> list:
        extras = appointment_form_extras(obj)
        can_override = request.user.has_perm(OVERRIDE_PERMISSION)
        override = [("Capacity override", {"fields": OVERRIDE_FIELDS})] if can_override else []
        if obj is None:
            main = ("customer", "vehicle", "service_type", "transport", "local_day", "local_time", "notes")
            return [(None, {"fields": main}), *override]
        when = ("local_day", "local_time") if "local_day" in extras else ("local_start",)
        status = "set_status" if "set_status" in extras else "status"
        sets: list = [
            (None, {"fields": ("customer", "vehicle", "service_type", "transport", *when, status, "notes")}),
            ("From the catalog", {"fields": ("duration_minutes", "price_quoted")}),
        ]
        if "override" in extras:
            sets += override
        if "cancel" in extras:
            sets.append(("Cancel", {"fields": ("cancel", "cancel_note")}))
        sets.append(("Paid", {"fields": ("invoice_total",)}))
        sets.append(("Work in the shop", {"fields": (*WORK_FIELDS, *READY_TEXT_FIELDS)}))
        sets.append(("Record", {"fields": RECORD_FIELDS, "classes": ("collapse",)}))
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Appointment | None = None) -> tuple:
        if obj is None:
            return ()
        fixed = ("customer", "service_type", "transport", "local_start", "status")
        work = () if self._may_set_work(request, obj) else WORK_FIELDS
        paid = ("invoice_total",) if obj.status in NO_WORK else ()  # nothing to pay for
        return (*fixed, "duration_minutes", "price_quoted", *RECORD_FIELDS, *work, *READY_TEXT_FIELDS, *paid)

    def _may_set_work(self, request: HttpRequest, obj: Appointment) -> bool:
        return obj.status not in NO_WORK and self.has_set_work_status_permission(request)

    def has_set_work_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(WORK_STATUS_PERMISSION)

    def get_inline_instances(self, request: HttpRequest, obj: Appointment | None = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        appointment = None
        if (pk := small_int(object_id, max_digits=18)) is not None:
            appointment = Appointment.objects.select_related("service_type").filter(pk=pk).first()
        if appointment is not None:
            # The page heading, in shop time rather than the model's UTC label.
            zone = shop_get().zone
            label = f"#{appointment.pk} {appointment.service_type} on {say_datetime(appointment.start, zone)}"
            extra_context = {"subtitle": label, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("local_day", next_open_day())
        return initial

    def response_change(self, request: HttpRequest, obj: Appointment) -> HttpResponse:
        cancelled = Appointment.objects.filter(pk=obj.pk, status=Appointment.Status.CANCELLED).first()
        if request.POST.get("cancel") and cancelled is not None:
            # Say what happened ("cancelled"), not Django's "changed successfully".
            reason = f" ({cancelled.cancel_reason})" if cancelled.cancel_reason else ""
            self.message_user(request, f"Appointment #{obj.pk} cancelled{reason}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:scheduling_appointment_changelist"))
        return super().response_change(request, obj)

    def save_model(self, request: HttpRequest, obj: Appointment, form: ModelForm, change: bool) -> None:
        """Nothing left to do: AppointmentForm wrote through the services while validating."""

    def has_delete_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False  # cancel instead: it frees capacity and keeps the history

    @admin.action(description="Cancel selected appointments", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        def write(pk: int) -> None:
            appointment_cancel(
                appointment_id=pk,
                channel=Appointment.Channel.STAFF,
                reason=LIST_CANCEL_REASON,
                user=request.user,
            )

        _run_each(request, queryset, write, "cancelled")
