"""The admin's sidebar and header, grouped around an advisor's day (django-unfold's SIDEBAR setting).

Each entry shows only to users who may view what it links to; the plumbing (periodic tasks, calendar
sync state, users, groups) sits under "Administration", shown to superusers only.
"""

from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy

from scheduling.shop import shop_get

Item = dict[str, Any]


def site_title(request: HttpRequest) -> str:
    """The shop's name in the header and the browser tab, never "Django administration"."""
    try:
        return shop_get().name
    except DatabaseError:  # a database not migrated yet still shows a usable login page
        return "Service desk"


def stylesheets(request: HttpRequest) -> str:
    """Our pages' styles (Today, the agenda, confirmation pages), on every admin page."""
    return static("core/admin/desk.css")


def favicon(request: HttpRequest) -> str:
    """The tab icon on every admin page (without one, each page load asks /favicon.ico and logs a 404)."""
    return static("core/admin/favicon.svg")


def _can_view(*labels: str) -> Callable[[HttpRequest], bool]:
    def allowed(request: HttpRequest) -> bool:
        user = request.user
        return any(
            user.has_perm(f"{app}.view_{model}") or user.has_perm(f"{app}.change_{model}")
            for app, model in (label.split(".") for label in labels)
        )

    return allowed


def _may_see_dashboard(request: HttpRequest) -> bool:
    return request.user.has_perm("voice.view_dashboard")


def _on_appointments_list(request: HttpRequest) -> bool:
    base = reverse("admin:scheduling_appointment_changelist")
    return request.path.startswith(base) and request.path != reverse("admin:scheduling_appointment_agenda")


def _on_calls_list(request: HttpRequest) -> bool:
    base = reverse("admin:voice_call_changelist")
    own_pages = (reverse("admin:voice_call_test_call"), reverse("admin:voice_call_live"))
    return request.path.startswith(base) and request.path not in own_pages


def _may_check_setup(request: HttpRequest) -> bool:
    return request.user.has_perm("voice.configure_telephony")


def _superuser(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def _model(title: str, icon: str, label: str, query: str = "") -> Item:
    app, model = label.split(".")
    return {
        "title": title,
        "icon": icon,
        "link": reverse_lazy(f"admin:{app}_{model}_changelist") + query,
        "permission": _can_view(label),
    }


def _groups() -> list[dict[str, Any]]:
    return [
        {
            "title": "Today",
            "items": [
                {"title": "Today", "icon": "today", "link": reverse_lazy("admin:index")},
                {
                    "title": "Dashboard",
                    "icon": "monitoring",
                    "link": reverse_lazy("admin:dashboard"),
                    "permission": _may_see_dashboard,
                },
            ],
        },
        {
            "title": "Calls and callbacks",
            "items": [
                _model("Callback requests", "phone_callback", "voice.callbackrequest"),
                # Not lit up on the test-call and live pages, which live under the calls' URL.
                {**_model("Calls", "call", "voice.call"), "active": _on_calls_list},
                {
                    "title": "Test call",
                    "icon": "headset_mic",
                    "link": reverse_lazy("admin:voice_call_test_call"),
                    "permission": lambda request: request.user.has_perm("voice.place_test_call"),
                },
                {
                    "title": "Live calls",
                    "icon": "support_agent",
                    "link": reverse_lazy("admin:voice_call_live"),
                    "permission": _can_view("voice.call"),
                },
                _model("My phone for transfers", "contact_phone", "voice.staffprofile"),
            ],
        },
        {
            "title": "Appointments and agenda",
            "items": [
                {
                    "title": "Day agenda",
                    "icon": "calendar_view_day",
                    "link": reverse_lazy("admin:scheduling_appointment_agenda"),
                    "permission": _can_view("scheduling.appointment"),
                },
                {
                    **_model("Appointments", "event", "scheduling.appointment"),
                    # Not lit up on the agenda, which lives under the appointments' URL.
                    "active": _on_appointments_list,
                },
                _model("Busy time", "event_busy", "scheduling.busyblock"),
            ],
        },
        {
            "title": "Customers and vehicles",
            "items": [
                _model("Customers", "group", "crm.customer"),
                _model("Vehicles", "directions_car", "crm.vehicle"),
                _model("Service history", "build", "crm.servicerecord"),
            ],
        },
        {
            "title": "Reminders",
            "items": [
                _model("Reminders", "notifications", "reminders.reminder"),
                _model("Consent evidence", "verified_user", "reminders.consentevent"),
            ],
        },
        {
            "title": "Shop settings",
            "items": [
                _model("Shop", "store", "scheduling.shop"),
                _model("On-duty rota", "badge", "voice.dutyshift"),
                _model("Business hours", "schedule", "scheduling.businesshours"),
                _model("Closures", "event_busy", "scheduling.closure"),
                _model("Services and prices", "sell", "scheduling.servicetype"),
                _model("Shop knowledge", "quiz", "scheduling.shopanswer"),
                {
                    "title": "Set-up check",
                    "icon": "checklist",
                    "link": reverse_lazy("admin:setup"),
                    "permission": _may_check_setup,
                },
                _model("Transfer numbers", "phone_forwarded", "voice.transfernumber"),
            ],
        },
    ]


def _administration() -> dict[str, Any]:
    items = [
        ("Users", "person", "auth.user"),
        ("Groups", "groups", "auth.group"),
        ("Periodic tasks", "timer", "django_celery_beat.periodictask"),
        ("Crontabs", "schedule", "django_celery_beat.crontabschedule"),
        ("Intervals", "update", "django_celery_beat.intervalschedule"),
        ("Clocked", "alarm", "django_celery_beat.clockedschedule"),
        ("Solar events", "wb_sunny", "django_celery_beat.solarschedule"),
        ("Calendar sync state", "sync", "scheduling.calendarsyncstate"),
        ("Appointment calendar sync", "sync_alt", "scheduling.appointmentcalendarsync"),
    ]
    return {
        "title": "Administration",
        "separator": True,
        "collapsible": True,
        "items": [{**_model(*item), "permission": _superuser} for item in items],
    }


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    """unfold calls this per request: the day's groups, and Administration for superusers only."""
    groups = _groups()
    if _superuser(request):
        groups.append(_administration())
    return groups
