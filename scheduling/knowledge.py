"""The shop's answers to common questions (loaners, payment, towing, directions...), as the agent gets
them. Read fresh at the start of every call: one small indexed query, so an answer edited in the
admin is what the very next call hears, with no cache to go stale."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from scheduling.formatting import say_date
from scheduling.models import BusinessHours, Closure, ShopAnswer

# What the instructions may spend on shop knowledge (about 1,500 tokens): enough for ~25 typical
# answers, small enough to keep every turn's prompt short on both engines.
KNOWLEDGE_BUDGET_CHARS = 6000


@dataclass(frozen=True)
class ShopKnowledge:
    answers: list[tuple[str, str]] = field(default_factory=list)  # (topic, answer), in the shop's order
    left_out: list[str] = field(default_factory=list)  # topics past the budget


def shop_knowledge_for_agent(*, budget: int = KNOWLEDGE_BUDGET_CHARS) -> ShopKnowledge:
    """The active answers in the advisors' order, as many as fit in `budget` characters; the topics
    that did not fit are named so the admin can warn about them."""
    answers: list[tuple[str, str]] = []
    left_out: list[str] = []
    used = 0
    for topic, answer in ShopAnswer.objects.filter(active=True).values_list("topic", "answer"):
        topic, answer = " ".join(topic.split()), " ".join(answer.split())
        size = len(topic) + len(answer) + 4
        if left_out or used + size > budget:
            left_out.append(topic)
            continue
        answers.append((topic, answer))
        used += size
    return ShopKnowledge(answers=answers, left_out=left_out)


CLOSURES_AHEAD_DAYS = 30


def _clock(moment: time) -> str:
    return moment.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")


def opening_hours_lines(*, today: date) -> list[str]:
    """The weekly hours ("Monday 7:30 AM to 6 PM") and the closures of the coming month, as short lines
    for the agent's instructions, so "what time do you close?" needs no tool call."""
    days: dict[int, list[str]] = {}
    for weekday, opens, closes in BusinessHours.objects.values_list("weekday", "opens", "closes"):
        days.setdefault(weekday, []).append(f"{_clock(opens)} to {_clock(closes)}")
    names = BusinessHours.Weekday.labels
    week = "; ".join(
        f"{names[d].title()} {' and '.join(days[d]) if d in days else 'closed'}" for d in range(7)
    )
    lines = [f"Opening hours: {week}."]
    closures = Closure.objects.filter(date__gte=today, date__lte=today + timedelta(days=CLOSURES_AHEAD_DAYS))
    for closure in closures:
        span = "all day" if closure.is_full_day else f"{_clock(closure.starts)} to {_clock(closure.ends)}"
        reason = f" ({closure.reason})" if closure.reason else ""
        lines.append(f"Closed {say_date(closure.date)} {span}{reason}.")
    return lines
