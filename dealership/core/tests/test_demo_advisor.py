"""The demo service-advisor login that scripts/run prints: DEBUG only, a real advisor, never a superuser."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client

from dealership.core.management.commands.ensure_demo_advisor import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_creates_an_advisor_who_can_log_in_but_is_no_superuser(settings):
    settings.DEBUG = True
    call_command("ensure_demo_advisor")
    user = authenticate(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    assert user is not None and user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Service advisor"]


def test_the_printed_demo_password_passes_the_password_validators():
    from django.contrib.auth.models import User
    from django.contrib.auth.password_validation import validate_password

    validate_password(DEMO_PASSWORD, user=User(username=DEMO_USERNAME))  # raises if weak


def test_it_is_refused_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only in the local demo"):
        call_command("ensure_demo_advisor")


def test_running_it_again_keeps_the_password(settings):
    settings.DEBUG = True
    call_command("ensure_demo_advisor")
    call_command("ensure_demo_advisor", "--password", "another-long-passphrase")
    assert authenticate(username=DEMO_USERNAME, password=DEMO_PASSWORD) is not None


@pytest.mark.parametrize(
    "path", ["/admin/auth/user/", "/admin/auth/group/", "/admin/django_celery_beat/periodictask/"]
)
def test_the_advisor_cannot_open_users_groups_or_periodic_tasks(settings, shop, path):
    settings.DEBUG = True
    call_command("ensure_demo_advisor")
    client = Client()
    assert client.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    assert client.get(path).status_code == 403
