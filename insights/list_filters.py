"""Filters of the call list that the dashboard's figures link to (same expressions as its counts)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from insights.calls import Rang, asked_for_appointment_q, calls_with_rang
from scheduling.shop import shop_get
from voice.models import Call, CallbackRequest


class RangFilter(admin.SimpleListFilter):
    title = "rang"
    parameter_name = "rang"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(Rang.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Call]) -> QuerySet[Call]:
        if self.value() not in Rang.values:
            return queryset
        return calls_with_rang(queryset, zone=shop_get().zone).filter(rang=self.value())


class AskedForAppointmentFilter(admin.SimpleListFilter):
    title = "asked for an appointment"
    parameter_name = "asked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "yes"), ("no", "no")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Call]) -> QuerySet[Call]:
        if self.value() == "yes":
            return queryset.filter(asked_for_appointment_q())
        if self.value() == "no":
            return queryset.exclude(asked_for_appointment_q())
        return queryset


class CallbackFromTestCallFilter(admin.SimpleListFilter):
    """Messages taken on test calls are not the shop's work; the dashboard counts the others."""

    title = "taken on a test call"
    parameter_name = "test_call"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("no", "no (real callers)"), ("yes", "yes")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[CallbackRequest]
    ) -> QuerySet[CallbackRequest]:
        test_calls = Call.objects.test().values("pk")
        if self.value() == "no":
            return queryset.exclude(call_id__in=test_calls)
        if self.value() == "yes":
            return queryset.filter(call_id__in=test_calls)
        return queryset
