"""Admin forms for scheduling. The appointment form books, moves, cancels and steps the status
through the same services the AI uses: its last validation step IS the write (the rules can only be
checked atomically with it), and a refusal becomes a form error with the nearest open times."""

from __future__ import annotations

from copy import copy
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from unfold.widgets import (
    UnfoldAdminDateWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldAdminTimeWidget,
    UnfoldBooleanSwitchWidget,
)

from crm.phones import format_phone_for_display, normalize_phone
from dealership.core.errors import ApplicationError
from scheduling import availability as engine
from scheduling.admin_refusals import staff_refusal
from scheduling.models import Appointment, BusinessHours, BusyBlock, Closure, ServiceType, Shop
from scheduling.services import (
    OVERRIDE_PERMISSION,
    User,
    appointment_book,
    appointment_cancel,
    appointment_details_update,
    appointment_invoice_total_set,
    appointment_reschedule,
    appointment_status_set,
    status_choices_for,
)
from scheduling.shop import shop_get
from scheduling.work_status import appointment_work_status_set

STAFF = Appointment.Channel.STAFF
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p"]
MOVABLE = (Appointment.Status.SCHEDULED, Appointment.Status.CONFIRMED)
OVERRIDE_FIELDS = ("override", "override_note")


def appointment_form_extras(appointment: Appointment | None) -> tuple[str, ...]:
    """The form-only fields that apply: booking fields when adding; time, status and cancel while the
    appointment can still move; only the status step once the car has arrived; none after that."""
    if appointment is None or appointment.pk is None:
        return ("local_day", "local_time", "transport", *OVERRIDE_FIELDS)
    if appointment.status in MOVABLE:
        return ("local_day", "local_time", "set_status", *OVERRIDE_FIELDS, "cancel", "cancel_note")
    if appointment.status == Appointment.Status.ARRIVED:
        return ("set_status",)
    return ()


