"""The dashboard's call figures per shop-local day, kept for settled days (insights.models.CallDay) so the
12-week and 12-month views sum a few hundred small rows instead of re-reading every call and turn.

What is kept: only figures that come from the calls themselves — answered calls by (rang, local hour,
outcome) with how many asked for an appointment, calls with a provider error, and the day's measured
response times (sorted). These are written while a call runs and minutes after it ends (outcome, error,
tools, turns), so a day is *settled* once it is over and the next day is over too (days before
yesterday, shop time): at least 24 hours after its last call began. Today and yesterday are always read
live. Appointments, invoices, no-shows, reminders and callbacks change for days and weeks after the
fact; they are cheap enough to count live on every view and are never kept here.

When a settled day's rows change anyway, its rollup is dropped and computed again on the next view:
- a call of that day saved or deleted (admin edit, erasure, retention; cascades send the signal), a tool
  call recorded on one (signals below, which cost a timestamp comparison on the live-call path);
- the shop's weekly hours or time zone change: every rollup carries a key of both (and of FORMAT), and a
  row with another key is computed again;
- rows written in bulk (no signals: the demo's history) call `forget()` themselves.
Turns are deleted only with their call (whose deletion drops the day and the next one). The services
that set a call's outcome or error with a bare UPDATE (voice.services, handoffs, reminder outcomes) run
during the call or minutes after it, on days not yet settled. A view that computes a day while one of
its calls is being changed may keep the older figures (no lock is taken for a cache); the next change
to that day, or a new FORMAT, corrects it.

Percentiles do not add up, so a day keeps its response times themselves, sorted (~450 integers a day on
a busy shop); a bucket's p50/p95 are computed from its days' values with the same interpolation as
PostgreSQL's PERCENTILE_CONT, so they equal what the live query gave.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import orjson
from django.db.models import Count, TextField
from django.db.models.functions import Cast, TruncDate
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from insights.calls import asked_for_appointment_q, calls_with_rang
from insights.models import CallDay
from insights.periods import local_midnight
from scheduling.models import BusinessHours
from voice.models import Call, ToolCall, Turn

FORMAT = 2  # bump when what a day keeps, or how it is computed, changes: old rows are computed again
# A row older than this may belong to a settled day (settled days ended ≥ 24 h ago; DST days are 25 h).
SETTLED_AFTER = timedelta(hours=12)


class DayFigures(TypedDict):
    # Answered calls (inbound, not test), counted once per figure the dashboard sums (small to read back):
    rang: dict[str, int]  # Rang value → calls
    hours: dict[str, int]  # "rang hour" (local hour) → calls
    outcomes: dict[str, int]  # outcome → calls
    asked: int  # calls where the caller asked for an appointment
    booked_asked: int  # … and it was booked
    errors: int  # calls (inbound and outbound, not test) with a provider error
    ms: list[int]  # measured response times of the day's agent turns, sorted


def _empty() -> DayFigures:
    return {"rang": {}, "hours": {}, "outcomes": {}, "asked": 0, "booked_asked": 0, "errors": 0, "ms": []}


def _add(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def rollup_key(zone: ZoneInfo) -> str:
    """What a day's figures depend on besides its rows: the zone (which calls are on the day) and the
    weekly hours (a call's rang, classified by today's hours as the call list's filter does)."""
    hours = list(
        BusinessHours.objects.order_by("weekday", "opens", "closes").values_list("weekday", "opens", "closes")
    )
    return hashlib.sha256(f"{FORMAT}|{zone.key}|{hours}".encode()).hexdigest()[:64]


def settled_before(today: date) -> date:
    """The first day that is not settled (yesterday: its late calls may still be running)."""
    return today - timedelta(days=1)


def days_live(first: date, end: date, zone: ZoneInfo) -> dict[date, DayFigures]:
    """Every day in [first, end) computed from the rows, in three grouped queries whatever the span."""
    days: dict[date, DayFigures] = {first + timedelta(days=i): _empty() for i in range((end - first).days)}
    if not days:
        return days
    start, stop = local_midnight(first, zone), local_midnight(end, zone)
    on_day = TruncDate("started_at", tzinfo=zone)
    real = Call.objects.real().filter(started_at__gte=start, started_at__lt=stop)
    rows = (
        calls_with_rang(real.filter(direction=Call.Direction.INBOUND), zone=zone)
        .annotate(day=on_day)
        .values("day", "local_hour", "rang", "outcome")
        .annotate(n=Count("pk"), asked=Count("pk", filter=asked_for_appointment_q()))
        .order_by()
    )
    for row in rows:
        day, n = days[row["day"]], row["n"]
        _add(day["rang"], row["rang"], n)
        _add(day["hours"], f"{row['rang']} {row['local_hour']}", n)
        _add(day["outcomes"], row["outcome"], n)
        day["asked"] += row["asked"]
        day["booked_asked"] += row["asked"] if row["outcome"] == Call.Outcome.BOOKED else 0
    errors = (
        real.filter(last_error__gt="").annotate(day=on_day).values("day").annotate(n=Count("pk")).order_by()
    )
    for row in errors:
        days[row["day"]]["errors"] = row["n"]
    # Test calls are few: left out by id (an anti-join), not by joining every turn to its call.
    turns = (
        Turn.objects.filter(response_ms__isnull=False, started_at__gte=start, started_at__lt=stop)
        .exclude(call_id__in=Call.objects.test().values("pk"))
        .annotate(day=on_day)
        .values_list("day", "response_ms")
        .order_by()
    )
    for day, ms in turns:
        days[day]["ms"].append(ms)
    for figures in days.values():
        figures["ms"].sort()
    return days


def call_days(first: date, end: date, *, today: date, zone: ZoneInfo) -> dict[date, DayFigures]:
    """The figures of every day in [first, end): settled days from their rollup (computed and kept if
    missing or stale), the others live. Warm: one read of the rollups plus the live queries; cold: the
    three grouped queries of `days_live` once over the missing span and one upsert, never one per day."""
    settled_end = max(first, min(end, settled_before(today)))
    days: dict[date, DayFigures] = {}
    if first < settled_end:
        key = rollup_key(zone)
        # As text, parsed by orjson: a year is ~365 rows of ~500 numbers, and the JSON field's own
        # decoding was a good part of the 12-month view's time.
        rows = CallDay.objects.filter(day__gte=first, day__lt=settled_end, key=key)
        kept = {
            day: orjson.loads(text) for day, text in rows.values_list("day", Cast("figures", TextField()))
        }
        missing = [first + timedelta(days=i) for i in range((settled_end - first).days)]
        missing = [day for day in missing if day not in kept]
        if missing:
            fresh = days_live(missing[0], missing[-1] + timedelta(days=1), zone)
            now = timezone.now()
            CallDay.objects.bulk_create(
                [CallDay(day=day, key=key, figures=fresh[day], computed_at=now) for day in missing],
                update_conflicts=True,
                unique_fields=["day"],
                update_fields=["key", "figures", "computed_at"],
            )
            kept.update({day: fresh[day] for day in missing})
        days.update(kept)
    days.update(days_live(settled_end, end, zone))
    return days


def forget(*, first: date | None = None, last: date | None = None) -> None:
    """Drop the rollups of days in [first, last] (all of them without bounds): computed again when next
    shown. For writers that change calls without model signals (bulk inserts and updates)."""
    rows = CallDay.objects.all()
    if first is not None:
        rows = rows.filter(day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    rows.delete()


def _forget_around(moment: datetime | None) -> None:
    """A row stamped `moment` changed: drop the days it can be on, in any time zone (UTC date ± 1), and
    the next (a call across midnight has turns on the next local day). Recent rows are on days never
    kept, so the live-call path does no query here."""
    if moment is None or moment > timezone.now() - SETTLED_AFTER:
        return
    utc_day = moment.astimezone(ZoneInfo("UTC")).date()
    forget(first=utc_day - timedelta(days=1), last=utc_day + timedelta(days=2))


def _call_changed(sender: type, instance: Call, **kwargs: Any) -> None:
    _forget_around(instance.started_at)


def _turn_changed(sender: type, instance: Turn, **kwargs: Any) -> None:
    _forget_around(instance.started_at)


def _tool_call_changed(sender: type, instance: ToolCall, **kwargs: Any) -> None:
    # Recorded during the call, by id: one indexed read to learn when the call began.
    started = Call.objects.filter(pk=instance.call_id).values_list("started_at", flat=True).first()
    _forget_around(started)


def connect_signals() -> None:
    post_save.connect(_call_changed, sender=Call, dispatch_uid="insights.rollup.call_saved")
    post_delete.connect(_call_changed, sender=Call, dispatch_uid="insights.rollup.call_deleted")
    post_save.connect(_turn_changed, sender=Turn, dispatch_uid="insights.rollup.turn_saved")
    post_save.connect(_tool_call_changed, sender=ToolCall, dispatch_uid="insights.rollup.tool_call_saved")
