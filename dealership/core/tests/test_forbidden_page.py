"""A staff login opening a page it may not see gets a 403 in the admin's theme that names the page,
says who can grant it, and leads back to Today (dealership/core/forbidden.py, templates/admin/403.html)."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory

from dealership.core.forbidden import permission_denied
from dealership.core.groups import SERVICE_ADVISOR


@pytest.fixture
def advisor_client(db) -> Client:
    user = User.objects.create_user("advisor-403", password="pw-advisor-1234", is_staff=True)
    user.groups.add(Group.objects.get(name=SERVICE_ADVISOR))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/admin/dashboard/", "the Dashboard"),
        ("/admin/setup/", "the Set-up check"),
        ("/admin/auth/user/", "staff logins (Users)"),
    ],
)
def test_an_advisor_on_an_owners_page_is_told_what_and_who_can_grant_it(advisor_client, shop, path, page):
    response = advisor_client.get(path)

    assert response.status_code == 403
    html = response.content.decode()
    assert f"Your login can't open {page}" in html
    assert "Owner</strong> group" in html  # who can grant it
    assert 'id="forbidden-today" href="/admin/"' in html or 'href="/admin/" id="forbidden-today"' in html
    assert 'id="nav-sidebar' in html  # the admin's layout, not a bare "403 Forbidden"
    assert "<script>" not in html  # nothing inline: the Content-Security-Policy runs none


def test_outside_the_back_office_the_403_stays_plain(db, rf: RequestFactory):
    request = rf.get("/tools/check-availability/")
    request.user = User.objects.create_user("staff-403", is_staff=True)

    response = permission_denied(request)

    assert response.status_code == 403
    assert b"Your login" not in response.content
