"""Bootstrap the first back-office login."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from dealership.core.errors import ApplicationError


class AdminOutcome(StrEnum):
    CREATED = "created"
    EXISTS = "exists"
    PASSWORD_RESET = "password_reset"


@transaction.atomic
def superuser_ensure(
    *, username: str, password: str, email: str = "", reset_password: bool = False
) -> tuple[AbstractUser, AdminOutcome]:
    """Create the superuser `username` if there is none. An existing user is left untouched (its password
    is never changed silently) unless `reset_password`, which sets the password and makes sure the account
    is an active superuser.

    Demo logins such as admin/admin exist only under DEBUG (the local demo of scripts/run); otherwise a
    password that sets it goes through the password validators and a weak one is refused."""
    username = (username or "").strip()
    if not username:
        raise ApplicationError("Give a username.")
    if not password:
        raise ApplicationError("Give a password.")
    users = get_user_model()
    user = users._default_manager.filter(**{users.USERNAME_FIELD: username}).first()
    if user is None or reset_password:
        _password_check(password, user=user or users(username=username, email=email))
    if user is None:
        user = users._default_manager.create_superuser(username=username, email=email, password=password)
        return user, AdminOutcome.CREATED
    if not reset_password:
        return user, AdminOutcome.EXISTS
    user.set_password(password)
    user.is_active = user.is_staff = user.is_superuser = True
    if email:
        user.email = email
    user.save()
    return user, AdminOutcome.PASSWORD_RESET


def _password_check(password: str, *, user: AbstractUser) -> None:
    if settings.DEBUG:
        return
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ApplicationError(
            "Refusing a weak password outside DEBUG (demo logins exist only in the local demo): "
            + " ".join(error.messages)
        ) from None


@transaction.atomic
def demo_advisor_ensure(*, username: str, password: str) -> tuple[AbstractUser, AdminOutcome]:
    """The local demo's service-advisor login: a staff user in the "Service advisor" group, no superuser.

    Demo only: refused outside DEBUG (a production shop adds its advisors under Users). The password
    still goes through the validators, so the printed demo password is one they accept. An existing
    user keeps its password; it is (again) put in the group."""
    from dealership.core.groups import SERVICE_ADVISOR

    if not settings.DEBUG:
        raise ApplicationError("The demo advisor login exists only in the local demo (DJANGO_DEBUG=1).")
    users = get_user_model()
    user = users._default_manager.filter(**{users.USERNAME_FIELD: username}).first()
    outcome = AdminOutcome.EXISTS
    if user is None:
        user = users(username=username)
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            raise ApplicationError(" ".join(error.messages)) from None
        user.set_password(password)
        user.is_staff = True
        user.save()
        outcome = AdminOutcome.CREATED
    group = Group.objects.get(name=SERVICE_ADVISOR)
    user.groups.add(group)
    return user, outcome
