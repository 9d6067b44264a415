"""A customer whose identity checks are paused (failed attempts from many numbers) shows it on their
admin page; an Owner or Service advisor lifts the pause there (asked first, POST), after which callers
can verify as them again. Who lifted it is in the customer's history; without the permission: 403."""

import logging

import pytest
import redis
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from crm.models import Customer
from crm.verification_attempts import (
    MAX_FAILED_PER_CALLER_AND_CUSTOMER,
    MAX_FAILED_WITHHELD,
    MAX_FAILED_WITHHELD_AND_CUSTOMER,
    WITHHELD_WINDOW_SECONDS,
    hidden_numbers_stopped,
    verification_failed,
)
from dealership.core.groups import OWNER, SERVICE_ADVISOR
from tests.verification_calls import miss, pause, right_answer

pytestmark = pytest.mark.django_db

FRIENDS_PHONE = "+13125550188"  # the real customer, calling from someone else's phone
ATTACKER = "+13125550999"
VERIFIED = {"success": True, "verified": True}
NOTE = "Identity checks paused until"


def member_of(group: str, client: Client) -> User:
    user = User.objects.create_user(group.lower().replace(" ", "_"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def page(client: Client, customer) -> str:
    response = client.get(reverse("admin:crm_customer_change", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def lift_url(customer) -> str:
    return reverse("admin:crm_customer_lift_verification_pause", args=[customer.pk])


def test_an_unpaused_customer_shows_no_note(shop, customer, client):
    member_of(SERVICE_ADVISOR, client)

    assert NOTE not in page(client, customer)


def test_an_advisor_sees_the_pause_lifts_it_and_the_customer_verifies_again(shop, customer, client, caplog):
    pause(customer)
    assert right_answer(customer, phone=FRIENDS_PHONE)["locked"] == "customer"
    advisor = member_of(SERVICE_ADVISOR, client)

    shown = page(client, customer)
    assert NOTE in shown and "after 30 failed attempts" in shown
    assert lift_url(customer) in shown and "Lift the pause" in shown
    asked = client.get(lift_url(customer)).content.decode()
    assert "Yes, lift the pause" in asked and "from each number that failed on them" in asked
    assert "A number that failed across many customers stays stopped for the others" in asked

    caplog.set_level(logging.INFO, logger="crm.verification_attempts")
    response = client.post(lift_url(customer))

    assert response.status_code == 303
    assert response["Location"] == reverse("admin:crm_customer_change", args=[customer.pk])
    after = page(client, customer)
    assert NOTE not in after and "Pause lifted: callers can verify as Dana Whitfield again" in after
    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED
    entry = LogEntry.objects.get(object_id=str(customer.pk))
    assert entry.user == advisor and "Lifted the pause on identity checks" in entry.get_change_message()
    assert "lifted for customer" in caplog.text and "service_advisor" in caplog.text
    history = client.get(reverse("admin:crm_customer_history", args=[customer.pk])).content.decode()
    assert "Lifted the pause on identity checks (30 failed attempts)." in history


def test_the_owner_may_lift_it_too(shop, customer, client):
    pause(customer)
    member_of(OWNER, client)

    assert client.post(lift_url(customer)).status_code == 303
    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED


def test_without_the_permission_the_pause_shows_but_cannot_be_lifted(shop, customer, client):
    pause(customer)
    user = User.objects.create_user("clerk", password="pw-12345678", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_customer", "change_customer"], content_type__app_label="crm"
        )
    )
    client.force_login(user)

    shown = page(client, customer)
    assert NOTE in shown and lift_url(customer) not in shown
    assert client.get(lift_url(customer)).status_code == 403
    assert client.post(lift_url(customer)).status_code == 403

    assert right_answer(customer, phone=FRIENDS_PHONE)["locked"] == "customer"
    assert not LogEntry.objects.exists()


def test_lifting_a_customer_who_is_not_paused_says_so(shop, customer, client):
    member_of(SERVICE_ADVISOR, client)

    response = client.post(lift_url(customer), follow=True)

    assert "Identity checks for Dana Whitfield were not paused." in response.content.decode()
    assert not LogEntry.objects.exists()


def test_an_unknown_customer_is_a_404_not_an_error(shop, client):
    member_of(SERVICE_ADVISOR, client)

    for path in (
        "/admin/crm/customer/999999/lift-verification-pause/",
        "/admin/crm/customer/x/lift-verification-pause/",
    ):
        assert client.post(path).status_code == 404


def test_lifting_frees_the_number_the_real_customer_used_but_not_its_count_across_customers(
    shop, customer, client
):
    # Dana, on a friend's phone, forgets her ZIP code six times: that phone is stopped for her.
    miss(customer, phone=FRIENDS_PHONE, times=MAX_FAILED_PER_CALLER_AND_CUSTOMER)
    assert right_answer(customer, phone=FRIENDS_PHONE)["locked"] == "caller_and_customer"
    advisor = member_of(SERVICE_ADVISOR, client)

    shown = page(client, customer)
    assert "Some callers can't be verified as Dana Whitfield today" in shown
    assert "1 number that failed on them" in shown and lift_url(customer) in shown

    client.post(lift_url(customer))

    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED
    entry = LogEntry.objects.get(object_id=str(customer.pk))
    assert entry.user == advisor and "1 number stopped)" in entry.get_change_message()
    assert "Some callers can't be verified" not in page(client, customer)


def test_lifting_one_customer_keeps_a_number_stopped_across_customers(shop, customer, client):
    others = [
        Customer.objects.create(name=f"Other {n}", phone=f"+1312555020{n}", zip_code="60614")
        for n in range(3)
    ]
    miss(customer, phone=ATTACKER, times=MAX_FAILED_PER_CALLER_AND_CUSTOMER)
    for other in others:
        miss(other, phone=ATTACKER, times=3)
    assert right_answer(others[0], phone=ATTACKER)["locked"] == "caller"
    member_of(SERVICE_ADVISOR, client)

    client.post(lift_url(customer))

    # The number still stops for every customer: it guessed across them, and the lift was for Dana only.
    assert right_answer(customer, phone=ATTACKER)["locked"] == "caller"
    assert right_answer(others[0], phone=ATTACKER)["locked"] == "caller"


def test_a_customer_stopped_for_hidden_numbers_shows_it_and_the_lift_clears_it(shop, customer, client):
    # One hidden-number caller failing three times stops every hidden-number caller for Dana...
    miss(customer, phone="anonymous", times=MAX_FAILED_WITHHELD_AND_CUSTOMER)
    assert right_answer(customer, phone="")["locked"] == "caller_and_customer"
    member_of(SERVICE_ADVISOR, client)

    shown = page(client, customer)
    assert "Some callers can't be verified as Dana Whitfield today" in shown
    assert "callers on hidden numbers" in shown and lift_url(customer) in shown
    asked = client.get(lift_url(customer)).content.decode()
    assert "no one on a hidden number is verified as them today" in asked

    response = client.post(lift_url(customer), follow=True)

    assert "including from hidden numbers" in response.content.decode()
    # ...and the lift lets Dana, on her work phone that hides its number, verify again.
    assert right_answer(customer, phone="") == VERIFIED


def test_hidden_numbers_stopped_shop_wide_are_on_today_and_an_advisor_clears_them(shop, customer, client):
    others = [
        Customer.objects.create(name=f"Other {n}", phone=f"+1312555020{n}", zip_code="60614")
        for n in range(4)
    ]
    misses = 0
    for other in others:  # no customer reaches its own hidden limit; all hidden numbers run out
        times = min(MAX_FAILED_WITHHELD_AND_CUSTOMER - 1, MAX_FAILED_WITHHELD - misses)
        miss(other, phone="anonymous", times=times)
        misses += times
    miss(customer, phone="anonymous", times=MAX_FAILED_WITHHELD - misses)
    assert right_answer(others[0], phone="+266696687")["locked"] == "caller"
    member_of(SERVICE_ADVISOR, client)
    clear = reverse("admin:crm_customer_lift_hidden_numbers")

    today = client.get(reverse("admin:index")).content.decode()
    assert "Callers on hidden numbers can&#x27;t verify" in today and clear in today
    asked = client.get(clear).content.decode()
    assert f"They failed identity checks {MAX_FAILED_WITHHELD} times within the hour" in asked
    assert "Yes, let them verify again" in asked

    response = client.post(clear)

    assert response.status_code == 303 and response["Location"] == reverse("admin:index")
    after = client.get(reverse("admin:index")).content.decode()
    assert "Cleared: callers on hidden numbers can verify again." in after
    assert "Callers on hidden numbers can&#x27;t verify" not in after
    assert right_answer(others[0], phone="anonymous") == VERIFIED
    assert client.post(clear, follow=True).content.decode().count("were not stopped") == 1


def test_without_the_permission_today_warns_of_hidden_numbers_but_offers_no_clearing(shop, customer, client):
    for _ in range(MAX_FAILED_WITHHELD):
        verification_failed(caller_phone="anonymous", customer_id=customer.pk)
    user = User.objects.create_user("clerk", password="pw-12345678", is_staff=True)
    client.force_login(user)
    clear = reverse("admin:crm_customer_lift_hidden_numbers")

    today = client.get(reverse("admin:index")).content.decode()

    assert "Callers on hidden numbers can&#x27;t verify" in today and clear not in today
    assert client.get(clear).status_code == 403 and client.post(clear).status_code == 403
    assert hidden_numbers_stopped() == MAX_FAILED_WITHHELD


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL) to read the keys' lifetimes")
def test_the_hidden_numbers_shared_count_recovers_within_the_hour(shop, customer):
    verification_failed(caller_phone="anonymous", customer_id=customer.pk)

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        [shared] = client.keys("*:crm:verify-failures:caller:withheld")
        [for_dana] = client.keys(f"*:crm:verify-failures:caller:withheld:customer:{customer.pk}")
        assert 0 < client.ttl(shared) <= WITHHELD_WINDOW_SECONDS
        assert client.ttl(for_dana) > WITHHELD_WINDOW_SECONDS  # per customer: still a day
    finally:
        client.close()


UNREACHABLE = "Can&#x27;t reach Redis, so we can&#x27;t tell who is stopped"


def test_with_redis_down_the_pages_say_they_cannot_tell_who_is_stopped(shop, customer, client, settings):
    member_of(SERVICE_ADVISOR, client)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    hidden = client.get(reverse("admin:crm_customer_lift_hidden_numbers"))
    lift = client.get(lift_url(customer))
    today = client.get(reverse("admin:index"))
    customer_page = page(client, customer)

    assert hidden.status_code == 200 and lift.status_code == 200 and today.status_code == 200
    for text in (hidden.content.decode(), lift.content.decode(), today.content.decode(), customer_page):
        assert UNREACHABLE in text and "callers not on their own number can&#x27;t verify" in text
    assert "are not stopped" not in hidden.content.decode()
    assert "are not paused" not in lift.content.decode()
    assert "Yes, lift the pause" not in lift.content.decode()
    assert "Can&#x27;t reach Redis" in client.post(lift_url(customer), follow=True).content.decode()


def test_without_redis_local_development_stops_shows_and_lifts_a_number(shop, customer, client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lift"}
    }
    miss(customer, phone=FRIENDS_PHONE, times=MAX_FAILED_PER_CALLER_AND_CUSTOMER)
    assert right_answer(customer, phone=FRIENDS_PHONE)["locked"] == "caller_and_customer"
    member_of(SERVICE_ADVISOR, client)

    assert "1 number that failed on them" in page(client, customer)
    client.post(lift_url(customer))

    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED
