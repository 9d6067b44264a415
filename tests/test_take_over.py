"""Taking over a live call from the back office (board and call page), on either engine: Transfer to me
rings the advisor's own phone after the agent's sentence was heard, Transfer to… dials only the shop's
list, Say… and End call; each is recorded on the call. Staff without `voice.take_over_call` see no
buttons and are refused; a call that ended gets a clear message."""

from __future__ import annotations

import asyncio
import time
import urllib.parse

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from tests.calls import FakePhone, eventually
from tests.faults.proxy import TcpProxy
from voice.agent.control import GOODBYE, TRANSFERRING
from voice.live.registry import live_call_register, live_call_unregister
from voice.models import Call, CallControl, StaffProfile, TransferNumber
from voice.takeover import call_is_live

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

MY_PHONE = "+13125550199"
PARTS_DESK = "+13125550142"
JSON = {"HTTP_ACCEPT": "application/json"}


def staff_client(username: str, *, take_over: bool = True, phone: str = "") -> Client:
    user = User.objects.create_user(username, is_staff=True)
    codenames = ["view_call", *(["take_over_call"] if take_over else [])]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="voice", codename__in=codenames)
    )
    if phone:
        StaffProfile.objects.create(user=user, phone=phone)
    client = Client()
    client.force_login(user)
    return client


def take_over_url(call: Call) -> str:
    return reverse("admin:voice_call_take_over", args=[call.pk])


def call_updates(fake_twilio, call: Call) -> list:
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def on_the_board(call: Call) -> None:
    await eventually(lambda: call_is_live(call_id=call.pk), what="the call on the live board")


async def post(client: Client, url: str, data: dict, **extra):
    return await database_sync_to_async(client.post)(url, data, **extra)


async def test_transfer_to_me_rings_my_phone_after_the_sentence(live, fake_twilio):
    advisor = await database_sync_to_async(staff_client)("advisor", phone=MY_PHONE)
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await asyncio.to_thread(on_the_board_sync, live.call)
        answer = await post(advisor, take_over_url(live.call), {"action": "transfer_to_me"}, **JSON)
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, live.call), within=8)
    finally:
        await phone.hang_up()

    assert answer.status_code == 200, answer.content
    assert answer.json() == {"ok": True, "message": "Sent: Transfer to me to (312) 555-0199."}
    assert live.lines()[-1] == TRANSFERRING
    assert live.heard(phone, TRANSFERRING)  # the sentence played out before the transfer
    twiml = call_updates(fake_twilio, live.call)[0].value("Twiml")
    assert "<Dial" in twiml and f"<Number>{MY_PHONE}</Number>" in twiml
    control = await database_sync_to_async(CallControl.objects.select_related("user").get)()
    assert (control.user.username, control.action, control.number) == ("advisor", "transfer_to_me", MY_PHONE)


async def test_end_call_from_the_call_page(live, fake_twilio):
    advisor = await database_sync_to_async(staff_client)("advisor")
    page = reverse("admin:voice_call_change", args=[live.call.pk])
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await asyncio.to_thread(on_the_board_sync, live.call)
        html = (await database_sync_to_async(advisor.get)(page)).content.decode()
        assert "This call is in progress" in html and "End call" in html
        answer = await post(advisor, take_over_url(live.call), {"action": "end_call", "next": page})
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, live.call), within=8)
    finally:
        await phone.hang_up()

    assert (answer.status_code, answer["Location"]) == (303, page)
    assert live.lines()[-1] == GOODBYE
    assert live.heard(phone, GOODBYE)
    assert call_updates(fake_twilio, live.call)[0].value("Status") == "completed"
    shown = (await database_sync_to_async(advisor.get)(page)).content.decode()
    assert "End call" in shown and "No one took over this call" not in shown  # recorded on the call


def on_the_board_sync(call: Call) -> None:
    import time

    deadline = time.monotonic() + 5
    while not call_is_live(call_id=call.pk):
        assert time.monotonic() < deadline, "the call never reached the live board"
        time.sleep(0.05)


