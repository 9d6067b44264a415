"""Identity checks failing from many numbers pause a customer's verification; the shop's people are
told once per pause (text and email, with a link to the customer's page, no full phone number), and
once when a single number works through many customers. Test calls alert no one."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission, User

from crm.models import Customer
from crm.verification_attempts import MAX_FAILED_PER_CALLER, hidden_numbers_lift, verification_pause_lift
from dealership.core.alerts.tasks import alerts_send_due
from dealership.core.models import Alert
from scheduling.models import Shop
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from tests.verification_calls import GUESSING_NUMBERS, miss, pause

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO)
OWNER_CELL = "+13125550188"
ATTACKER = "+13125550999"


@pytest.fixture
def alerting(settings, shop, fake_twilio, eager_celery):  # noqa: F811
    """Texts to the owner's cell and email to the owner (a staff user); no quiet hours."""
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    owner = User.objects.create_user("owner", email="owner@example.com", is_staff=True)
    Shop.objects.update(alert_channel="both", alert_phones=OWNER_CELL, alert_emails="")
    Shop.objects.get().alert_users.add(owner)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield fake_twilio


def texts(fake_twilio) -> list[tuple[str, str]]:  # noqa: F811
    return [(r.value("To"), r.value("Body")) for r in fake_twilio.requests_to("/Messages.json")]


def test_a_customer_paused_by_many_numbers_is_told_to_the_shop_once(alerting, customer, mailoutbox):
    numbers = pause(customer)
    miss(customer, phone="+13125550398", times=3)  # more misses while paused: the same incident

    assert alerts_send_due() == 1

    link = f"https://shop.example.com/admin/crm/customer/{customer.pk}/change/"
    [(to, text)] = texts(alerting)
    assert to == OWNER_CELL and "…" not in text  # the whole message fits in the text
    assert "Identity checks paused for Dana Whitfield" in text and link in text
    assert "Until Tue Nov 24, 10:00 AM" in text  # a day from the first miss, in the shop's time
    [email] = mailoutbox
    assert email.to == ["owner@example.com"] and email.subject == "Identity checks paused for Dana Whitfield"
    assert "30 failed identity checks" in email.body and "lift the pause on their page" in email.body
    assert "it frees the numbers that failed on them too" in email.body
    assert link in email.body
    # The last four digits of the last number at most: never a whole number, theirs or the callers'.
    assert f"ending {numbers[-1][-4:]}" in email.body
    for number in [*numbers, customer.phone]:
        assert number[-7:] not in text and number[-7:] not in email.body
    alert = Alert.objects.get()
    assert (alert.kind, alert.status) == (Alert.Kind.VERIFICATION_PAUSED, Alert.Status.SENT)


def test_paused_again_after_a_lift_is_a_new_alert(alerting, customer):
    pause(customer, numbers=GUESSING_NUMBERS[:10])
    assert alerts_send_due() == 1
    verification_pause_lift(customer_id=customer.pk, user=User.objects.get(username="owner"))

    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=20), tick=False):
        pause(customer, numbers=GUESSING_NUMBERS[10:])

        assert alerts_send_due() == 1
    assert Alert.objects.filter(kind=Alert.Kind.VERIFICATION_PAUSED).count() == 2
    assert len(texts(alerting)) == 2


def test_a_pause_tripped_by_a_hidden_number_says_so(alerting, customer, mailoutbox):
    pause(customer, numbers=GUESSING_NUMBERS[:5])  # 25 misses
    miss(customer, phone=GUESSING_NUMBERS[5], times=2)
    miss(customer, phone="anonymous", times=3)  # the 30th: a hidden number

    alerts_send_due()

    [email] = mailoutbox
    assert "(the last one hidden)" in email.body


def test_guessing_on_test_calls_alerts_no_one(alerting, customer):
    pause(customer, is_test=True)
    pause(customer, is_test=True)

    assert alerts_send_due() == 0
    assert not Alert.objects.exists() and texts(alerting) == []


def test_one_number_working_through_customers_is_told_once(alerting, customer, mailoutbox):
    others = [
        Customer.objects.create(name=f"Other {n}", phone=f"+1312555020{n}", zip_code="60614")
        for n in range(7)
    ]
    for other in others:  # 3 misses each: no customer is paused, the number runs out of tries
        miss(other, phone=ATTACKER, times=3)
    assert 3 * len(others) > MAX_FAILED_PER_CALLER

    assert alerts_send_due() == 1

    [(_, text)] = texts(alerting)
    assert "A number ending 0999 is guessing customers' details" in text
    assert "5550999" not in text and "nobody's account is paused" in text
    assert Alert.objects.get().kind == Alert.Kind.CALLER_GUESSING


def test_hidden_numbers_stopped_shop_wide_are_told_once_a_day_with_the_way_to_clear_it(
    alerting, customer, mailoutbox
):
    others = [
        Customer.objects.create(name=f"Other {n}", phone=f"+1312555020{n}", zip_code="60614")
        for n in range(6)
    ]
    for other in others[:5]:  # 2 misses each: 10, the hidden numbers' shared limit
        miss(other, phone="anonymous", times=2)
    assert alerts_send_due() == 1
    owner = User.objects.get(username="owner")
    owner.user_permissions.add(Permission.objects.get(codename="lift_verification_pause"))
    hidden_numbers_lift(user=owner)
    miss(others[5], phone="", times=2)  # stopped again the same day, after a clear
    for other in others[:4]:
        miss(other, phone="", times=2)

    assert alerts_send_due() == 0

    [(_, text)] = texts(alerting)
    assert "Callers on hidden numbers can't verify" in text and "…" not in text
    assert "https://shop.example.com/admin/crm/customer/hidden-numbers-pause/" in text
    [email] = mailoutbox
    assert "failed 10 identity checks within the hour" in email.body
    assert Alert.objects.get().kind == Alert.Kind.CALLER_GUESSING


def test_hidden_numbers_once_a_day_is_the_shops_day_not_utcs(alerting, customer):
    """5:30 PM and 7 PM in Chicago are one shop day but two UTC days (midnight UTC falls between)."""
    owner = User.objects.get(username="owner")
    owner.user_permissions.add(Permission.objects.get(codename="lift_verification_pause"))
    evenings = [datetime(2026, 11, 23, 17, 30, tzinfo=CHICAGO), datetime(2026, 11, 23, 19, 0, tzinfo=CHICAGO)]
    for n, evening in enumerate(evenings):
        with time_machine.travel(evening, tick=False):
            for m in range(5):  # 2 misses on each of 5 customers: 10, the hidden numbers' shared limit
                other = Customer.objects.create(
                    name=f"Other {n}{m}", phone=f"+131255502{n}{m}", zip_code="60614"
                )
                miss(other, phone="anonymous", times=2)
            assert hidden_numbers_lift(user=User.objects.get(pk=owner.pk)) == 10  # stopped, then cleared

    assert Alert.objects.filter(key__startswith="caller_guessing:withheld:").count() == 1
