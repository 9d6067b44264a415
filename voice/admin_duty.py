"""Admin for the on-duty rota: an owner ticks the days and sets the hours each staff member is on duty;
an advisor sees their own shifts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from dealership.core.display import shop_time
from voice.duty_models import WEEKDAYS, DutyShift


class DutyShiftForm(forms.ModelForm):
    days = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text="The days the shift starts on.",
        error_messages={"required": "Tick at least one day."},
    )

    class Meta:
        model = DutyShift
        fields = ("user", "days", "starts", "ends")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["days"] = list(self.instance.days)

    def clean_days(self) -> str:
        return "".join(sorted(set(self.cleaned_data["days"])))


@admin.register(DutyShift)
class DutyShiftAdmin(ModelAdmin):
    """Whoever may change the rota (the Owner) sees everyone's shifts; others only their own."""

    form = DutyShiftForm
    list_display = ("user", "days_shown", "starts_shown", "ends_shown")
    list_filter = ("user",)

    @admin.display(description="days")
    def days_shown(self, obj: DutyShift) -> str:
        return obj.days_shown()

    @admin.display(description="from", ordering="starts")
    def starts_shown(self, obj: DutyShift) -> str:
        return shop_time(obj.starts)

    @admin.display(description="until", ordering="ends")
    def ends_shown(self, obj: DutyShift) -> str:
        overnight = obj.ends <= obj.starts
        return shop_time(obj.ends) + (" (next day)" if overnight else "")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DutyShift]:
        queryset = super().get_queryset(request).select_related("user")
        if request.user.has_perm("voice.change_dutyshift"):
            return queryset
        return queryset.filter(user=request.user)

    def get_list_filter(self, request: HttpRequest) -> tuple[str, ...]:
        return self.list_filter if request.user.has_perm("voice.change_dutyshift") else ()