class AppointmentForm(forms.ModelForm):
    """`user` is set on the class by AppointmentAdmin.get_form (the admin builds a class per request)."""

    user: User | None = None

    # Form-only fields carry the admin theme's widgets (its ModelAdmin styles model fields only).
    local_day = forms.DateField(label="Date", widget=UnfoldAdminDateWidget)
    local_time = forms.TimeField(
        label="Time",
        input_formats=TIME_FORMATS,
        # The shop's one time format, 12-hour without seconds ("9:00 AM"); the picker's "14:30" is read too.
        widget=UnfoldAdminTimeWidget(format="%-I:%M %p"),
    )
    transport = forms.ChoiceField(
        choices=Appointment.Transport.choices,
        initial=Appointment.Transport.DROP_OFF,
        widget=UnfoldAdminSelectWidget,
    )
    set_status = forms.ChoiceField(
        label="Status", choices=Appointment.Status.choices, required=False, widget=UnfoldAdminSelectWidget
    )
    override = forms.BooleanField(
        label="Override capacity",
        required=False,
        help_text="Book even though the slot or day is full. Your name and reason are recorded.",
        widget=UnfoldBooleanSwitchWidget,
    )
    override_note = forms.CharField(
        label="Reason for the override", max_length=200, required=False, widget=UnfoldAdminTextInputWidget
    )
    cancel = forms.BooleanField(
        label="Cancel this appointment", required=False, widget=UnfoldBooleanSwitchWidget
    )
    cancel_note = forms.CharField(
        label="Cancellation reason", max_length=200, required=False, widget=UnfoldAdminTextInputWidget
    )

    class Meta:
        model = Appointment
        # The work fields are on the form only when the admin shows them editable (set_work_status).
        fields = (
            "customer",
            "vehicle",
            "service_type",
            "notes",
            "invoice_total",
            "work_status",
            "promised_at",
            "customer_note",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = shop_get().zone
        zone_name = str(self.zone)
        self._set_help("local_day", f"Shop date ({zone_name}).")
        self._set_help("local_time", f"Shop time ({zone_name}), e.g. 9:30 or 2:00 PM.")
        extras = set(appointment_form_extras(self.instance))
        for name in set(self.declared_fields) - extras:
            self.fields.pop(name, None)
        if "service_type" in self.fields:
            self.fields["service_type"].queryset = ServiceType.objects.filter(active=True)
        if "local_time" in self.fields:
            # The open times to click (scheduling/admin/appointment_form.js asks this URL for them).
            attrs = self.fields["local_time"].widget.attrs
            attrs["data-open-times"] = reverse("admin:scheduling_appointment_open_times")
            if self.instance.pk:  # moving a booking: its service and transport stay
                attrs["data-service"] = str(self.instance.service_type_id)
                attrs["data-transport"] = self.instance.transport
        customer_id = self.instance.customer_id or self.initial.get("customer")
        if "vehicle" in self.fields and customer_id:
            # The vehicle picker asks for this customer's cars (scheduling/admin/appointment_form.js).
            widget = self.fields["vehicle"].widget
            widget = getattr(widget, "widget", widget)  # inside the admin's related-field wrapper
            widget.attrs["data-customer"] = str(getattr(customer_id, "pk", customer_id))
        if not (self.user is not None and self.user.has_perm(OVERRIDE_PERMISSION)):
            self.fields.pop("override", None)
            self.fields.pop("override_note", None)
        if self.instance.pk:
            local = self.instance.start.astimezone(self.zone)
            self.initial.setdefault("local_day", local.date())
            self.initial.setdefault("local_time", local.time())
            self.initial.setdefault("set_status", self.instance.status)
            if "set_status" in self.fields:
                self.fields["set_status"].choices = status_choices_for(self.instance.status)

    def _set_help(self, name: str, text: str) -> None:
        if name in self.fields:
            self.fields[name].help_text = text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        vehicle, customer = data.get("vehicle"), data.get("customer") or self._current("customer")
        if vehicle is not None and customer is not None and vehicle.customer_id != customer.pk:
            self.add_error("vehicle", "That vehicle belongs to a different customer.")
        if data.get("override") and not (data.get("override_note") or "").strip():
            self.add_error("override_note", "Say why you are booking over capacity.")
        if "local_day" in self.fields and data.get("local_day") and data.get("local_time"):
            start = engine.local_datetime(data["local_day"], data["local_time"], self.zone)
            if start is None:
                self.add_error("local_time", "That time doesn't exist on that day (the clocks skip it).")
            data["start"] = start
        if data.get("cancel") and not (data.get("cancel_note") or "").strip():
            self.add_error("cancel_note", "Say why it is cancelled (kept in the appointment's history).")
        if data.get("cancel") and (self._moved(data) or self._status_changed(data)):
            raise forms.ValidationError("Cancel, or change the time or status — not both at once.")
        final_status = data.get("set_status") or self._current("status")
        if data.get("invoice_total") is not None and final_status != Appointment.Status.COMPLETED:
            self.add_error("invoice_total", "Kept once the appointment is completed: set the status too.")
        return data

    def _current(self, name: str) -> Any:
        return getattr(self.instance, name, None) if self.instance.pk else None

    def _moved(self, data: dict[str, Any]) -> bool:
        return bool(self.instance.pk and data.get("start") and data["start"] != self.instance.start)

    def _status_changed(self, data: dict[str, Any]) -> bool:
        status = data.get("set_status")
        return bool(self.instance.pk and status and status != self.instance.status)

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            # One savepoint: a refusal in a later step undoes the earlier ones, so nothing half-saves.
            with transaction.atomic():
                self.instance = self._book() if self.instance.pk is None else self._change()
        except ApplicationError as error:
            data = self.cleaned_data
            service = data.get("service_type") or getattr(self.instance, "service_type", None)
            transport = data.get("transport") or getattr(self.instance, "transport", "")
            self.add_error(
                None,
                staff_refusal(
                    error,
                    start=data.get("start"),
                    service=service,
                    waiter=transport == Appointment.Transport.WAITER,
                ),
            )

    def _override_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "user": self.user,
            "override": bool(data.get("override")),
            "override_reason": (data.get("override_note") or "").strip(),
        }

    def _book(self) -> Appointment:
        data = self.cleaned_data
        return appointment_book(
            customer=data["customer"],
            vehicle=data.get("vehicle"),
            service_code=data["service_type"].code,
            start=data["start"],
            channel=STAFF,
            waiter=data.get("transport") == Appointment.Transport.WAITER,
            notes=data.get("notes", ""),
            **self._override_args(),
        )

    def _change(self) -> Appointment:
        data = self.cleaned_data
        pk = self.instance.pk
        if data.get("cancel"):
            appointment_cancel(
                appointment_id=pk,
                channel=STAFF,
                reason=(data.get("cancel_note") or "").strip(),
                user=self.user,
            )
        elif self._moved(data):
            appointment_reschedule(
                appointment_id=pk, start=data["start"], channel=STAFF, **self._override_args()
            )
        invoice_total = data.get("invoice_total")  # clean() allowed it only with completed
        if self._status_changed(data):  # clean() refused status + cancel together
            appointment_status_set(
                appointment_id=pk, status=data["set_status"], user=self.user, invoice_total=invoice_total
            )
        elif "invoice_total" in self.fields and self.instance.status == Appointment.Status.COMPLETED:
            appointment_invoice_total_set(appointment_id=pk, invoice_total=invoice_total, user=self.user)
        appointment_details_update(
            appointment_id=pk,
            vehicle=data.get("vehicle", self.instance.vehicle),
            notes=data.get("notes", self.instance.notes),
            user=self.user,
        )
        if "work_status" in self.fields:
            appointment_work_status_set(
                appointment_id=pk,
                work_status=data.get("work_status") or "",
                promised_at=data.get("promised_at"),
                note=data.get("customer_note") or "",
                user=self.user,
            )
        return Appointment.objects.select_related("customer", "service_type").get(pk=pk)

    def save(self, commit: bool = True) -> Appointment:
        # The services already wrote everything in _post_clean; saving the form instance again would
        # overwrite their fields with the form's stale copy.
        return self.instance

    def save_m2m(self) -> None:
        pass


