"""Two web processes on one Redis channel layer: the board in one shows a call held by the other, and a
take-over sent from one (the admin endpoint, as an advisor's click) reaches the call in the other."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from tests.live_board import Board, staff_cookie
from tests.test_call_control import call_updates, greeted_call, web  # noqa: F401  (the second process)
from tests.test_take_over import MY_PHONE, staff_client
from voice.agent.control import TRANSFERRING

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_take_over_from_one_process_reaches_a_call_in_the_other(
    web,  # noqa: F811
    customer,
    fake_deepgram,
    fake_twilio,
):
    board, _ = await Board.open(await staff_cookie("watcher"))
    advisor = await database_sync_to_async(staff_client)("advisor", phone=MY_PHONE)
    call, phone = await greeted_call(web, customer, fake_deepgram)
    try:
        shown = await board.wait_for(
            lambda e: e.get("kind") == "open" and e["call"]["call_id"] == call.pk,
            what="the other process's call",
        )
        assert shown["call"]["customer"] == customer.name
        answer = await database_sync_to_async(advisor.post)(
            reverse("admin:voice_call_take_over", args=[call.pk]),
            {"action": "transfer_to_me"},
            HTTP_ACCEPT="application/json",
        )
        assert answer.status_code == 200, answer.content
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert phone.heard(TRANSFERRING)
    [transfer] = call_updates(fake_twilio, call)
    assert f"<Number>{MY_PHONE}</Number>" in transfer.value("Twiml")
    await board.wait_for(lambda e: e.get("kind") == "end" and e["call_id"] == call.pk, what="the call's end")
    await board.close()
