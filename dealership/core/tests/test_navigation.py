"""The back office's frame: the shop's name in the header, the sidebar grouped around the day, the
plumbing shown to superusers only, and "View site" leading somewhere real."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from dealership.core.groups import SERVICE_ADVISOR

PLUMBING = (
    "/admin/auth/user/",
    "/admin/auth/group/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/scheduling/calendarsyncstate/",
)
DAY = (
    "/admin/voice/callbackrequest/",
    "/admin/voice/call/",
    "/admin/scheduling/appointment/agenda/",
    "/admin/scheduling/appointment/",
    "/admin/crm/customer/",
    "/admin/reminders/reminder/",
)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def advisor(db) -> User:
    user = User.objects.create_user("advisor-x", password="pw-advisor-1234", is_staff=True)
    user.groups.add(Group.objects.get(name=SERVICE_ADVISOR))
    return user


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("boss", "boss@example.com", "pw-boss-12345")


def _sidebar(html: str) -> str:
    return html.split('id="nav-sidebar-apps"', 1)[1].split("</nav>", 1)[0]


def test_it_shows_the_shops_name_and_never_django_administration(shop, superuser):
    html = _client(superuser).get("/admin/").content.decode()
    assert "Lakeside Auto Service" in html
    assert "Django administration" not in html
    assert "Django site admin" not in html


def test_the_login_page_names_the_shop_too(shop, client):
    html = client.get("/admin/login/").content.decode()
    assert "Lakeside Auto Service" in html
    assert "Django administration" not in html


def test_the_sidebar_is_grouped_around_the_day(shop, advisor):
    sidebar = _sidebar(_client(advisor).get("/admin/").content.decode())
    groups = ["Today", "Calls and callbacks", "Appointments and agenda", "Customers and vehicles"]
    groups += ["Reminders", "Shop settings"]
    positions = [sidebar.index(f"\n                            {title}\n") for title in groups]
    assert positions == sorted(positions)
    for path in DAY:
        assert f'href="{path}"' in sidebar


def test_an_advisor_never_sees_the_plumbing(shop, advisor):
    sidebar = _sidebar(_client(advisor).get("/admin/").content.decode())
    assert "Administration" not in sidebar
    for path in PLUMBING:
        assert f'href="{path}"' not in sidebar


def test_a_superuser_finds_the_plumbing_under_administration(shop, superuser):
    sidebar = _sidebar(_client(superuser).get("/admin/").content.decode())
    assert "Administration" in sidebar
    for path in PLUMBING:
        assert sidebar.index(f'href="{path}"') > sidebar.index("Administration")


def test_view_site_leads_to_the_back_office_home(shop, superuser):
    html = _client(superuser).get("/admin/scheduling/appointment/").content.decode()
    assert 'href="/"' not in html
    assert 'href="/admin/"' in html


def test_the_site_root_leads_to_the_back_office(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_signing_in_on_the_bare_login_page_lands_on_today(shop, superuser, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    superuser.set_password("pw-boss-12345")
    superuser.save()
    response = Client().post("/admin/login/", {"username": "boss", "password": "pw-boss-12345"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
