"""Admin forms: what an advisor types is normalised (E.164 phones, VINs, plates) or refused with a
sentence saying what to fix."""

from django import forms
from django.utils import timezone
from unfold.widgets import UnfoldBooleanSwitchWidget

from crm.models import Customer, Vehicle
from crm.phones import format_phone_for_display, normalize_phone
from crm.selectors import customers_sharing_phone
from crm.services import OLDEST_VEHICLE_YEAR
from crm.vin import validate_vin
from dealership.core.errors import ApplicationError
from scheduling.shop import shop_get
from voice.agent.language import LANGUAGES


class CustomerForm(forms.ModelForm):
    # The languages the receptionist speaks (voice.agent.language): calls, reminders and texts to
    # this customer start in it; a call in another language updates it.
    preferred_language = forms.ChoiceField(
        choices=sorted(LANGUAGES.items(), key=lambda item: item[1]),
        initial="en",
        help_text="Calls, reminders and texts start in this language; the receptionist updates it when "
        "the customer speaks another on a call.",
    )
    confirm_shared_phone = forms.BooleanField(
        label="Same phone on purpose",
        required=False,
        widget=UnfoldBooleanSwitchWidget,
        help_text="Another customer has this number (a family phone, say). Caller ID keeps greeting the "
        "one who was there first; this one is marked as added to a shared number.",
    )

    class Meta:
        model = Customer
        fields = (
            "name",
            "phone",
            "alt_phone",
            "email",
            "preferred_language",
            "address_line",
            "city",
            "state",
            "zip_code",
            "date_of_birth",
            "sms_opted_out_at",
            "calls_opted_out_at",
            "notes",
            "review_note",
            "secondary_on_phone",
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Shown as the advisor would dial it ("(312) 555-0147"); saved as E.164 by clean_phone.
        for name in ("phone", "alt_phone"):
            if self.initial.get(name):
                self.initial[name] = format_phone_for_display(self.initial[name])

    def _clean_phone_field(self, name: str) -> str:
        raw = self.cleaned_data.get(name) or ""
        if not raw.strip():
            return ""
        try:
            return normalize_phone(raw, region=shop_get().phone_region)
        except ApplicationError as exc:
            raise forms.ValidationError(
                f"{exc.message} Type it with its area code, for example (312) 555-0147, "
                "or with a + and the country code."
            ) from None

    def clean_phone(self) -> str:
        return self._clean_phone_field("phone")

    def clean_alt_phone(self) -> str:
        return self._clean_phone_field("alt_phone")

    def clean(self) -> dict:
        data = super().clean()
        phone = data.get("phone")
        others = list(customers_sharing_phone(phone=phone or "", exclude_id=self.instance.pk)[:3])
        if others and not data.get("confirm_shared_phone"):
            names = ", ".join(other.name for other in others)
            self.add_error(
                "phone",
                f"{format_phone_for_display(phone)} already belongs to {names}. Caller ID greets "
                'customers by this number: check it, or switch on "Same phone on purpose" to save anyway.',
            )
        elif others and "phone" in self.changed_data:
            data["secondary_on_phone"] = True  # caller ID keeps the customer who was there first
            self.instance.secondary_on_phone = True
        return data


class VehicleForm(forms.ModelForm):
    """VIN syntax is enforced; a failing check digit only sets `vin_flagged` (the admin warns)."""

    class Meta:
        model = Vehicle
        fields = (
            "customer",
            "year",
            "make",
            "model",
            "trim",
            "vin",
            "plate",
            "plate_state",
            "mileage",
            "nickname",
        )

    def clean_vin(self) -> str:
        raw = self.cleaned_data.get("vin") or ""
        if not raw.strip():
            self.instance.vin_flagged = False
            return ""
        try:
            check = validate_vin(raw)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        # vin_flagged is not a form field, so construct_instance leaves this value alone.
        self.instance.vin_flagged = not check.check_digit_ok
        return check.vin

    def clean_year(self) -> int | None:
        year = self.cleaned_data.get("year")
        latest = timezone.now().year + 1
        if year is not None and not OLDEST_VEHICLE_YEAR <= year <= latest:
            raise forms.ValidationError(
                f"The model year should be between {OLDEST_VEHICLE_YEAR} and {latest}."
            )
        return year

    def clean_plate(self) -> str:
        return (self.cleaned_data.get("plate") or "").strip().upper()

    def clean_plate_state(self) -> str:
        return (self.cleaned_data.get("plate_state") or "").strip().upper()
