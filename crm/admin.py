"""The advisors' customer desk: find anyone by phone (any format), name, VIN or plate, see their
vehicles, appointments and service history on one page."""

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from unfold.admin import ModelAdmin, TabularInline

from crm.admin_import import CustomerImport
from crm.admin_verification import VerificationPauseAdmin
from crm.forms import CustomerForm, VehicleForm
from crm.models import Customer, ServiceRecord, Vehicle
from crm.phones import format_phone_for_display
from crm.selectors import (
    UPCOMING_STATUSES,
    customer_card,
    customer_search,
    vehicle_pick,
    vehicle_search,
)
from dealership.core.badges import badge
from dealership.core.display import day, money
from scheduling.models import Appointment
from voice.agent.language import LANGUAGES
from voice.agent.lines import DEFAULT_LANGUAGE

SEARCH_HELP = "Phone in any format, name, email, VIN (or its last 6+ characters) or plate."
VIN_FLAG_WARNING = (
    "The VIN {vin} was saved, but its check digit doesn't verify, so it is flagged for review. "
    "That is normal for many vehicles built outside North America; otherwise please re-check it."
)


def _admin_link(viewname: str, pk: int, label: str) -> str:
    """A link to another admin page, or plain text while that admin is not registered."""
    try:
        return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), label)
    except NoReverseMatch:
        return label


def _local(value: datetime | None) -> str:
    return date_format(timezone.localtime(value), "D M j, Y g:i A") if value else "—"


def _warn_flagged(request: HttpRequest, form: ModelForm) -> None:
    vehicle = form.instance
    if vehicle.vin_flagged and "vin" in form.changed_data:
        messages.warning(request, VIN_FLAG_WARNING.format(vin=vehicle.vin))


class OptOutFilter(admin.SimpleListFilter):
    field = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("out", "Opted out"), ("allowed", "Allowed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "out":
            return queryset.filter(**{f"{self.field}__isnull": False})
        if self.value() == "allowed":
            return queryset.filter(**{f"{self.field}__isnull": True})
        return queryset


class SmsOptOutFilter(OptOutFilter):
    title = "text messages"
    parameter_name = "sms"
    field = "sms_opted_out_at"


class CallsOptOutFilter(OptOutFilter):
    title = "automated calls"
    parameter_name = "calls"
    field = "calls_opted_out_at"


class VehicleInline(TabularInline):
    model = Vehicle
    form = VehicleForm
    extra = 0
    tab = True
    fields = ("year", "make", "model", "trim", "vin", "vin_flagged", "plate", "plate_state", "mileage")
    readonly_fields = ("vin_flagged",)
    show_change_link = True


class _AppointmentInline(TabularInline):
    """Read-only: appointments are booked and moved through the scheduling admin, which enforces
    capacity; here they are only listed with a link there."""

    model = Appointment
    extra = 0
    can_delete = False
    tab = True
    fields = ("appointment_link", "start", "service_type", "vehicle", "status", "channel")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="appointment")
    def appointment_link(self, obj: Appointment) -> str:
        return _admin_link("admin:scheduling_appointment_change", obj.pk, f"#{obj.pk}")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appointment]:
        return super().get_queryset(request).select_related("service_type", "vehicle")


class UpcomingAppointmentInline(_AppointmentInline):
    verbose_name_plural = "upcoming appointments"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appointment]:
        qs = super().get_queryset(request)
        return qs.filter(start__gte=timezone.now(), status__in=UPCOMING_STATUSES).order_by("start")


class PastAppointmentInline(_AppointmentInline):
    verbose_name_plural = "past and cancelled appointments"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appointment]:
        qs = super().get_queryset(request)
        upcoming = qs.filter(start__gte=timezone.now(), status__in=UPCOMING_STATUSES)
        return qs.exclude(pk__in=upcoming.values("pk")).order_by("-start")


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "needs review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Flagged by the phone agent")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.exclude(review_note="") if self.value() == "yes" else queryset


