"""Admin for what take-overs need: each staff member's own phone, and the shop's transfer list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from dealership.core.display import phone
from voice.takeover_models import StaffProfile, TransferNumber


@admin.register(TransferNumber)
class TransferNumberAdmin(ModelAdmin):
    list_display = ("label", "phone_display", "active")
    list_filter = ("active",)
    search_fields = ("label", "phone")

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, obj: TransferNumber) -> str:
        return phone(obj.phone)


@admin.register(StaffProfile)
class StaffProfileAdmin(ModelAdmin):
    """A staff member sees and edits only their own profile (a superuser sees everyone's): nobody can
    point someone else's "Transfer to me" at another number."""

    list_display = ("user", "phone_display")

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, obj: StaffProfile) -> str:
        return phone(obj.phone)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffProfile]:
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_fields(self, request: HttpRequest, obj: StaffProfile | None = None) -> list[str]:
        return ["user", "phone"] if request.user.is_superuser else ["phone"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        mine_exists = StaffProfile.objects.filter(user=request.user).exists()
        return super().has_add_permission(request) and (request.user.is_superuser or not mine_exists)

    def save_model(self, request: HttpRequest, obj: StaffProfile, form: Any, change: bool) -> None:
        if not request.user.is_superuser:
            obj.user = request.user
        super().save_model(request, obj, form, change)
