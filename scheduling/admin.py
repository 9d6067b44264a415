"""The shop's own facts in the admin: identity, time zone, capacity, hours, closures, the catalog and
busy time. Appointments live in admin_appointments (imported below so autodiscovery finds them)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from dealership.core.display import phone
from scheduling import admin_appointments  # noqa: F401  (registers AppointmentAdmin)
from scheduling.formatting import say_date
from scheduling.forms import BusinessHoursForm, BusyBlockForm, ClosureForm, ShopForm
from scheduling.knowledge import shop_knowledge_for_agent
from scheduling.models import Appointment, BusinessHours, BusyBlock, Closure, ServiceType, Shop, ShopAnswer
from scheduling.shop import shop_get

MANUAL_SOURCE = "manual"


@admin.register(Shop)
class ShopAdmin(ModelAdmin):
    """One row: the deployment answers for a single shop."""

    form = ShopForm
    list_display = ("name", "phone_display", "timezone", "per_slot_capacity", "daily_capacity")
    fieldsets = (
        ("Identity", {"fields": ("name", "phone_number", "phone_region", "greeting")}),
        ("Time zone", {"fields": ("timezone",)}),
        (
            "Booking rules and capacity",
            {
                "fields": (
                    "slot_minutes",
                    "min_notice_minutes",
                    "horizon_days",
                    "per_slot_capacity",
                    "waiter_capacity",
                    "daily_capacity",
                    "technician_minutes_per_day",
                )
            },
        ),
        (
            "Reminder calls",
            {
                "fields": ("reminder_window_start", "reminder_window_end"),
                "description": "Shop-local times between which reminder calls may be placed.",
            },
        ),
        (
            "Call recording",
            {
                "fields": (
                    "recording_enabled",
                    "recording_consent_required",
                    "recording_delete_at_twilio",
                    "recording_retention_days",
                    "recording_objection_keeps",
                )
            },
        ),
        (
            "Alerts",
            {
                "fields": (
                    "alert_channel",
                    "alert_to",
                    "alert_users",
                    "alert_emails",
                    "alert_phones",
                    "alert_quiet_start",
                    "alert_quiet_end",
                ),
                "description": "Who hears about urgent or safety callbacks and the receptionist failing.",
            },
        ),
    )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Ticks instead of the two-column picker: that one is wider than a laptop screen, and a shop has
        # a handful of staff.
        if db_field.name == "alert_users":
            kwargs["widget"] = UnfoldAdminCheckboxSelectMultipleWidget
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="phone number", ordering="phone_number")
    def phone_display(self, obj: Shop) -> str:
        return phone(obj.phone_number)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Shop.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Shop | None = None) -> bool:
        return False


@admin.register(BusinessHours)
class BusinessHoursAdmin(ModelAdmin):
    form = BusinessHoursForm
    list_display = ("__str__", "weekday", "opens", "closes")
    list_editable = ("opens", "closes")
    list_filter = ("weekday",)

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[ModelForm]:
        return super().get_changelist_form(request, form=BusinessHoursForm, **kwargs)


@admin.register(Closure)
class ClosureAdmin(ModelAdmin):
    form = ClosureForm
    list_display = ("date", "starts", "ends", "reason")
    date_hierarchy = "date"
    search_fields = ("reason",)

    def save_model(self, request: HttpRequest, obj: Closure, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        booked = _booked_during(obj)
        if booked:
            agenda = f"{reverse('admin:scheduling_appointment_agenda')}?{urlencode({'date': obj.date})}"
            messages.warning(
                request,
                format_html(
                    "{} appointment(s) are already booked in this closure on {}; they are not moved or "
                    'cancelled automatically. <a href="{}">Open that day\'s agenda</a>.',
                    booked,
                    say_date(obj.date),
                    agenda,
                ),
            )


def _booked_during(closure: Closure) -> int:
    booked = Appointment.objects.filter(local_date=closure.date, status__in=Appointment.ACTIVE_STATUSES)
    if closure.is_full_day:
        return booked.count()
    # The closure's times are shop-local wall-clock times.
    zone = shop_get().zone
    starts = datetime.combine(closure.date, closure.starts or time(0), tzinfo=zone)
    ends = datetime.combine(closure.date, closure.ends or time.max, tzinfo=zone)
    return booked.filter(start__lt=ends, end__gt=starts).count()


@admin.register(ServiceType)
class ServiceTypeAdmin(ModelAdmin):
    list_display = (
        "name",
        "code",
        "duration_minutes",
        "price",
        "price_is_from",
        "bookable_by_ai",
        "waiter_eligible",
        "daily_limit",
        "active",
    )
    list_editable = ("duration_minutes", "price", "active")
    list_filter = ("active", "bookable_by_ai", "waiter_eligible")
    search_fields = ("code", "name", "synonyms")
    prepopulated_fields = {"code": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "code", "synonyms", "active")}),
        ("Catalog", {"fields": ("duration_minutes", "price", "price_is_from", "daily_limit")}),
        ("Booking", {"fields": ("bookable_by_ai", "waiter_eligible")}),
    )


@admin.register(BusyBlock)
class BusyBlockAdmin(ModelAdmin):
    """Busy time outside our book. Synced blocks (e.g. from Google Calendar) are view-only here
    because the next sync would overwrite an edit; advisors may add and remove manual ones."""

    form = BusyBlockForm
    list_display = ("summary", "start", "end", "source")
    list_filter = ("source",)
    date_hierarchy = "start"
    search_fields = ("summary",)

    def get_readonly_fields(self, request: HttpRequest, obj: BusyBlock | None = None) -> tuple:
        return ("source", "external_id") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: BusyBlock | None = None) -> tuple:
        return ("start", "end", "summary", "source", "external_id") if obj else ("start", "end", "summary")

    def has_change_permission(self, request: HttpRequest, obj: BusyBlock | None = None) -> bool:
        synced = obj is not None and obj.source != MANUAL_SOURCE
        return super().has_change_permission(request, obj) and not synced

    def has_delete_permission(self, request: HttpRequest, obj: BusyBlock | None = None) -> bool:
        synced = obj is not None and obj.source != MANUAL_SOURCE
        return super().has_delete_permission(request, obj) and not synced

    def save_model(self, request: HttpRequest, obj: BusyBlock, form: ModelForm, change: bool) -> None:
        if not change:
            obj.source = MANUAL_SOURCE
        super().save_model(request, obj, form, change)


@admin.register(ShopAnswer)
class ShopAnswerAdmin(admin.ModelAdmin):
    """What the phone assistant may tell callers about the shop. Every call reads the active answers
    afresh, so an edit here is used from the next call on."""

    list_display = ("topic", "short_answer", "active", "ordering", "updated_at")
    list_editable = ("active", "ordering")  # plain facts: saving the row is the whole write
    list_filter = ("active",)
    search_fields = ("topic", "answer")
    fields = ("topic", "answer", "active", "ordering")

    @admin.display(description="answer")
    def short_answer(self, obj: ShopAnswer) -> str:
        return obj.answer if len(obj.answer) <= 90 else obj.answer[:87] + "..."

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        left_out = shop_knowledge_for_agent().left_out
        if left_out and request.method == "GET":
            messages.warning(
                request,
                f"The assistant only gets as many answers as fit in its instructions; these are left out: "
                f"{', '.join(left_out)}. Shorten or switch off some answers, or move these up.",
            )
        return super().changelist_view(request, extra_context)
