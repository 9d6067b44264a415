"""The live board in a real browser, against the real web process (uvicorn, WebSockets): an advisor
watches a phone call in progress (driven by the Media Streams test client) with its transcript
growing, says a line, transfers the caller to their own phone (the fake Twilio gets a call update
with <Dial> to the advisor's number once the sentence was heard), and ends another call."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from playwright.sync_api import expect

from tests.browser import VIEWPORT, PageProblems
from tests.calls import inbound_call, spoken
from tests.test_call_control import SocketPhone, call_updates, web  # noqa: F401  (the web process)
from voice.agent.control import GOODBYE, TRANSFERRING
from voice.models import StaffProfile

pytestmark = pytest.mark.django_db(transaction=True)

MY_PHONE = "+13125550199"
LINE = "An advisor is looking at your booking now."


@pytest.fixture
def in_loop() -> Iterator[Callable[..., Any]]:
    """Runs the phone's coroutines on an event loop of their own thread (Playwright's sync API holds
    this thread's loop)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield lambda coroutine, timeout=15: asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def advisor_session() -> str:
    user = User.objects.create_user("advisor", first_name="Sam", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="voice", codename__in=["view_call", "take_over_call"]
        )
    )
    StaffProfile.objects.create(user=user, phone=MY_PHONE)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def until(condition: Callable[[], Any], what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {within} s"
        time.sleep(0.05)


def screenshot(page, name: str) -> None:
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_an_advisor_watches_a_call_and_takes_it_over(
    web,  # noqa: F811
    browser,
    in_loop,
    customer,
    fake_deepgram,
    fake_twilio,
):
    origin = f"http://{web}"
    context = browser.new_context(viewport=VIEWPORT, base_url=origin)
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": advisor_session(), "url": origin}])
    problems = PageProblems(origin=origin)
    problems.attach(context)
    page = context.new_page()
    page.goto("/admin/voice/call/live/")
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#live-empty")).to_be_visible()

    # A known customer calls: the call appears, then its transcript grows turn by turn.
    call = inbound_call(from_number=customer.phone, call_sid="CA" + "1" * 32)
    phone = in_loop(SocketPhone.dial(web, call))
    card = page.locator(f"#live-call-{call.pk}")
    expect(card).to_contain_text("Dana Whitfield")
    expect(card).to_contain_text("***0147")
    expect(page.locator("#live-empty")).to_be_hidden()
    until(lambda: spoken(fake_deepgram), "the greeting")
    expect(card.locator(".live-transcript li")).to_have_count(1)
    expect(card.locator(".live-transcript")).to_contain_text(spoken(fake_deepgram)[0])

    card.locator("input[name=text]").fill(LINE)
    card.get_by_role("button", name="Say…").click()
    expect(page.locator("#live-message")).to_have_text("Sent: Say.")
    expect(card.locator(".live-transcript li")).to_have_count(2)
    expect(card.locator(".live-transcript li").nth(1)).to_contain_text(LINE)
    until(lambda: phone.heard(LINE), "the line heard on the call")
    expect(card.locator(".live-facts")).to_contain_text("inbound · cascade · 0:")
    screenshot(page, "live-board-call")

    card.get_by_role("button", name="Transfer to me").click()
    expect(page.locator("#live-message")).to_have_text("Sent: Transfer to me to (312) 555-0199.")
    until(lambda: call_updates(fake_twilio, call), "the transfer reaching Twilio")
    assert phone.heard(TRANSFERRING)  # said and heard before the call was sent on
    [transfer] = call_updates(fake_twilio, call)
    assert "<Dial" in transfer.value("Twiml") and f"<Number>{MY_PHONE}</Number>" in transfer.value("Twiml")
    in_loop(phone.hang_up())
    expect(card).to_have_count(0)  # the call left the board

    # A new caller, ended from the call's own page: End call says goodbye and hangs up.
    other = inbound_call(from_number="+17735550123", call_sid="CA" + "2" * 32)
    phone = in_loop(SocketPhone.dial(web, other))
    card = page.locator(f"#live-call-{other.pk}")
    expect(card).to_contain_text("Unknown caller")
    expect(card.locator(".live-transcript li")).to_have_count(1)
    call_page = context.new_page()
    call_page.goto(f"/admin/voice/call/{other.pk}/change/")
    panel = call_page.locator("#call-live-panel")
    expect(panel).to_contain_text("This call is in progress")
    screenshot(call_page, "live-call-page")
    with call_page.expect_navigation():
        panel.get_by_role("button", name="End call").click()
    expect(call_page.locator("body")).to_contain_text("Sent: End call.")
    until(lambda: call_updates(fake_twilio, other), "the hang-up reaching Twilio")
    assert phone.heard(GOODBYE)
    assert call_updates(fake_twilio, other)[0].value("Status") == "completed"
    in_loop(phone.hang_up())
    expect(card).to_have_count(0)  # the board, still open in the first tab
    call_page.reload()
    expect(call_page.locator("#call-take-overs")).to_contain_text("End call")
    expect(call_page.locator("#call-live-panel")).to_have_count(0)
    screenshot(page, "live-board-empty")
    screenshot(call_page, "call-page-after")
    problems.assert_none()
    context.close()
