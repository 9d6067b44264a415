"""The set-up check (/admin/setup/): what an owner sees against providers that answer like the real ones
(the fake servers in tests/fakes, the real SDKs pointed at them)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from dealership.core import setup_check, setup_probes
from dealership.core.groups import OWNER, SERVICE_ADVISOR
from tests.fakes.fake_google import FakeGoogle
from tests.fakes.fake_twilio import NUMBER_SID, FakeTwilio
from voice.models import WebhookReceipt

BASE = "https://desk.example.com"
SETUP = "/admin/setup/"


@pytest.fixture
def providers(settings, shop, fake_twilio, fake_deepgram, fake_openai) -> Iterator[FakeGoogle]:
    """Every provider configured with working keys; the number bought but not pointed anywhere yet."""
    settings.PUBLIC_BASE_URL = BASE
    with FakeGoogle() as google:
        google.configure(settings)
        yield google


def _login(client: Client, group: str) -> User:
    user = User.objects.create_user(group.lower().replace(" ", "_"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def _rows(page: str) -> dict[str, tuple[str, str]]:
    """row key -> (state, the row's text without tags)"""
    found = {}
    for key, state, body in re.findall(r'<tr id="setup-(\w+)" data-state="(\w+)">(.*?)</tr>', page, re.S):
        found[key] = (state, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()))
    return found


@pytest.fixture
def owner(client, db) -> Client:
    _login(client, OWNER)
    return client


def test_it_shows_what_works_and_what_is_left_on_a_new_install(owner, providers):
    response = owner.get(SETUP)

    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert rows["twilio"] == ("ok", "Twilio account OK Credentials accepted; the account is active.")
    assert rows["number"][0] == "todo"
    assert "calls go to nowhere" in rows["number"][1]
    assert "Point the number at this server" in rows["number"][1]
    assert rows["webhook"][0] == "todo" and "call (312) 555-0100" in rows["webhook"][1]
    assert rows["a2p"][0] == "todo" and "in no Messaging Service" in rows["a2p"][1]
    assert rows["deepgram"][0] == rows["openai"][0] == rows["google_calendar"][0] == "ok"
    assert rows["database"][0] == "ok"
    assert rows["redis"][0] == "ok"
    assert rows["worker"][0] == "todo" and "start it" in rows["worker"][1]
    assert f"{BASE}/voice/inbound/" in response.content.decode()


def test_the_button_points_the_number_at_this_server(owner, providers, fake_twilio: FakeTwilio):
    response = owner.post(SETUP, follow=True)

    number = fake_twilio.numbers[NUMBER_SID]
    assert number["voice_url"] == f"{BASE}/voice/inbound/"
    assert number["status_callback"] == f"{BASE}/voice/status/"
    assert number["sms_url"] == f"{BASE}/voice/sms/"
    assert number["voice_method"] == number["sms_method"] == "POST"
    update = fake_twilio.requests_to(f"/IncomingPhoneNumbers/{NUMBER_SID}.json")[0]
    assert update.auth == (fake_twilio.account_sid, fake_twilio.auth_token)
    page = response.content.decode()
    assert "The number now sends calls, call status and texts to this server." in page
    assert _rows(page)["number"] == (
        "ok",
        "The shop's number OK (312) 555-0100 sends calls, call status and texts here.",
    )
    assert 'id="setup-point-number"' not in page


