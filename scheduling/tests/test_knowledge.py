"""What the agent is given of the shop's knowledge: the active answers in the advisors' order, within
a fixed budget, and the shop's hours and coming closures."""

from datetime import date, time

import pytest

from scheduling.knowledge import KNOWLEDGE_BUDGET_CHARS, opening_hours_lines, shop_knowledge_for_agent
from scheduling.models import BusinessHours, Closure, ShopAnswer

pytestmark = pytest.mark.django_db


def test_it_gives_only_active_answers_in_the_advisors_order():
    ShopAnswer.objects.create(topic="Towing", answer="Northside Towing.", ordering=20)
    ShopAnswer.objects.create(topic="Loaners", answer="A shuttle,\n  no loaners.", ordering=10)
    ShopAnswer.objects.create(topic="Financing", answer="Ask us.", active=False, ordering=5)

    knowledge = shop_knowledge_for_agent()

    assert knowledge.answers == [("Loaners", "A shuttle, no loaners."), ("Towing", "Northside Towing.")]
    assert knowledge.left_out == []


def test_it_stops_at_the_budget_and_names_what_it_left_out():
    for n in range(20):
        ShopAnswer.objects.create(topic=f"Topic {n:02}", answer="x" * 590, ordering=n)

    knowledge = shop_knowledge_for_agent()

    used = sum(len(topic) + len(answer) + 4 for topic, answer in knowledge.answers)
    assert used <= KNOWLEDGE_BUDGET_CHARS
    assert [t for t, _ in knowledge.answers] == [f"Topic {n:02}" for n in range(len(knowledge.answers))]
    assert knowledge.left_out == [f"Topic {n:02}" for n in range(len(knowledge.answers), 20)]


def test_it_reads_the_hours_and_the_coming_closures(shop):
    BusinessHours.objects.all().delete()
    BusinessHours.objects.create(weekday=0, opens=time(7, 30), closes=time(12))
    BusinessHours.objects.create(weekday=0, opens=time(13), closes=time(18))
    BusinessHours.objects.create(weekday=5, opens=time(8), closes=time(13))
    Closure.objects.create(date=date(2026, 11, 26), reason="Thanksgiving")
    Closure.objects.create(date=date(2027, 3, 1), reason="Too far ahead")

    lines = opening_hours_lines(today=date(2026, 11, 22))

    assert lines[0].startswith("Opening hours: Monday 7:30 AM to 12 PM and 1 PM to 6 PM; Tuesday closed;")
    assert "Saturday 8 AM to 1 PM; Sunday closed." in lines[0]
    assert lines[1:] == ["Closed Thursday, November 26 all day (Thanksgiving)."]
