"""Today, the admin's home page: what an advisor handles today, each item linking to where it is handled.

`today_desk` reads (a selector); `dashboard_callback` is django-unfold's hook that puts it on the index.
Every count is the length of the query its "all" link opens, so the home page and the lists agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from crm.verification_attempts import UNAVAILABLE_MESSAGE, Lock, hidden_numbers_stopped
from dealership.core.checks import checks_run
from integrations.telephony import telephony_is_configured
from reminders.models import Reminder
from scheduling.agenda import Agenda, agenda_for_day, shop_today
from scheduling.models import Appointment
from voice.models import Call, CallbackRequest

RECENT_CALL_HOURS = 12
ROWS = 10  # rows shown per panel; the count and its link cover them all
NEEDS_A_PERSON = (Reminder.Status.REVIEW, Reminder.Status.FAILED)
EXPECTED = (Appointment.Status.SCHEDULED, Appointment.Status.CONFIRMED)


class DeskWarning(NamedTuple):
    name: str
    ok: bool
    detail: str
    link: str = ""  # where it is handled, for those who may
    link_text: str = ""


CHECK_TITLES = {
    "database": "Database",
    "redis": "Redis",
    "worker": "Celery worker",
    "beat": "Celery beat",
    "openai": "OpenAI",
    "deepgram": "Deepgram",
    "google_calendar": "Google Calendar",
}


def today_warnings() -> list[DeskWarning]:
    """The failing checks of the deployment, from the one checks selector that /health/ready/ uses
    (database, Redis, Celery heartbeats, provider credentials). Telephony is left to `desk_warnings`,
    which also says how many reminders wait for it."""
    return [
        DeskWarning(
            CHECK_TITLES.get(check.name, check.name.replace("_", " ").capitalize()), False, check.message
        )
        for check in checks_run()
        if not check.ok and check.name != "twilio"
    ]


def hidden_numbers_warning(*, may_lift: bool) -> DeskWarning | None:
    """Callers on hidden numbers stopped from verifying (their shared count reached its limit): honest
    customers on a work phone that hides its number are shut out too, so it is on Today with the way to
    clear it (`may_lift`: the user has crm.lift_verification_pause)."""
    misses = hidden_numbers_stopped()
    if misses is None:
        return None
    if misses == Lock.UNAVAILABLE:
        return DeskWarning("Identity checks can't be counted", False, UNAVAILABLE_MESSAGE)
    return DeskWarning(
        "Callers on hidden numbers can't verify",
        False,
        f"{misses} failed identity checks from hidden numbers within the hour: the receptionist verifies "
        "no one on a hidden number until the hour is over.",
        reverse("admin:crm_customer_lift_hidden_numbers") if may_lift else "",
        "Let them verify again" if may_lift else "",
    )


def desk_warnings(*, deployment: bool = True, may_lift_verification: bool = False) -> list[DeskWarning]:
    """What Today shows in its warning panel: the failing checks. `deployment` (the server's own parts:
    workers, keys) only for those who can fix them; an advisor sees what changes their day (telephony,
    callers on hidden numbers who can't verify)."""
    checks = list(today_warnings()) if deployment else []
    hidden = hidden_numbers_warning(may_lift=may_lift_verification)
    if hidden is not None:
        checks.append(hidden)
    if not telephony_is_configured():
        held = Reminder.objects.filter(status=Reminder.Status.WAITING).count()
        checks.append(
            DeskWarning(
                "Telephony is not configured",
                False,
                "Calls cannot come in and reminders wait"
                + (f" ({held} waiting for telephony)" if held else "")
                + ": set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER.",
            )
        )
    return [check for check in checks if not check.ok]


@dataclass
class Panel:
    """One list on Today: the first ROWS rows, how many there are in all, and the list that shows them."""

    rows: list[Any]
    count: int
    url: str


@dataclass
class TodayDesk:
    day: date
    agenda: Agenda
    appointments: Panel
    late_ids: set[int]
    callbacks: Panel
    reminders: Panel
    calls: Panel
    calls_since: datetime
    warnings: list[DeskWarning] = field(default_factory=list)

    @property
    def capacity(self) -> list[Any]:
        return self.agenda.day_usage


def _panel(queryset: QuerySet, url: str, rows: int = ROWS) -> Panel:
    return Panel(rows=list(queryset[:rows]), count=queryset.count(), url=url)


def _changelist(model: type, query: dict[str, Any]) -> str:
    opts = model._meta
    return f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{urlencode(query)}"


def open_callbacks() -> QuerySet[CallbackRequest]:
    """Messages not yet handled: urgent first, then the longest waiting. Those taken on browser test
    calls are left out (as in Recent calls): nobody is waiting for that call back."""
    test_calls = Call.objects.test().values("pk")
    return (
        CallbackRequest.objects.filter(handled=False)
        .exclude(call_id__in=test_calls)
        .select_related("customer")
        .order_by("-urgent", "created_at", "pk")
    )


def reminders_needing_a_person() -> QuerySet[Reminder]:
    return (
        Reminder.objects.filter(status__in=NEEDS_A_PERSON)
        .select_related("appointment__customer", "appointment__service_type")
        .order_by("due_at", "pk")
    )


def recent_calls(*, since: datetime) -> QuerySet[Call]:
    # Test calls from the back office are left out, as in the call list the panel links to.
    return (
        Call.objects.real().filter(started_at__gte=since).select_related("customer").order_by("-started_at")
    )


def today_desk(
    *, now: datetime | None = None, deployment_warnings: bool = True, may_lift_verification: bool = False
) -> TodayDesk:
    """Everything Today shows, for the shop-local date of `now`."""
    now = now or timezone.now()
    day = shop_today(now=now)
    agenda = agenda_for_day(day=day)
    since = now - timedelta(hours=RECENT_CALL_HOURS)
    on_day = {"local_date__year": day.year, "local_date__month": day.month, "local_date__day": day.day}
    return TodayDesk(
        day=day,
        agenda=agenda,
        appointments=Panel(
            rows=agenda.appointments,
            count=len(agenda.appointments),
            url=_changelist(Appointment, on_day),
        ),
        late_ids={a.pk for a in agenda.appointments if a.status in EXPECTED and a.start < now},
        callbacks=_panel(
            open_callbacks(), _changelist(CallbackRequest, {"handled__exact": 0, "test_call": "no"})
        ),
        reminders=_panel(
            reminders_needing_a_person(),
            _changelist(Reminder, {"status__in": ",".join(NEEDS_A_PERSON)}),
        ),
        calls=_panel(
            recent_calls(since=since),
            _changelist(Call, {"started_at__gte": since.isoformat(timespec="seconds")}),
        ),
        calls_since=since,
        warnings=desk_warnings(deployment=deployment_warnings, may_lift_verification=may_lift_verification),
    )


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """django-unfold's DASHBOARD_CALLBACK: Today on the admin's index page (templates/admin/index.html)."""
    # Workers and provider keys are for whoever runs the server (superusers, and the owner who may open the
    # set-up check that says how to fix them), not the advisor at the counter.
    user = request.user
    desk = today_desk(
        deployment_warnings=user.is_superuser or user.has_perm("voice.configure_telephony"),
        may_lift_verification=user.has_perm("crm.lift_verification_pause"),
    )
    context.update({"desk": desk, "title": "Today"})
    return context
