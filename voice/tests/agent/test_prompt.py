from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from voice.agent.prompt import CallerContext, greeting, instructions

CHICAGO = ZoneInfo("America/Chicago")


def test_it_discloses_automation_and_recording_in_the_greeting():
    text = greeting(shop_name="Lakeside Auto Service")
    assert text.startswith("Thanks for calling Lakeside Auto Service.")
    assert "automated assistant" in text and "may be recorded" in text


def test_it_greets_a_known_caller_by_first_name():
    text = greeting(shop_name="Lakeside", caller=CallerContext(name="Dana Whitfield", customer_id=1))
    assert text.startswith("Hi Dana, thanks for calling Lakeside.")


def test_it_tells_the_model_who_is_calling_and_what_they_have():
    caller = CallerContext(
        phone="+13125550147",
        customer_id=7,
        name="Dana Whitfield",
        vehicles=["2019 Honda Civic (vehicle_id 3)"],
        upcoming=["appointment 12: oil change on Monday, November 23 at 9 AM"],
    )
    text = instructions(
        shop_name="Lakeside",
        zone=CHICAGO,
        now=datetime(2026, 11, 22, 18, tzinfo=UTC),
        services=["oil_change"],
        caller=caller,
        transfer_available=False,
    )
    assert "Sunday, November 22 at 12 PM (America/Chicago)" in text
    assert "customer_id 7" in text and "2019 Honda Civic" in text and "appointment 12" in text
    assert "takes a message" in text


def test_without_answers_the_model_is_told_the_shop_wrote_none_and_still_not_to_invent():
    text = instructions(
        shop_name="Lakeside",
        zone=CHICAGO,
        now=datetime(2026, 11, 22, 18, tzinfo=UTC),
        services=["oil_change"],
        caller=CallerContext(),
        transfer_available=True,
        hours=["Opening hours: Monday 7:30 AM to 6 PM."],
    )
    assert "<shop_knowledge>\n(The shop has not written any answers yet.)\n</shop_knowledge>" in text
    assert "Opening hours: Monday 7:30 AM to 6 PM." in text
    assert "Never invent a policy, a price or a promise." in " ".join(text.split())
