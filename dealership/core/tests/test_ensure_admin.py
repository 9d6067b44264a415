from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The real hasher is slow on purpose; these tests check behaviour, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ensure_admin(*args: str) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_superuser_that_can_log_in():
    output = ensure_admin("--username", "admin", "--password", "s3cret-demo", "--email", "a@example.com")
    user = authenticate(username="admin", password="s3cret-demo")
    assert user is not None and user.is_superuser and user.is_staff
    assert user.email == "a@example.com"
    assert "created" in output and "admin" in output
    assert "s3cret-demo" not in output  # the login is printed, never the password


def test_it_leaves_an_existing_user_and_its_password_alone_when_run_again():
    ensure_admin("--username", "admin", "--password", "admin")
    output = ensure_admin("--username", "admin", "--password", "something-else")
    assert User.objects.filter(username="admin").count() == 1
    assert authenticate(username="admin", password="admin") is not None
    assert authenticate(username="admin", password="something-else") is None
    assert "already exists" in output


def test_it_resets_the_password_only_when_asked():
    ensure_admin("--username", "admin", "--password", "admin")
    output = ensure_admin("--username", "admin", "--password", "n3w-pass", "--reset-password")
    assert User.objects.count() == 1
    assert authenticate(username="admin", password="n3w-pass") is not None
    assert "reset" in output


def test_it_warns_instead_of_promoting_an_ordinary_user():
    User.objects.create_user(username="admin", password="staff-pass")
    output = ensure_admin("--username", "admin", "--password", "admin")
    user = User.objects.get(username="admin")
    assert not user.is_superuser and user.check_password("staff-pass")
    assert "not an active superuser" in output


def test_it_refuses_a_blank_username():
    with pytest.raises(CommandError, match="username"):
        ensure_admin("--username", "  ", "--password", "admin")
    assert not User.objects.exists()