async def test_transfer_to_dials_only_the_shops_list(live, fake_twilio):
    advisor = await database_sync_to_async(staff_client)("advisor")
    parts = await database_sync_to_async(TransferNumber.objects.create)(label="Parts desk", phone=PARTS_DESK)
    retired = await database_sync_to_async(TransferNumber.objects.create)(
        label="Old line", phone="+13125550111", active=False
    )
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await asyncio.to_thread(on_the_board_sync, live.call)
        url = take_over_url(live.call)
        # A number typed into the request, or one the shop switched off, is never dialled.
        refused = [
            await post(advisor, url, {"action": "transfer", "number": "+19005550100"}, **JSON),
            await post(advisor, url, {"action": "transfer", "transfer_number": "+19005550100"}, **JSON),
            await post(advisor, url, {"action": "transfer", "transfer_number": retired.pk}, **JSON),
        ]
        answer = await post(advisor, url, {"action": "transfer", "transfer_number": parts.pk}, **JSON)
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, live.call), within=8)
    finally:
        await phone.hang_up()

    assert [(r.status_code, r.json()["message"]) for r in refused] == [
        (409, "Choose a number from the shop's transfer list.")
    ] * 3
    assert answer.status_code == 200
    [transfer] = call_updates(fake_twilio, live.call)
    assert f"<Number>{PARTS_DESK}</Number>" in transfer.value("Twiml")
    assert await database_sync_to_async(list)(CallControl.objects.values_list("action", "number")) == [
        ("transfer", PARTS_DESK)
    ]


async def test_a_call_that_ended_gets_a_clear_message(shop, customer, fake_twilio):
    advisor = await database_sync_to_async(staff_client)("advisor", phone=MY_PHONE)
    call = await database_sync_to_async(Call.objects.create)(
        call_sid="CA" + "8" * 32, from_number=customer.phone, status=Call.Status.COMPLETED
    )

    board = await post(advisor, take_over_url(call), {"action": "say", "text": "Hello?"}, **JSON)
    page = await post(advisor, take_over_url(call), {"action": "end_call"}, follow=True)

    assert (board.status_code, board.json()["message"]) == (409, "This call has ended; nothing was sent.")
    assert page.status_code == 200
    assert "This call has ended; nothing was sent." in page.content.decode()
    assert not fake_twilio.requests
    assert not await database_sync_to_async(CallControl.objects.exists)()


async def test_staff_without_the_permission_see_no_buttons_and_are_refused(live, fake_twilio):
    watcher = await database_sync_to_async(staff_client)("watcher", take_over=False, phone=MY_PHONE)
    advisor = await database_sync_to_async(staff_client)("advisor", phone=MY_PHONE)
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await asyncio.to_thread(on_the_board_sync, live.call)
        pages = [reverse("admin:voice_call_live"), reverse("admin:voice_call_change", args=[live.call.pk])]
        theirs = [(await database_sync_to_async(watcher.get)(p)).content.decode() for p in pages]
        ours = [(await database_sync_to_async(advisor.get)(p)).content.decode() for p in pages]
        refused = [
            await post(watcher, take_over_url(live.call), {"action": action}, **JSON)
            for action in ("transfer_to_me", "end_call")
        ]
        await asyncio.sleep(0.5)
    finally:
        await phone.hang_up()

    for html in theirs:
        assert "Transfer to me" not in html and "End call" not in html
    for html in ours:
        assert "Transfer to me" in html and "End call" in html
    assert [r.status_code for r in refused] == [403, 403]
    assert not call_updates(fake_twilio, live.call)
    assert not await database_sync_to_async(CallControl.objects.exists)()


async def test_a_channel_layer_that_hangs_gets_a_clear_message_within_seconds(shop, customer, settings):
    """Redis for the channel layer stops answering (connections hang): the take-over is refused within
    seconds with a sentence, instead of holding the advisor's request (and a web worker) for ever."""
    real = urllib.parse.urlsplit(settings.REDIS_URL)
    proxy = TcpProxy(real.hostname or "127.0.0.1", real.port or 6379)
    layer = dict(settings.CHANNEL_LAYERS["default"])
    url = f"redis://{proxy.address}{real.path or '/0'}"
    layer["CONFIG"] = {**layer["CONFIG"], "hosts": [{"address": url, "socket_connect_timeout": 2}]}
    settings.CHANNEL_LAYERS = {"default": layer}
    proxy.cut("blackhole")
    advisor = await database_sync_to_async(staff_client)("advisor", phone=MY_PHONE)
    call = await database_sync_to_async(Call.objects.create)(
        call_sid="CA" + "6" * 32, from_number=customer.phone
    )
    await live_call_register({"call_id": call.pk})  # the registry's Redis still answers
    try:
        started = time.monotonic()
        board = await asyncio.wait_for(
            post(advisor, take_over_url(call), {"action": "transfer_to_me"}, **JSON), timeout=15
        )
        took = time.monotonic() - started
    finally:
        await live_call_unregister(call.pk)
        proxy.close()

    assert (board.status_code, board.json()["message"]) == (409, "The call could not be reached; try again.")
    assert took < 3.5
    assert not await database_sync_to_async(CallControl.objects.exists)()
