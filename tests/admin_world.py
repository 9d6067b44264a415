"""Test support for the admin permission tests: one row of every model the admin shows, staff users
with narrow permissions, a snapshot of the whole database, and what the admin offers (actions and custom
URLs) found by walking `admin.site`, so an action or page added later is covered without listing it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.urls import URLPattern, URLResolver
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from crm.models import Customer, ServiceRecord
from insights.models import CallDay
from reminders.models import ConsentEvent, Reminder
from reminders.services import reminder_schedule
from scheduling.models import BusyBlock, CalendarSyncState, Closure
from scheduling.services import appointment_book
from scheduling.tests.clock import NOW, at
from voice.models import Call, CallbackRequest, Recording


@dataclass(frozen=True)
class AdminAction:
    model_admin: ModelAdmin
    name: str

    @property
    def label(self) -> str:
        return f"{self.model_admin.opts.label_lower}:{self.name}"


@dataclass(frozen=True)
class AdminUrl:
    model_admin: ModelAdmin | None  # None: a page of the admin site itself
    pattern: URLPattern

    @property
    def label(self) -> str:
        return self.pattern.name or f"<unnamed {self.pattern.pattern}>"


def admin_actions(site: AdminSite = admin.site) -> list[AdminAction]:
    """Every action every registered ModelAdmin has (site-wide ones such as delete_selected included)."""
    found = []
    for model_admin in site._registry.values():
        names = dict.fromkeys(name for _, name, _ in model_admin._get_base_actions())
        found += [AdminAction(model_admin, name) for name in names]
    return found


def _patterns(urls: list[URLPattern | URLResolver]) -> dict[str, URLPattern | URLResolver]:
    return {str(p.pattern): p for p in urls}


def custom_admin_urls(site: AdminSite = admin.site) -> list[AdminUrl]:
    """URLs added by get_urls() overrides beyond Django's own, on the site and on every ModelAdmin."""
    found = []
    own = _patterns(AdminSite.get_urls(site))
    for key, pattern in _patterns(site.get_urls()).items():
        if key not in own and isinstance(pattern, URLPattern):
            found.append(AdminUrl(None, pattern))
    for model_admin in site._registry.values():
        own = _patterns(ModelAdmin.get_urls(model_admin))
        for key, pattern in _patterns(model_admin.get_urls()).items():
            if key not in own:
                assert isinstance(pattern, URLPattern), f"{model_admin}: include() of {key}"
                found.append(AdminUrl(model_admin, pattern))
    return found


def url_kwargs(url: AdminUrl) -> dict[str, Any]:
    """Values for the pattern's parameters: the pk of a row of the admin's model."""
    names = re.findall(r"<(?:\w+:)?(\w+)>", str(url.pattern.pattern))
    model = url.model_admin.model if url.model_admin else None
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first() if model else 1
    return {name: pk for name in names}


def perm_name(model: type[models.Model], action: str) -> str:
    opts = model._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


def staff(username: str, perms: list[str] | tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username, password="pw-12345678", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # no stale permission cache


def view_everything(username: str = "viewer") -> User:
    """A staff user who may view every model and nothing more."""
    user = User.objects.create_user(username, password="pw-12345678", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (sessions and caches aside): equal snapshots mean nothing was written.
    The dashboard's kept days (insights.CallDay) are a cache a view fills, computed from the rows."""
    tables = {}
    for model in apps.get_models():
        if model in (Session, CallDay) or model._meta.proxy:
            continue
        tables[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return tables


def build_world(catalog: dict, customer: Customer) -> None:
    """One row (at least) of every model registered in the admin, in states the actions act on: a booked
    appointment whose reminder was already delivered, an unhandled callback request, a calendar state."""
    appointment = appointment_book(
        customer=customer, service_code="oil_change", start=at(9, 30), channel="staff"
    )
    reminder_schedule(appointment_id=appointment.pk)  # booking's own hook waits for a commit
    Reminder.objects.filter(appointment=appointment).update(
        status=Reminder.Status.DELIVERED, delivered_at=NOW
    )
    vehicle = customer.vehicles.get()
    ServiceRecord.objects.create(
        vehicle=vehicle, date=date(2026, 5, 1), service_type=catalog["oil_change"], cost=Decimal("49.99")
    )
    call = Call.objects.create(call_sid="CA" + "7" * 32, from_number=customer.phone, customer=customer)
    CallbackRequest.objects.create(call=call, customer=customer, phone=customer.phone, reason="Call me back")
    stored = default_storage.save("recordings/world.wav", ContentFile(b"RIFF" + b"\0" * 400))
    Recording.objects.create(
        call=call, recording_sid="RE" + "7" * 32, status=Recording.Status.STORED, file=stored, channels=2
    )
    other = Customer.objects.create(name="Lee Park", phone="+17735550122")
    ConsentEvent.objects.create(
        customer=other, phone=other.phone, action="opt_out", scope="all", source="admin", at=NOW
    )
    Closure.objects.create(date=NOW.date() + timedelta(days=30), reason="holiday")
    BusyBlock.objects.create(start=at(14), end=at(15), source="manual", summary="lift service")
    CalendarSyncState.objects.create(calendar_id="shop@example.com", sync_token="t1")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    CrontabSchedule.objects.get_or_create(minute="0", hour="3")
    SolarSchedule.objects.get_or_create(event="sunrise", latitude=41.88, longitude=-87.63)
    ClockedSchedule.objects.get_or_create(clocked_time=NOW + timedelta(days=1))
    if not PeriodicTask.objects.exists():
        PeriodicTask.objects.create(name="demo", task="reminders.dispatch", interval=interval)
    Group.objects.get_or_create(name="Front desk")
    User.objects.get_or_create(username="someone", defaults={"is_staff": True})
