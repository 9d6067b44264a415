"""Demo calls and callback requests, so Today and the call pages have something real on first run.

Calls the AI handled in the last hours (transcripts, tool calls, outcomes) and messages it took (one
urgent). Written as rows, as the call path would have left them. Idempotent: only when the database has
no call and no callback request at all, so an advisor's handling survives seeding again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm.models import Customer
from scheduling.models import Shop
from voice.models import Call, CallbackRequest, ToolCall, Turn


@dataclass(frozen=True)
class DemoCall:
    minutes_ago: int
    outcome: str
    turns: tuple[tuple[str, str], ...]  # (role, text)
    tool: tuple[str, dict, dict] | None = None  # name, arguments, result
    message: str = ""  # a callback request taken on this call
    urgent: bool = False


CALLS = (
    DemoCall(
        35,
        Call.Outcome.BOOKED,
        (
            ("agent", "Thanks for calling {shop}. This is the automated assistant; calls may be recorded."),
            ("caller", "Hi, I need an oil change tomorrow morning if you have anything."),
            ("agent", "I have 8:00 AM or 9:30 AM tomorrow. Which works?"),
            ("caller", "Nine thirty, please."),
            ("agent", "You're booked for an oil change tomorrow at 9:30 AM. See you then!"),
        ),
        ("check_availability", {"service_type": "oil_change", "time_of_day": "morning"}, {"success": True}),
    ),
    DemoCall(
        80,
        Call.Outcome.MESSAGE_TAKEN,
        (
            ("agent", "Thanks for calling {shop}. How can I help?"),
            ("caller", "My brakes started grinding on the highway. Can someone call me back today?"),
            ("agent", "I'll have a service advisor call you back as soon as possible."),
        ),
        message="Brakes grinding since this morning on the highway; wants a call back today.",
        urgent=True,
    ),
    DemoCall(
        150,
        Call.Outcome.INFORMATION,
        (
            ("agent", "Thanks for calling {shop}. How can I help?"),
            ("caller", "How much is a tire rotation?"),
            ("agent", "A tire rotation is $29.99 and takes about 30 minutes."),
        ),
        ("list_services", {}, {"success": True}),
    ),
    DemoCall(
        240,
        Call.Outcome.MESSAGE_TAKEN,
        (
            ("agent", "Thanks for calling {shop}. How can I help?"),
            ("caller", "I'd like a quote for a timing belt on my Accord."),
            ("agent", "I'll pass that on; an advisor will call you back with a quote."),
        ),
        message="Wants a quote for a timing belt replacement on a 2013 Honda Accord.",
    ),
)


def demo_desk_seed(*, shop: Shop, customers: list[Customer], now: datetime) -> tuple[int, int]:
    """Create the demo calls and callback requests if there are none; returns (calls, callbacks) made."""
    if Call.objects.exists() or CallbackRequest.objects.exists() or not customers:
        return 0, 0
    calls = callbacks = 0
    for number, spec in enumerate(CALLS):
        customer = customers[(number * 7) % len(customers)]
        started = now - timedelta(minutes=spec.minutes_ago)
        seconds = 40 + 25 * len(spec.turns)
        call = Call.objects.create(
            call_sid=f"CAdemo{number:026d}",
            from_number=customer.phone,
            to_number=shop.phone_number,
            customer=customer,
            status=Call.Status.COMPLETED,
            outcome=spec.outcome,
            engine="cascade",
            recording_consent=Call.RecordingConsent.DISCLOSED,
            started_at=started,
            ended_at=started + timedelta(seconds=seconds),
            duration_seconds=seconds,
        )
        calls += 1
        turns = [
            Turn.objects.create(
                call=call,
                seq=seq,
                role=role,
                text=text.format(shop=shop.name),
                started_at=started + timedelta(seconds=8 * seq),
                response_ms=780 if role == Turn.Role.AGENT else None,
            )
            for seq, (role, text) in enumerate(spec.turns, start=1)
        ]
        if spec.tool:
            name, arguments, result = spec.tool
            ToolCall.objects.create(
                call=call, turn=turns[1], name=name, arguments=arguments, result=result, duration_ms=14
            )
        if spec.message:
            request = CallbackRequest.objects.create(
                call=call,
                customer=customer,
                phone=customer.phone,
                name=customer.name,
                reason=spec.message,
                urgent=spec.urgent,
            )
            CallbackRequest.objects.filter(pk=request.pk).update(created_at=started + timedelta(seconds=60))
            callbacks += 1
    return calls, callbacks
