"""Alerts to whoever is on duty now (the shop's on-duty rota, shop time): the advisor on duty gets the text
(fake Twilio, their own phone) and the email (locmem), the one off duty does not; a night shift runs past
midnight; with nobody on duty the people listed are told, and with nobody listed either the owners are;
quiet hours still hold; a retry goes to the people of the first attempt, whoever is on duty by then."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import Client

from dealership.core.alerts.tasks import alerts_send_due
from dealership.core.groups import OWNER, SERVICE_ADVISOR
from dealership.core.models import Alert
from scheduling.models import Shop
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.models import DutyShift, StaffProfile
from voice.services import callback_request_create

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = (2026, 11, 23)  # a Monday
DESK_CELL = "+13125550188"
DAY_CELL, NIGHT_CELL = "+13125550111", "+13125550122"


def staff(name: str, cell: str, *, group: str = SERVICE_ADVISOR) -> User:
    user = User.objects.create_user(name, email=f"{name}@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    StaffProfile.objects.create(user=user, phone=cell)
    return user


@pytest.fixture
def rota(settings, shop, fake_twilio, eager_celery):  # noqa: F811
    """Alerts by text and email to whoever is on duty: Dana on weekdays 7 AM–6 PM, Lee on weekday nights
    10 PM–6 AM (past midnight); the desk's cell and email are the people listed."""
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    Shop.objects.update(
        alert_channel="both", alert_to="on_duty", alert_phones=DESK_CELL, alert_emails="desk@example.com"
    )
    day, night = staff("dana", DAY_CELL), staff("lee", NIGHT_CELL)
    DutyShift.objects.create(user=day, days="01234", starts=time(7, 0), ends=time(18, 0))
    DutyShift.objects.create(user=night, days="01234", starts=time(22, 0), ends=time(6, 0))
    return fake_twilio


def urgent_message_at(twilio, *when: int) -> tuple[list[str], list[str]]:
    """An urgent callback raised and sent at this shop time: (texted numbers, emailed addresses)."""
    with time_machine.travel(datetime(*when, tzinfo=CHICAGO), tick=False):
        callback_request_create(phone="+13125550147", name="Sam", reason="Brakes failing", urgent=True)
        alerts_send_due()
    return texted(twilio), sorted(m.to[0] for m in mail.outbox)


def texted(twilio) -> list[str]:
    return [r.value("To") for r in twilio.requests_to("/Messages.json")]


def test_the_advisor_on_duty_gets_it_and_the_one_off_duty_does_not(rota, mailoutbox):
    phones, emails = urgent_message_at(rota, *MONDAY, 10, 0)

    assert phones == [DAY_CELL] and emails == ["dana@example.com"]
    assert Alert.objects.get().status == Alert.Status.SENT


def test_a_night_shift_runs_past_midnight_into_the_next_morning(rota, mailoutbox):
    # Monday's night shift, at 2 AM on Tuesday.
    phones, emails = urgent_message_at(rota, 2026, 11, 24, 2, 0)

    assert phones == [NIGHT_CELL] and emails == ["lee@example.com"]


def test_a_night_shift_does_not_cover_the_morning_before_its_first_night(rota, mailoutbox):
    # Monday 2 AM: Lee's shifts start on weekdays, so Sunday night (into Monday) is nobody's.
    phones, emails = urgent_message_at(rota, *MONDAY, 2, 0)

    assert phones == [DESK_CELL] and emails == ["desk@example.com"]


def test_with_nobody_on_duty_the_people_listed_are_told(rota, mailoutbox):
    # Monday 7 PM: Dana is off at 6, Lee starts at 10.
    phones, emails = urgent_message_at(rota, *MONDAY, 19, 0)

    assert phones == [DESK_CELL] and emails == ["desk@example.com"]


def test_with_nobody_on_duty_and_nobody_listed_the_owner_is_told(rota, mailoutbox):
    Shop.objects.update(alert_phones="", alert_emails="")
    staff("owner", "+13125550199", group=OWNER)

    phones, emails = urgent_message_at(rota, 2026, 11, 28, 12, 0)  # a Saturday: no shifts

    assert phones == ["+13125550199"] and emails == ["owner@example.com"]
    assert Alert.objects.get().status == Alert.Status.SENT


