"""Failed admin logins are throttled per client address (django-axes, counted in the shared cache)."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
NEIGHBOUR = "203.0.113.8"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def advisor(settings) -> User:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_superuser("advisor", password=PASSWORD)


def log_in(client, password: str, address: str, **headers):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "advisor", "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def lock_out(client, address: str) -> None:
    for _ in range(4):
        assert log_in(client, "guess", address).status_code == 200  # the form again, with its error
    assert log_in(client, "guess", address).status_code == 429


def test_it_locks_an_address_out_after_five_failed_logins(client, advisor):
    for _ in range(4):
        assert log_in(client, "guess", ATTACKER).status_code == 200
    response = log_in(client, "guess", ATTACKER)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_a_locked_out_address_cannot_log_in_even_with_the_right_password(client, advisor):
    lock_out(client, ATTACKER)
    assert log_in(client, PASSWORD, ATTACKER).status_code == 429
    assert "_auth_user_id" not in client.session


def test_other_addresses_still_log_in(client, advisor):
    lock_out(client, ATTACKER)
    response = log_in(client, PASSWORD, NEIGHBOUR)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_forwarded_for_header_sent_by_the_client_does_not_reset_the_count(client, advisor):
    # Only the web server turns X-Forwarded-For into the client address, and only from a trusted proxy.
    lock_out(client, ATTACKER)
    assert log_in(client, PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR=NEIGHBOUR).status_code == 429


def test_an_operator_can_lift_a_lockout(client, advisor):
    lock_out(client, ATTACKER)
    call_command("axes_reset_ip", ATTACKER, stdout=StringIO())
    assert log_in(client, PASSWORD, ATTACKER).status_code == 302
