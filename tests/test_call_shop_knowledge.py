"""Shop knowledge on a live call: the answers advisors keep in the admin reach the model's
instructions, an edit reaches the very next call, a switched-off answer never does, and a question
the shop has no answer to gets "I don't know, I can take a message" rather than an invented policy.

The cascade's model is FakeOpenAI driven by `knowledgeable_brain`: it may only use what the request
it was sent contains (the <shop_knowledge> block of its instructions), like the real model is told to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from channels.db import database_sync_to_async

from scheduling.models import ShopAnswer
from tests.calls import FakePhone, caller_says, greeted, inbound_call, last_message, spoken
from tests.fakes.fake_openai import TextReply
from tests.fakes.fake_realtime import Say
from tests.realtime_calls import Brain, finished, said
from tests.realtime_calls import caller_says as realtime_caller_says
from tests.realtime_calls import greeted as realtime_greeted

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

LOANERS = "No loaner cars; our free shuttle runs within 5 miles, weekdays 8 to 4."
EDITED = "Two loaner cars now, first come first served; ask when you book."
DONT_KNOW = "I don't know that, but I can take a message for a service advisor."
BLOCK = re.compile(r"<shop_knowledge>\n(.*?)\n</shop_knowledge>", re.S)


def knowledge_in(instructions: str) -> dict[str, str]:
    """topic (lower case) -> answer, as the instructions give them to the model."""
    block = BLOCK.search(instructions)
    assert block, "no <shop_knowledge> block in the instructions"
    pairs = (line[2:].split(": ", 1) for line in block.group(1).splitlines() if line.startswith("- "))
    return {topic.lower(): answer for topic, answer in pairs}


def knowledgeable_brain(request: dict[str, Any]) -> TextReply:
    """Answer from the request's own shop knowledge when a topic word is in the question, else say
    plainly it doesn't know and offer a message (what the instructions tell the real model)."""
    known = knowledge_in(request["messages"][0]["content"])
    question = last_message(request)["content"].lower()
    for topic, answer in known.items():
        if any(word in question for word in re.findall(r"[a-z]{5,}", topic)):
            return TextReply(answer)
    return TextReply(DONT_KNOW)


def answer(topic: str, text: str, *, active: bool = True) -> ShopAnswer:
    return ShopAnswer.objects.create(topic=topic, answer=text, active=active)


async def ask(call, question: str, fake_deepgram, fake_openai, *, expect: str) -> dict[str, Any]:
    """One call: the caller asks `question`; returns the model's request once `expect` was heard."""
    fake_openai.script = knowledgeable_brain
    before = len(fake_openai.requests)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, question)
        await phone.wait_for(lambda: any(expect in t for t in spoken(fake_deepgram)), what=expect)
        await phone.played_out(next(t for t in spoken(fake_deepgram) if expect in t))
    finally:
        await phone.hang_up()
    return fake_openai.requests[before]


@pytest.mark.usefixtures("cascade_live")
class TestOnTheCascade:
    async def test_a_caller_asking_about_loaners_hears_the_shops_own_answer(
        self, customer, fake_deepgram, fake_openai
    ):
        await database_sync_to_async(answer)("Loaner cars and shuttle", LOANERS)
        await database_sync_to_async(answer)("Payment methods", "Cards, Apple Pay and cash; no checks.")
        call = await database_sync_to_async(inbound_call)(from_number=customer.phone)

        request = await ask(call, "Do you have loaner cars?", fake_deepgram, fake_openai, expect="shuttle")

        assert knowledge_in(request["messages"][0]["content"])["loaner cars and shuttle"] == LOANERS
        assert any("free shuttle runs within 5 miles" in t for t in spoken(fake_deepgram))

    async def test_an_edit_in_the_admin_reaches_the_next_call_and_a_switched_off_answer_never_does(
        self, customer, fake_deepgram, fake_openai
    ):
        loaners = await database_sync_to_async(answer)("Loaner cars and shuttle", LOANERS)
        await database_sync_to_async(answer)("Towing", "Northside Towing brings cars to us.", active=False)
        first = await database_sync_to_async(inbound_call)(
            from_number=customer.phone, call_sid="CA" + "1" * 32
        )
        await ask(first, "Do you have loaner cars?", fake_deepgram, fake_openai, expect="shuttle")

        loaners.answer = EDITED
        await database_sync_to_async(loaners.save)()
        second = await database_sync_to_async(inbound_call)(
            from_number=customer.phone, call_sid="CA" + "2" * 32
        )
        request = await ask(second, "Any loaner cars?", fake_deepgram, fake_openai, expect="first come")

        known = knowledge_in(request["messages"][0]["content"])
        assert known["loaner cars and shuttle"] == EDITED
        assert "towing" not in known and "Northside" not in request["messages"][0]["content"]

    async def test_a_question_the_shop_has_no_answer_to_gets_i_dont_know_and_a_message_offer(
        self, customer, fake_deepgram, fake_openai
    ):
        await database_sync_to_async(answer)("Loaner cars and shuttle", LOANERS)
        call = await database_sync_to_async(inbound_call)(from_number=customer.phone)

        request = await ask(
            call, "Do you give a military discount?", fake_deepgram, fake_openai, expect="take a message"
        )

        instructions = " ".join(request["messages"][0]["content"].split())
        assert "say plainly that you don't know and offer to take a message" in instructions
        assert "Never invent a policy, a price or a promise." in instructions
        assert any(DONT_KNOW.split(",")[0] in t for t in spoken(fake_deepgram))


@pytest.mark.usefixtures("realtime_live")
async def test_the_realtime_model_answers_from_the_same_answers_and_never_a_switched_off_one(
    call, fake_realtime
):
    await database_sync_to_async(answer)("Loaner cars and shuttle", LOANERS)
    await database_sync_to_async(answer)("Towing", "Northside Towing brings cars to us.", active=False)

    def from_instructions(session, event):
        known = knowledge_in(session.session_config["instructions"])
        return Say(known.get("loaner cars and shuttle", DONT_KNOW))

    fake_realtime.on_response_create = Brain(from_instructions)
    phone = await FakePhone.dial(call)
    try:
        await realtime_greeted(phone, fake_realtime)
        await realtime_caller_says(fake_realtime, "Do you have loaner cars?")
        await finished(fake_realtime, 2)
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    assert knowledge_in(fake_realtime.session.session_config["instructions"]) == {
        "loaner cars and shuttle": LOANERS
    }
    assert said(fake_realtime.session)[-1] == LOANERS