class ShopForm(forms.ModelForm):
    class Meta:
        model = Shop
        fields = (
            "name",
            "phone_number",
            "phone_region",
            "greeting",
            "timezone",
            "slot_minutes",
            "min_notice_minutes",
            "horizon_days",
            "per_slot_capacity",
            "waiter_capacity",
            "daily_capacity",
            "technician_minutes_per_day",
            "reminder_window_start",
            "reminder_window_end",
            "recording_enabled",
            "recording_consent_required",
            "recording_delete_at_twilio",
            "recording_retention_days",
            "recording_objection_keeps",
            "alert_channel",
            "alert_to",
            "alert_users",
            "alert_emails",
            "alert_phones",
            "alert_quiet_start",
            "alert_quiet_end",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "alert_users" in self.fields:
            users = self.fields["alert_users"]
            users.queryset = users.queryset.filter(is_staff=True, is_active=True)  # type: ignore[attr-defined]
        if self.instance.phone_number and not self.is_bound:
            # Stored as +13125550147; shown as the shop dials it.
            self.initial["phone_number"] = format_phone_for_display(
                self.instance.phone_number, region=self.instance.phone_region or "US"
            )

    def clean_alert_emails(self) -> str:
        addresses = [a.strip() for a in (self.cleaned_data.get("alert_emails") or "").split(",") if a.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise forms.ValidationError(f"{address[:60]} is not an email address.") from None
        return ", ".join(addresses)

    def clean_alert_phones(self) -> str:
        region = self.cleaned_data.get("phone_region") or "US"
        numbers = []
        for raw in (self.cleaned_data.get("alert_phones") or "").split(","):
            if raw.strip():
                try:
                    numbers.append(normalize_phone(raw.strip(), region=region))
                except ApplicationError as error:
                    raise forms.ValidationError(error.message) from None
        return ", ".join(numbers)

    def clean_phone_number(self) -> str:
        raw = (self.cleaned_data.get("phone_number") or "").strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw, region=self.cleaned_data.get("phone_region") or "US")
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("reminder_window_start"), data.get("reminder_window_end")
        if start and end and start >= end:
            self.add_error("reminder_window_end", "The reminder window must end after it starts.")
        return data


class BusinessHoursForm(forms.ModelForm):
    class Meta:
        model = BusinessHours
        fields = ("weekday", "opens", "closes")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weekday, opens, closes = (
            data.get("weekday", self.instance.weekday),
            data.get("opens"),
            data.get("closes"),
        )
        if opens and closes and opens >= closes:
            # On the field, so the model's check constraint doesn't repeat it in its own words.
            self.add_error("closes", "The shop must close after it opens.")
            return data
        if weekday is not None and opens and closes:
            overlap = (
                BusinessHours.objects.filter(weekday=weekday, opens__lt=closes, closes__gt=opens)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if overlap is not None:
                raise forms.ValidationError(f"These hours overlap {overlap}; use one row per shift.")
        return data


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ("date", "starts", "ends", "reason")

    def __init__(self, *args: Any, instance: Closure | None = None, **kwargs: Any) -> None:
        # Work on a copy: the admin titles a re-shown page with str() of the object it passed in,
        # and a half-filled closure (start, no end) can't be named.
        super().__init__(*args, instance=copy(instance) if instance is not None else None, **kwargs)


class BusyBlockForm(forms.ModelForm):
    class Meta:
        model = BusyBlock
        fields = ("start", "end", "summary")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if isinstance(start, datetime) and isinstance(end, datetime) and start >= end:
            raise forms.ValidationError("The busy time must end after it starts.")
        return data
