"""A customer whose identity checks are paused (failed attempts from many numbers) shows it on their
admin page; an Owner or Service advisor lifts the pause there (asked first, POST), after which callers
can verify as them again. Who lifted it is in the customer's history; without the permission: 403."""

import logging

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from dealership.core.groups import OWNER, SERVICE_ADVISOR
from tests.verification_calls import pause, right_answer

pytestmark = pytest.mark.django_db

FRIENDS_PHONE = "+13125550188"  # the real customer, calling from someone else's phone
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
    assert "Yes, lift the pause" in asked and "The numbers that guessed stay stopped" in asked

    caplog.set_level(logging.INFO, logger="crm.verification_attempts")
    response = client.post(lift_url(customer))

    assert response.status_code == 303
    assert response["Location"] == reverse("admin:crm_customer_change", args=[customer.pk])
    after = page(client, customer)
    assert NOTE not in after and "Pause lifted: callers can verify as Dana Whitfield again." in after
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
