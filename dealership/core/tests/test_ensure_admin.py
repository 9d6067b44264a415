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


@pytest.fixture
def local_demo(settings):
    """DJANGO_DEBUG=1, as scripts/run sets it: demo logins such as admin/admin are allowed."""
    settings.DEBUG = True


def ensure_admin(*args: str) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_superuser_that_can_log_in(local_demo):
    output = ensure_admin("--username", "admin", "--password", "s3cret-demo", "--email", "a@example.com")
    user = authenticate(username="admin", password="s3cret-demo")
    assert user is not None and user.is_superuser and user.is_staff
    assert user.email == "a@example.com"
    assert "created" in output and "admin" in output
    assert "s3cret-demo" not in output  # the login is printed, never the password


def test_it_leaves_an_existing_user_and_its_password_alone_when_run_again(local_demo):
    ensure_admin("--username", "admin", "--password", "admin")
    output = ensure_admin("--username", "admin", "--password", "something-else")
    assert User.objects.filter(username="admin").count() == 1
    assert authenticate(username="admin", password="admin") is not None
    assert authenticate(username="admin", password="something-else") is None
    assert "already exists" in output


def test_it_resets_the_password_only_when_asked(local_demo):
    ensure_admin("--username", "admin", "--password", "admin")
    output = ensure_admin("--username", "admin", "--password", "n3w-pass", "--reset-password")
    assert User.objects.count() == 1
    assert authenticate(username="admin", password="n3w-pass") is not None
    assert "reset" in output


def test_it_warns_instead_of_promoting_an_ordinary_user(local_demo):
    User.objects.create_user(username="admin", password="staff-pass")
    output = ensure_admin("--username", "admin", "--password", "admin")
    user = User.objects.get(username="admin")
    assert not user.is_superuser and user.check_password("staff-pass")
    assert "not an active superuser" in output


def test_it_refuses_a_blank_username():
    with pytest.raises(CommandError, match="username"):
        ensure_admin("--username", "  ", "--password", "admin")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("admin", "admin", "too short"),
        ("frontdesk", "password1234", "too common"),
        ("frontdesk", "123456789012345", "entirely numeric"),
        ("serviceadvisor", "serviceadvisor1", "too similar to the username"),
    ],
)
def test_outside_debug_it_refuses_a_weak_password(username, password, reason):
    with pytest.raises(CommandError, match=reason):
        ensure_admin("--username", username, "--password", password)
    assert not User.objects.exists()


def test_outside_debug_it_refuses_to_reset_to_a_weak_password():
    ensure_admin("--username", "owner", "--password", "correct horse battery staple")
    with pytest.raises(CommandError, match="too short"):
        ensure_admin("--username", "owner", "--password", "admin", "--reset-password")
    assert User.objects.get(username="owner").check_password("correct horse battery staple")


def test_outside_debug_a_strong_password_makes_a_login():
    ensure_admin("--username", "owner", "--password", "correct horse battery staple")
    assert User.objects.get(username="owner").check_password("correct horse battery staple")
