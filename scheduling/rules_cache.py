"""The shop's rules (settings, weekly hours, closures, service catalog) kept per process.

Availability needs them on every call and advisors change them a few times a year: loading them costs four
or five small queries, checking that the kept copy is still current costs one primary-key read of the
RulesVersion token, which database triggers change in the same transaction as any change to those tables
(migration 0004). Every process (web, worker) reads that row, so a change made anywhere is seen by the
next call everywhere, whatever the cache backend.

Why a kept copy can never be stale:
- the token is read before the rules are loaded, so a copy is never older than its label (a change
  committed in between only makes it newer, and the label no longer matches on the next call);
- tokens are random: a token written by a rolled-back transaction (say a test, or an admin save that
  failed) never comes back, so a copy loaded inside that transaction is never used again;
- no row (a database without the triggers, or a test database just flushed) means the version is unknown:
  the rules are then loaded on every call and not kept.

Only rules live here. Capacity (appointments, busy time) is always read from the database, and booking
re-checks it under its row locks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import connection
from django.utils import timezone

from scheduling.models import BusinessHours, Closure, RulesVersion, ServiceType, Shop


@dataclass(frozen=True)
class ClosureSpan:
    starts: time | None
    ends: time | None
    reason: str


@dataclass(frozen=True)
class ShopRules:
    """One consistent copy of the rules. Shared between callers: read it, never change it (shop_get and
    service_get hand out copies of the model instances)."""

    token: int | None
    shop: Shop
    hours: dict[int, tuple[tuple[time, time], ...]]
    # Every closure on or after `closures_from` (earlier dates are read from the database when asked).
    closures: dict[date, tuple[ClosureSpan, ...]]
    closures_from: date
    services: tuple[ServiceType, ...]  # active ones, in catalog order (by name)

    def closures_between(self, first_day: date, last_day: date) -> dict[date, tuple[ClosureSpan, ...]] | None:
        """Closures on `first_day`..`last_day`; None when the range starts before what this copy holds."""
        if first_day < self.closures_from:
            return None
        return {day: spans for day, spans in self.closures.items() if first_day <= day <= last_day}


_current: ShopRules | None = None


def rules_current() -> ShopRules:
    """The rules as the database has them now (one small query when the kept copy is current)."""
    global _current
    token = _token()
    kept = _current
    if token is not None and kept is not None and kept.token == token:
        return kept
    rules = _load(token)
    # Whole-object assignment: threads of this process see either the old copy or the new one.
    _current = rules if token is not None else None
    return rules


def rules_cache_clear() -> None:
    """Forget the kept copy (what a freshly started process looks like)."""
    global _current
    _current = None


def _token() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {RulesVersion._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _load(token: int | None) -> ShopRules:
    shop = Shop.objects.order_by("pk").first()
    if shop is None:
        shop = Shop.objects.create()
    hours: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in BusinessHours.objects.order_by("weekday", "opens").values_list(
        "weekday", "opens", "closes"
    ):
        hours.setdefault(weekday, []).append((opens, closes))
    # From yesterday (shop time): every date availability or booking can still ask about.
    closures_from = timezone.now().astimezone(shop.zone).date() - timedelta(days=1)
    closures: dict[date, list[ClosureSpan]] = {}
    for day, starts, ends, reason in Closure.objects.filter(date__gte=closures_from).values_list(
        "date", "starts", "ends", "reason"
    ):
        closures.setdefault(day, []).append(ClosureSpan(starts, ends, reason))
    return ShopRules(
        token=token,
        shop=shop,
        hours={weekday: tuple(spans) for weekday, spans in hours.items()},
        closures={day: tuple(spans) for day, spans in closures.items()},
        closures_from=closures_from,
        services=tuple(ServiceType.objects.filter(active=True)),
    )


def shop_copy(rules: ShopRules) -> Shop:
    """The shop from `rules` as an instance the caller may change (and save) without touching the copy."""
    return copy.copy(rules.shop)
