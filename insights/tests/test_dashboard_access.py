"""Who sees the dashboard: the Owner group (its own permission, given by migration), not an advisor;
it only reads (GET), and a period it does not know shows the default 30 days."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from dealership.core.groups import OWNER, SERVICE_ADVISOR

DASHBOARD = reverse("admin:dashboard")


def _member(group: str) -> Client:
    user = User.objects.create_user(group.replace(" ", "_"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_owner_opens_it_from_today_and_the_sidebar(shop):
    owner = _member(OWNER)
    today = owner.get(reverse("admin:index")).content.decode()
    assert f'href="{DASHBOARD}"' in today  # the sidebar and the link at the top of Today
    assert 'id="today-dashboard"' in today

    page = owner.get(DASHBOARD, {"period": "fortnight"})
    assert page.status_code == 200
    assert page.context["dashboard"].period.kind == "day"
    assert owner.post(DASHBOARD).status_code == 405


@pytest.mark.django_db
def test_an_advisor_neither_sees_nor_opens_it(shop):
    advisor = _member(SERVICE_ADVISOR)
    assert f'href="{DASHBOARD}"' not in advisor.get(reverse("admin:index")).content.decode()
    assert advisor.get(DASHBOARD).status_code == 403


@pytest.mark.django_db
def test_count_charts_tick_in_whole_numbers_and_labels_use_us_spelling(shop):
    import json

    page = _member(OWNER).get(DASHBOARD)
    charts = {chart.id: chart for chart in page.context["charts"]}
    text = page.content.decode()

    for count_chart in ("chart-calls", "chart-hours", "chart-outcomes", "chart-reminders", "chart-callbacks"):
        assert json.loads(charts[count_chart].options)["scales"]["y"]["ticks"]["precision"] == 0
    assert "ticks" not in json.loads(charts["chart-revenue"].options)["scales"]["y"]  # dollars have cents
    outcomes = json.loads(charts["chart-outcomes"].data)["labels"]
    assert "Canceled" in outcomes and "Cancelled" not in outcomes
    assert "Realized (invoiced)" in charts["chart-revenue"].data
    assert "realised" not in text.lower().replace("revenue_realised", "").replace("revenue-realised", "")