@admin.register(Customer)
class CustomerAdmin(VerificationPauseAdmin, CustomerImport, ModelAdmin):
    form = CustomerForm
    list_display = ("name", "phone_display", "vehicle_count", "next_appointment", "review_flag")
    list_filter = (NeedsReviewFilter, SmsOptOutFilter, CallsOptOutFilter)
    # The box needs a search field to appear; get_search_results does the real matching.
    search_fields = ("name",)
    search_help_text = SEARCH_HELP
    readonly_fields = ("service_history", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {"fields": ("name", "phone", "confirm_shared_phone", "alt_phone", "email", "preferred_language")},
        ),
        ("Review", {"fields": ("review_note", "secondary_on_phone")}),
        ("Address", {"fields": ("address_line", "city", "state", "zip_code")}),
        ("Identity check", {"fields": ("date_of_birth",)}),
        ("Contact opt-outs", {"fields": ("sms_opted_out_at", "calls_opted_out_at")}),
        ("Notes", {"fields": ("notes", "created_at", "updated_at")}),
        ("Service history", {"fields": ("service_history",), "classes": ["tab"]}),
    )
    inlines = (VehicleInline, UpcomingAppointmentInline, PastAppointmentInline)
    # The customer at a glance (cars, next visit, open messages, calls, opt-outs, Book appointment)
    # above the page; vehicles and appointments are tabs rather than a 2,700 px scroll.
    change_form_outer_before_template = "admin/crm/customer/header_card.html"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> Any:
        customer = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if customer is not None:
            extra["card"] = customer_card(customer=customer)
            # English is the norm: the header names another language only ("Speaks Spanish").
            if customer.preferred_language and customer.preferred_language != DEFAULT_LANGUAGE:
                code = customer.preferred_language
                extra["other_language"] = LANGUAGES.get(code, code)
            if request.user.has_perm("scheduling.add_appointment"):
                extra["book_url"] = f"{reverse('admin:scheduling_appointment_add')}?customer={customer.pk}"
            # Identity checks paused by failed attempts from many numbers, and the way to lift it.
            extra.update(self.verification_pause_context(request, customer))
        return super().change_view(request, object_id, form_url, extra)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        vehicles = (
            Vehicle.objects.filter(customer=OuterRef("pk"))
            .order_by()
            .values("customer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        next_start = (
            Appointment.objects.real()  # as the customer's page: a test booking is no visit
            .filter(customer=OuterRef("pk"), start__gte=timezone.now(), status__in=UPCOMING_STATUSES)
            .order_by("start")
            .values("start")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                vehicles_n=Coalesce(Subquery(vehicles, output_field=IntegerField()), 0),
                next_start=Subquery(next_start),
            )
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=customer_search(query=search_term).values("pk")), False

    def get_inline_instances(self, request: HttpRequest, obj: Customer | None = None) -> list:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            return [i for i in inlines if isinstance(i, VehicleInline)]
        return inlines

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool):
        super().save_formset(request, form, formset, change)
        if formset.model is Vehicle:
            for vehicle_form in formset.forms:
                if vehicle_form.instance.pk:
                    _warn_flagged(request, vehicle_form)

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, obj: Customer) -> str:
        return format_phone_for_display(obj.phone)

    @admin.display(description="vehicles", ordering="vehicles_n")
    def vehicle_count(self, obj: Customer) -> int:
        return obj.vehicles_n

    @admin.display(description="review")
    def review_flag(self, obj: Customer) -> str:
        # Only flagged rows say anything, so the list stays quiet.
        return "Needs review" if obj.review_note else ""

    @admin.display(description="next appointment", ordering="next_start")
    def next_appointment(self, obj: Customer) -> str:
        return _local(obj.next_start)

    @admin.display(description="service history")
    def service_history(self, obj: Customer | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        records = (
            ServiceRecord.objects.filter(vehicle__customer=obj)
            .select_related("vehicle", "service_type")
            .order_by("-date", "-pk")
        )
        rows = format_html_join(
            "",
            '<tr><td class="desk-time">{}</td><td>{}</td><td>{}</td><td class="desk-number">{}</td>'
            '<td class="desk-number">{}</td><td>{}</td></tr>',
            (
                (
                    _admin_link("admin:crm_servicerecord_change", r.pk, day(r.date)),
                    r.vehicle,
                    r.service_name or "—",
                    f"{r.mileage:,} mi" if r.mileage is not None else "—",
                    money(r.cost) if r.cost is not None else "—",
                    r.notes,
                )
                for r in records
            ),
        )
        if not rows:
            return "No service on record."
        return format_html(
            '<table class="desk-table" id="service-history"><thead><tr><th class="desk-time">Date</th>'
            '<th>Vehicle</th><th>Service</th><th class="desk-number">Mileage</th>'
            '<th class="desk-number">Cost</th><th>Notes</th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )


def _is_appointment_vehicle_picker(request: HttpRequest) -> bool:
    """The appointment form's vehicle autocomplete (Django's /admin/autocomplete/ view)."""
    params = request.GET
    return (
        params.get("app_label") == "scheduling"
        and params.get("model_name") == "appointment"
        and params.get("field_name") == "vehicle"
    )


class ServiceRecordInline(TabularInline):
    model = ServiceRecord
    extra = 0
    fields = ("date", "service_type", "description", "mileage", "cost", "notes")


@admin.register(Vehicle)
class VehicleAdmin(ModelAdmin):
    form = VehicleForm
    list_display = ("__str__", "customer", "vin", "vin_check", "plate", "mileage")
    list_filter = ("vin_flagged", "make")
    list_select_related = ("customer",)
    search_fields = ("vin",)
    search_help_text = "VIN (or its last 6+ characters), plate, or the owner's name or phone."
    autocomplete_fields = ("customer",)
    readonly_fields = ("vin_flagged",)
    inlines = (ServiceRecordInline,)

    @admin.display(description="VIN check", ordering="vin_flagged")
    def vin_check(self, vehicle: Vehicle) -> SafeString | str:
        # A word only on the cars to look at: "No" on every other row was noise.
        return badge("Check VIN", "warning") if vehicle.vin_flagged else ""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Vehicle], search_term: str
    ) -> tuple[QuerySet[Vehicle], bool]:
        if _is_appointment_vehicle_picker(request):
            # Booking: only the chosen customer's cars (none until one is chosen), found by make,
            # model, year, plate or VIN as well.
            customer = request.GET.get("customer", "")
            return vehicle_pick(
                customer_id=int(customer) if customer.isdigit() else None, query=search_term
            ), False
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=vehicle_search(query=search_term).values("pk")), False

    def save_model(self, request: HttpRequest, obj: Vehicle, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _warn_flagged(request, form)


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ModelAdmin):
    list_display = ("date", "service_name", "vehicle", "customer_name", "mileage", "cost_display")
    list_filter = ("service_type",)
    list_select_related = ("vehicle__customer", "service_type")
    search_fields = (
        "vehicle__vin",
        "vehicle__plate",
        "vehicle__customer__name",
        "service_type__name",
        "description",
        "notes",
    )
    date_hierarchy = "date"
    autocomplete_fields = ("vehicle",)
    raw_id_fields = ("appointment",)

    @admin.display(description="cost", ordering="cost")
    def cost_display(self, obj: ServiceRecord) -> str:
        return money(obj.cost)

    @admin.display(description="customer", ordering="vehicle__customer__name")
    def customer_name(self, obj: ServiceRecord) -> str:
        return obj.vehicle.customer.name
