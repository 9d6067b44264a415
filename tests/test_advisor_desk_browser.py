"""An advisor's back office in a real browser, logged in as the demo advisor that scripts/run prints:
Today shows the counts its lists show, the plumbing is closed to them (403), and the pages an advisor
lives in never scroll sideways at 1366 px."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from dealership.core.management.commands.ensure_demo_advisor import DEMO_PASSWORD, DEMO_USERNAME
from reminders.models import Reminder
from scheduling.models import Appointment
from tests.browser import log_in, staff_groups_restore
from voice.models import Call, CallbackRequest

WIDTH = 1366
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"
# Boxes that scroll sideways inside the page (a list table wider than its card, say): their ids/classes.
INNER_SCROLLERS = """() => [...document.querySelectorAll('*')].filter(el => {
  const overflow = getComputedStyle(el).overflowX;
  return (overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1
    && el.offsetParent !== null;
}).map(el => (el.id || el.className || el.tagName).toString().slice(0, 60))"""
COUNT = "#today-{} .desk-count"


@pytest.fixture
def advisor_page(browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff_groups_restore()
    settings.DEBUG = True  # the demo login exists only in the local demo
    call_command("ensure_demo_advisor")
    settings.DEBUG = False
    log_in(browser_page, DEMO_USERNAME, DEMO_PASSWORD)
    return browser_page


@pytest.fixture
def a_day(shop, catalog, customer, make_appointment):
    """Today's appointments (one arrived, one late, one later, one cancelled), three open callbacks (one
    urgent) and one handled, reminders in review and failed, and calls inside and outside the window."""
    now = timezone.now()
    local = now.astimezone(shop.zone)
    morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
    vehicle = customer.vehicles.get()
    for hours, status in ((0, "arrived"), (1, "scheduled"), (15, "scheduled"), (15, "cancelled")):
        start = morning + timedelta(hours=hours)
        make_appointment(customer, start, status=status, vehicle=vehicle)
    tomorrow = make_appointment(customer, morning + timedelta(days=1, hours=1), vehicle=vehicle)
    other = make_appointment(customer, morning + timedelta(days=1, hours=2), vehicle=vehicle)
    Reminder.objects.create(appointment=tomorrow, status=Reminder.Status.REVIEW, status_reason="Two calls")
    Reminder.objects.create(appointment=other, status=Reminder.Status.FAILED, status_reason="No answer")
    long_words = "Please call me back about the brakes " + "squealing-and-grinding-noise " * 8
    for minutes, urgent in ((300, False), (30, True), (90, False)):
        request = CallbackRequest.objects.create(
            customer=customer, phone=customer.phone, name="Dana", reason=long_words, urgent=urgent
        )
        CallbackRequest.objects.filter(pk=request.pk).update(created_at=now - timedelta(minutes=minutes))
    CallbackRequest.objects.create(phone="+13125550100", reason="Done", handled=True)
    for number, hours in enumerate((1, 5, 30)):
        Call.objects.create(
            call_sid=f"CA{number:032d}",
            from_number=customer.phone,
            to_number=shop.phone_number,
            customer=customer,
            status=Call.Status.COMPLETED,
            outcome=Call.Outcome.BOOKED,
            started_at=now - timedelta(hours=hours),
        )
    assert Appointment.objects.filter(local_date=local.date()).count() == 4


def _rows_in_list(page) -> int:
    return page.locator("#result_list tbody tr").count()


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_today_shows_the_counts_its_lists_show(a_day, advisor_page, page_problems):
    page = advisor_page
    page.goto("/admin/")
    _screenshot(page, "today")
    expected = {"appointments": 4, "callbacks": 3, "reminders": 2, "calls": 2}
    for panel, count in expected.items():
        assert page.inner_text(COUNT.format(panel)) == str(count), panel
    assert "Telephony is not configured" in page.inner_text("#today-warnings")
    # Urgent first, then the longest waiting.
    assert "urgent" in page.locator("#today-callbacks tbody tr").first.inner_text()

    for panel, count in expected.items():
        page.goto("/admin/")
        with page.expect_navigation():
            page.click(f"#today-{panel} a.desk-more >> nth=0")
        assert _rows_in_list(page) == count, f"{panel}: the list at {page.url}"
    page_problems.assert_none()


def test_an_advisor_gets_403_on_users_and_periodic_tasks(shop, advisor_page):
    for path in ("/admin/auth/user/", "/admin/auth/group/", "/admin/django_celery_beat/periodictask/"):
        assert advisor_page.request.get(path).status == 403, path
    advisor_page.goto("/admin/")
    assert "Administration" not in advisor_page.inner_text("#nav-sidebar")


def test_an_advisors_pages_do_not_scroll_sideways_at_1366_px(a_day, advisor_page, customer, page_problems):
    page = advisor_page
    pages = {
        "today": "/admin/",
        "customers": "/admin/crm/customer/",
        "customer": f"/admin/crm/customer/{customer.pk}/change/",
        "appointments": "/admin/scheduling/appointment/",
        "agenda": "/admin/scheduling/appointment/agenda/",
        "callbacks": "/admin/voice/callbackrequest/",
        "calls": "/admin/voice/call/",
        "reminders": "/admin/reminders/reminder/",
    }
    wide, inner = {}, {}
    for name, path in pages.items():
        page.goto(path)
        _screenshot(page, name)
        width = page.evaluate(SCROLL_WIDTH)
        if width > WIDTH:
            wide[name] = width
        if scrollers := page.evaluate(INNER_SCROLLERS):
            inner[name] = scrollers
        if name == "customer":  # each tab of the customer's page, vehicles' table included
            for tab in ("Vehicles", "Upcoming appointments", "Past and cancelled appointments"):
                page.get_by_role("link", name=tab, exact=True).first.click()
                _screenshot(page, f"customer-{tab.split()[0].lower()}")
                if scrollers := page.evaluate(INNER_SCROLLERS):
                    inner[f"customer {tab}"] = scrollers
    assert wide == {}, f"pages wider than {WIDTH} px: {wide}"
    assert inner == {}, f"parts of pages that scroll sideways at {WIDTH} px: {inner}"
    page_problems.assert_none()


def test_an_owners_page_tells_an_advisor_why_in_the_admins_theme(shop, advisor_page, page_problems):
    page = advisor_page
    for path, name in (("/admin/dashboard/", "the Dashboard"), ("/admin/setup/", "the Set-up check")):
        response = page.goto(path)
        _screenshot(page, "forbidden-" + path.strip("/").split("/")[-1])
        assert response is not None and response.status == 403, path
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") not in (
            "",
            "rgba(0, 0, 0, 0)",
        )
        card = page.inner_text("#forbidden")
        assert f"Your login can't open {name}" in card and "Owner" in card
        with page.expect_navigation():
            page.click("#forbidden-today")
        assert page.url.endswith("/admin/"), page.url
    # The 403s themselves are expected; nothing else (no CSP violation, no script error) may go wrong.
    others = [problem for problem in page_problems.items if problem.kind != "http 403"]
    assert others == [], page_problems.report()
