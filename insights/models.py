"""Rolled-up call figures of settled shop days, so the 12-month dashboard does not re-read a year of calls
and turns on every view (see insights/rollup.py for what is kept, and when a day is read again)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class CallDay(models.Model):
    """One settled shop-local day's call figures (counts by rang / hour / outcome, provider errors, and
    the day's measured response times, sorted), valid while `key` matches the shop's time zone, weekly
    hours and the rollup's format. A cache: deleting rows is always safe (they are computed again)."""

    day = models.DateField(unique=True)
    key = models.CharField(max_length=64)
    figures = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Internal: not in the admin, nobody is given rights on it (no permissions to grant).
        default_permissions = ()

    def __str__(self) -> str:
        return f"calls of {self.day}"
