"""The shop-export import in a real browser, as the demo advisor: choose the file, read the preview, confirm,
and find the imported customer by phone. No Content-Security-Policy violation on the way."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from crm.models import Customer, ServiceRecord, Vehicle
from dealership.core.management.commands.ensure_demo_advisor import DEMO_PASSWORD, DEMO_USERNAME
from tests.browser import log_in, staff_groups_restore

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-shop-export.csv"
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture
def advisor_page(browser_page, settings, shop, catalog):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff_groups_restore()
    settings.DEBUG = True  # the demo login exists only in the local demo
    call_command("ensure_demo_advisor")
    settings.DEBUG = False
    log_in(browser_page, DEMO_USERNAME, DEMO_PASSWORD)
    return browser_page


def test_upload_preview_confirm(advisor_page, live_server, page_problems, tmp_path_factory):
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("import"))
    page = advisor_page
    page.goto(f"{live_server.url}/admin/crm/customer/")
    page.get_by_role("link", name="Import").click()
    page.wait_for_url("**/admin/crm/customer/import/")

    page.set_input_files("input[name=import_file]", str(SAMPLE))
    page.get_by_role("button", name="Preview import").click()
    page.get_by_text("Below is a preview of data to be imported").wait_for()
    page.screenshot(path=shots / "import_preview.png", full_page=True)
    preview = page.locator("table").last.inner_text()
    assert "Dana Whitfield" in preview and "2019 Honda Accord · VIN …004352" in preview
    assert page.evaluate(SCROLL_WIDTH) <= 1366
    assert Customer.objects.count() == 0

    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url("**/admin/crm/customer/")
    page.screenshot(path=shots / "import_done.png", full_page=True)
    assert (Customer.objects.count(), Vehicle.objects.count(), ServiceRecord.objects.count()) == (3, 2, 3)

    page.fill("input[name=q]", "(312) 555-0147")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Dana Whitfield").wait_for()
    page_problems.assert_none()
