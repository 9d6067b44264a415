"""Is the shop open now, and when does it open next (the advisor line's hours, scheduling.opening)?
The shop fixture: weekdays 7:30 AM to 6 PM, Saturdays 8 AM to 1 PM, Chicago."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from scheduling.models import BusinessHours, Closure
from scheduling.opening import shop_open_now
from voice.tools.context import ToolContext
from voice.tools.registry import execute_tool

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)  # 2026-11-23 is a Monday


def test_it_is_open_during_hours_and_closed_outside_them(shop):
    assert shop_open_now(now=at(23, 9)).is_open
    assert shop_open_now(now=at(23, 7, 30)).is_open
    closed = shop_open_now(now=at(23, 18))
    assert not closed.is_open and closed.opens_at == at(24, 7, 30)


def test_on_sunday_it_opens_monday_morning(shop):
    closed = shop_open_now(now=at(22, 12))

    assert not closed.is_open
    assert closed.opens_in_words() == "Monday, November 23 at 7:30 AM"


def test_a_closure_keeps_it_shut_until_the_next_opening(shop):
    Closure.objects.create(date=date(2026, 11, 26), reason="Thanksgiving")
    Closure.objects.create(date=date(2026, 11, 27), starts=time(7, 30), ends=time(12, 0))

    closed = shop_open_now(now=at(26, 10))

    assert not closed.is_open and closed.opens_at == at(27, 12)


def test_a_shop_with_no_hours_entered_counts_as_open(shop):
    BusinessHours.objects.all().delete()

    assert shop_open_now(now=at(22, 3)).is_open


@override_settings(TRANSFER_PHONE_NUMBER="+13125550199")
def test_transfer_to_human_after_hours_says_when_the_shop_opens(shop, time_machine):
    call = ToolContext(channel="ai_phone", caller_phone="+13125550999")
    time_machine.move_to(at(22, 12), tick=False)

    result = execute_tool("transfer_to_human", {"reason": "a person"}, context=call)

    assert result["success"] is False and result["action"] == "take_message"
    assert result["opens"] == "Monday, November 23 at 7:30 AM"
    assert (
        "closed right now" in result["error"]
        and "It opens Monday, November 23 at 7:30 AM." in result["error"]
    )

    time_machine.move_to(at(23, 10), tick=False)
    assert execute_tool("transfer_to_human", {"reason": "a person"}, context=call)["action"] == "transfer"
