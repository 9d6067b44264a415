"""The set-up check in a real browser, as the shop's owner: Today's warning links to it, it says what is
left, and "Point the number at this server" makes the fake Twilio's number call us (the real SDK)."""

import os
from pathlib import Path

from django.contrib.auth.models import Group, User

from dealership.core.groups import OWNER
from tests.browser import log_in, staff_groups_restore
from tests.fakes.fake_google import FakeGoogle
from tests.fakes.fake_twilio import NUMBER_SID

PASSWORD = "owner-browser-password"


def test_an_owner_points_the_number_at_this_server(
    browser_page,
    live_server,
    page_problems,
    settings,
    shop,
    fake_twilio,
    fake_deepgram,
    fake_openai,
    tmp_path_factory,
):
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("setup"))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PUBLIC_BASE_URL = live_server.url
    staff_groups_restore()
    owner = User.objects.create_user("owner", password=PASSWORD, is_staff=True)
    owner.groups.add(Group.objects.get(name=OWNER))
    page = browser_page
    with FakeGoogle() as google:
        google.configure(settings)
        log_in(page, "owner", PASSWORD)

        page.click("#today-setup-link")  # the Celery worker has never reported: Today warns
        page.wait_for_url("**/admin/setup/")
        assert page.get_attribute("#setup-twilio", "data-state") == "ok"
        assert page.get_attribute("#setup-number", "data-state") == "todo"
        assert "calls go to nowhere" in page.inner_text("#setup-number")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=shots / "setup_before.png", full_page=True)

        page.get_by_role("button", name="Point the number at this server").click()
        page.get_by_text("The number now sends calls, call status and texts to this server.").wait_for()
        page.screenshot(path=shots / "setup_after.png", full_page=True)

    assert page.get_attribute("#setup-number", "data-state") == "ok"
    assert fake_twilio.numbers[NUMBER_SID]["voice_url"] == f"{live_server.url}/voice/inbound/"
    page_problems.assert_none()