def test_wrong_twilio_credentials_are_named_once(owner, providers, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"

    rows = _rows(owner.get(SETUP).content.decode())

    assert (
        rows["twilio"][0] == "todo" and "refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN" in rows["twilio"][1]
    )
    assert "Fix the Twilio account first" in rows["number"][1]
    assert "Fix the Twilio account first" in rows["a2p"][1]


def test_a_number_the_account_does_not_have(owner, providers, settings):
    settings.TWILIO_PHONE_NUMBER = "+13125550199"

    rows = _rows(owner.get(SETUP).content.decode())

    assert "(312) 555-0199 is not a number of this Twilio account" in rows["number"][1]
    assert (
        owner.post(SETUP, follow=True).content.decode().count("is not a number of this Twilio account") >= 1
    )


def test_without_a_public_address_it_says_to_set_one(owner, providers, settings, fake_twilio):
    settings.PUBLIC_BASE_URL = ""

    rows = _rows(owner.get(SETUP).content.decode())
    owner.post(SETUP)

    assert "Set PUBLIC_BASE_URL" in rows["number"][1]
    assert fake_twilio.requests_to(f"/IncomingPhoneNumbers/{NUMBER_SID}.json") == []


@pytest.mark.parametrize(
    ("statuses", "state", "says"),
    [
        (["VERIFIED"], "ok", "campaign is verified"),
        (["IN_PROGRESS"], "todo", "under review"),
        (["FAILED"], "todo", "was rejected"),
        ([], "todo", "register an A2P 10DLC campaign"),
    ],
)
def test_it_reads_the_us_texting_registration(owner, providers, fake_twilio, statuses, state, says):
    fake_twilio.add_messaging_service(["+13125550111"], ["VERIFIED"])  # another number's service
    fake_twilio.add_messaging_service([fake_twilio_number()], statuses)

    row = _rows(owner.get(SETUP).content.decode())["a2p"]

    assert row[0] == state and says in row[1]


def fake_twilio_number() -> str:
    from tests.fakes.fake_twilio import PHONE_NUMBER

    return PHONE_NUMBER


def test_refused_keys_say_which_variable_to_replace(owner, providers, settings):
    settings.DEEPGRAM_API_KEY = "wrong"
    settings.OPENAI_API_KEY = "wrong"

    rows = _rows(owner.get(SETUP).content.decode())

    assert rows["deepgram"] == (
        "todo",
        "Deepgram To do Deepgram refused DEEPGRAM_API_KEY: create a new key and set it.",
    )
    assert rows["openai"] == (
        "todo",
        "OpenAI To do OpenAI refused OPENAI_API_KEY: create a new key and set it.",
    )


def test_a_hanging_provider_cannot_stall_the_page(owner, providers, fake_openai, monkeypatch):
    fake_openai.models_hang = True
    monkeypatch.setattr(setup_probes, "PROBE_TIMEOUT", 3.0)
    monkeypatch.setattr(setup_check, "PROBE_DEADLINE", 1.0)

    started = time.monotonic()
    rows = _rows(owner.get(SETUP).content.decode())

    assert time.monotonic() - started < 2.5
    assert rows["openai"] == ("todo", "OpenAI To do No answer within 1 s: try again in a minute.")
    assert rows["twilio"][0] == rows["deepgram"][0] == "ok"
    assert fake_openai.model_list_requests == 1


def test_the_last_webhook_received_is_shown(owner, providers):
    WebhookReceipt.objects.create(kind=WebhookReceipt.Kind.MESSAGE, key="SM1")

    row = _rows(owner.get(SETUP).content.decode())["webhook"]

    assert row[0] == "ok" and row[1].startswith("Last webhook from Twilio OK A status or text, ")


def test_unconfigured_providers_say_what_to_set(owner, shop, settings):
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "OPENAI_API_KEY"):
        setattr(settings, name, "")
    settings.DEEPGRAM_API_KEY = ""
    settings.GOOGLE_CALENDAR_ID = ""

    rows = _rows(owner.get(SETUP).content.decode())

    assert "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in rows["twilio"][1]
    assert "Set TWILIO_PHONE_NUMBER" in rows["number"][1]
    assert rows["openai"] == ("todo", "OpenAI To do Set OPENAI_API_KEY.")
    assert rows["google_calendar"][0] == "off"


def test_only_the_owner_may_open_it_or_press_the_button(client, providers, fake_twilio, fake_openai):
    _login(client, SERVICE_ADVISOR)

    assert client.get(SETUP).status_code == 403
    assert client.post(SETUP).status_code == 403
    assert fake_twilio.requests == [] and fake_openai.model_list_requests == 0
    assert fake_twilio.numbers[NUMBER_SID]["voice_url"] == ""


def test_today_and_the_sidebar_link_to_it_for_the_owner(owner, providers, settings):
    settings.TWILIO_PHONE_NUMBER = ""  # a warning on Today

    page = owner.get(reverse("admin:index")).content.decode()

    assert 'id="today-setup-link"' in page
    assert page.count(f'href="{SETUP}"') >= 2  # the warning panel and the sidebar


def test_an_advisor_sees_no_link(client, providers, settings):
    settings.TWILIO_PHONE_NUMBER = ""
    _login(client, SERVICE_ADVISOR)

    page = client.get(reverse("admin:index")).content.decode()

    assert SETUP not in page


def test_demo_and_test_calls_are_not_webhooks_but_a_real_call_is(owner, providers, shop):
    from django.utils import timezone

    from dealership.core.demo.seed import demo_seed
    from voice.models import Call

    demo_seed()
    Call.objects.create(call_sid="CAbrowsertest", is_test=True)
    assert Call.objects.filter(direction=Call.Direction.INBOUND).count() >= 5

    row = _rows(owner.get(SETUP).content.decode())["webhook"]
    assert row[0] == "todo" and "None received yet" in row[1]

    Call.objects.create(call_sid="CAreal", stream_claimed_at=timezone.now())
    row = _rows(owner.get(SETUP).content.decode())["webhook"]
    assert row[0] == "ok" and row[1].startswith("Last webhook from Twilio OK An incoming call, ")