def test_on_duty_and_listed_tells_both(rota, mailoutbox):
    Shop.objects.update(alert_to="both", alert_channel="sms")

    phones, emails = urgent_message_at(rota, *MONDAY, 10, 0)

    assert sorted(phones) == sorted([DAY_CELL, DESK_CELL]) and emails == []


def test_the_people_listed_setting_ignores_the_rota(rota, mailoutbox):
    Shop.objects.update(alert_to="listed")

    phones, emails = urgent_message_at(rota, *MONDAY, 10, 0)

    assert phones == [DESK_CELL] and emails == ["desk@example.com"]


def test_quiet_hours_hold_and_whoever_is_on_duty_when_they_end_is_told(rota, mailoutbox):
    Shop.objects.update(alert_quiet_start=time(21, 0), alert_quiet_end=time(7, 0))
    with time_machine.travel(datetime(*MONDAY, 23, 30, tzinfo=CHICAGO), tick=False):
        callback_request_create(phone="+13125550147", reason="Car won't start", urgent=True)
        assert alerts_send_due() == 0  # Lee is on duty, but it is quiet hours
    with time_machine.travel(datetime(2026, 11, 24, 7, 0, tzinfo=CHICAGO), tick=False):
        assert alerts_send_due() == 1

    assert texted(rota) == [DAY_CELL] and [m.to[0] for m in mailoutbox] == ["dana@example.com"]


def test_a_retry_after_the_shift_ends_goes_to_the_same_people_not_the_next_ones(rota, mailoutbox):
    """Who is told is settled at the first attempt: Dana's text fails at 5:59 PM, her shift ends at 6,
    and the retry still texts her (not the desk, whom the rota would name by then)."""
    rota.fail_next(503)
    phones, emails = urgent_message_at(rota, *MONDAY, 17, 59)
    assert phones == [DAY_CELL] and emails == ["dana@example.com"]  # the text failed, the email went
    assert Alert.objects.get().status == Alert.Status.PENDING

    with time_machine.travel(datetime(*MONDAY, 18, 1, tzinfo=CHICAGO), tick=False):
        assert alerts_send_due() == 1

    assert texted(rota) == [DAY_CELL, DAY_CELL] and [m.to[0] for m in mailoutbox] == ["dana@example.com"]
    alert = Alert.objects.get()
    assert alert.status == Alert.Status.SENT  # everyone it was for was reached
    assert alert.recipients == [f"sms:{DAY_CELL}", "email:dana@example.com"]


def test_an_advisor_sees_only_their_own_shifts_and_cannot_change_the_rota(rota):
    client = Client()
    client.force_login(User.objects.get(username="dana"))

    page = client.get("/admin/voice/dutyshift/")
    assert page.status_code == 200
    listed = page.content.decode()
    assert "dana" in listed and "lee" not in listed
    lees = DutyShift.objects.get(user__username="lee")
    assert client.get(f"/admin/voice/dutyshift/{lees.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/voice/dutyshift/add/").status_code == 403


def test_the_owner_sets_up_a_shift_in_a_minute(rota):
    client = Client()
    owner = staff("owner", "+13125550199", group=OWNER)
    client.force_login(owner)

    response = client.post(
        "/admin/voice/dutyshift/add/",
        {"user": owner.pk, "days": ["5", "6"], "starts": "08:00 AM", "ends": "14:00"},
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    shift = DutyShift.objects.get(user=owner)
    assert (shift.days, shift.starts, shift.ends) == ("56", time(8, 0), time(14, 0))
    listed = client.get("/admin/voice/dutyshift/").content.decode()
    assert "Sat, Sun" in listed and "Mon–Fri" in listed and "(next day)" in listed


def test_a_shift_without_days_is_refused_with_a_reason(rota):
    client = Client()
    owner = staff("owner", "+13125550199", group=OWNER)
    client.force_login(owner)

    response = client.post(
        "/admin/voice/dutyshift/add/", {"user": owner.pk, "starts": "08:00", "ends": "14:00"}
    )

    assert response.status_code == 200 and "Tick at least one day." in response.content.decode()
