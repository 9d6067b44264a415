"""Who is on duty now, by the shop's rota (voice.DutyShift), in the shop's time zone: the people alerts
go to when the shop sends them to "whoever is on duty now"."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from scheduling.shop import shop_get

if TYPE_CHECKING:
    from voice.models import DutyShift


def shift_covers(shift: DutyShift, local: datetime) -> bool:
    """Is `local` (shop time) inside the shift? A shift ending at or before its start runs past midnight:
    it covers the start day from its start, and the next morning until its end."""
    clock: time = local.time().replace(tzinfo=None)
    today = str(local.weekday())
    yesterday = str((local - timedelta(days=1)).weekday())
    if shift.starts < shift.ends:
        return today in shift.days and shift.starts <= clock < shift.ends
    return (today in shift.days and clock >= shift.starts) or (yesterday in shift.days and clock < shift.ends)


def duty_staff_now(*, now: datetime) -> list[Any]:
    """The active staff users on duty at `now`, in the rota's order (each once)."""
    from voice.models import DutyShift

    local = now.astimezone(shop_get().zone)
    shifts = DutyShift.objects.filter(user__is_active=True, user__is_staff=True).select_related("user")
    on_duty = {shift.user_id: shift.user for shift in shifts if shift_covers(shift, local)}
    return list(on_duty.values())
