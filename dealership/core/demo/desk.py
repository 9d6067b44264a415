"""Demo calls and callback requests, so Today and the call pages have something real on first run.

Calls the AI handled in the last hours (transcripts, tool calls, outcomes, the summary the summary task
would have written) and messages it took (one urgent). Written as rows, as the call path would have left
them: the booking call books a real appointment through the booking service (channel AI phone, linked
to the call), so what the agent says matches the agenda. Idempotent: only when the database has no call
and no callback request at all, so an advisor's handling survives seeding again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crm.models import Customer
from dealership.core.display import shop_time
from dealership.core.errors import ApplicationError
from scheduling.models import Appointment, Shop
from scheduling.selectors import availability_find
from scheduling.services import appointment_book
from voice.models import Call, CallbackRequest, ToolCall, Turn

BOOKED_SERVICE = "oil_change"
BOOKED_TIME = (9, 30)  # the caller's pick among the morning slots offered


@dataclass(frozen=True)
class DemoCall:
    minutes_ago: int
    outcome: str
    turns: tuple[tuple[str, str], ...]  # (role, text); {shop}, {day}, {first}, {chosen} filled in
    summary: str
    reason: str
    service: str
    urgency: str
    sentiment: str
    tools: tuple[tuple[str, dict, dict], ...] = field(default=())  # name, arguments, result
    message: str = ""  # a callback request taken on this call
    urgent: bool = False
    follow_up: str = ""  # why a person must act (follow_up_needed when set)
    books: bool = False  # books BOOKED_SERVICE at the slot offered


CALLS = (
    DemoCall(
        35,
        Call.Outcome.BOOKED,
        (
            ("agent", "Thanks for calling {shop}. This is the automated assistant; calls may be recorded."),
            ("caller", "Hi, I need an oil change tomorrow morning if you have anything."),
            ("agent", "I have {first} or {chosen} {day}. Which works?"),
            ("caller", "{chosen}, please."),
            ("agent", "You're booked for an oil change {day} at {chosen}. See you then!"),
        ),
        summary="The caller asked for an oil change the next morning. The assistant booked one {day} at "
        "{chosen}.",
        reason="Oil change",
        service="oil change",
        urgency=Call.Urgency.ROUTINE,
        sentiment=Call.Sentiment.POSITIVE,
        books=True,
    ),
    DemoCall(
        80,
        Call.Outcome.MESSAGE_TAKEN,
        (
            ("agent", "Thanks for calling {shop}. How can I help?"),
            ("caller", "My brakes started grinding on the highway. Can someone call me back today?"),
            ("agent", "I'll have a service advisor call you back as soon as possible."),
        ),
        summary="The caller's brakes started grinding on the highway this morning. They asked for a "
        "call back today.",
        reason="Brakes grinding",
        service="brake inspection",
        urgency=Call.Urgency.SOON,
        sentiment=Call.Sentiment.NEGATIVE,
        message="Brakes grinding since this morning on the highway; wants a call back today.",
        urgent=True,
        follow_up="Call back today about grinding brakes.",
    ),
    DemoCall(
        150,
        Call.Outcome.INFORMATION,
        (
            ("agent", "Thanks for calling {shop}. How can I help?"),
            ("caller", "How much is a tire rotation?"),
            ("agent", "A tire rotation is $29.99 and takes about 30 minutes."),
        ),
        summary="The caller asked the price of a tire rotation. The assistant quoted $29.99, about 30 "
        "minutes.",
        reason="Price of a tire rotation",
        service="tire rotation",
        urgency=Call.Urgency.ROUTINE,
        sentiment=Call.Sentiment.NEUTRAL,
        tools=(("list_services", {}, {"success": True}),),
    ),
    DemoCall(
        240,
        Call.Outcome.MESSAGE_TAKEN,
        (
            ("agent", "Thanks for calling {shop}. How can I help?"),
            ("caller", "I'd like a quote for a timing belt on my Accord."),
            ("agent", "I'll pass that on; an advisor will call you back with a quote."),
        ),
        summary="The caller wants a quote for a timing belt on a 2013 Honda Accord. An advisor is to "
        "call back with a price.",
        reason="Quote for a timing belt",
        service="timing belt replacement",
        urgency=Call.Urgency.ROUTINE,
        sentiment=Call.Sentiment.NEUTRAL,
        message="Wants a quote for a timing belt replacement on a 2013 Honda Accord.",
        follow_up="Call back with a timing belt quote.",
    ),
)


@dataclass(frozen=True)
class _Offer:
    first: datetime
    chosen: datetime
    day: str  # "tomorrow", or the weekday when tomorrow is closed


def _offer(shop: Shop, now: datetime) -> _Offer | None:
    """Two morning slots on the first open day from tomorrow; the caller takes the 9:30 one if offered."""
    zone = shop.zone
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    same_day: list[datetime] = []
    for ahead in range(7):
        day = tomorrow + timedelta(days=ahead)
        try:
            slots = availability_find(
                service_code=BOOKED_SERVICE, preferred_date=day, limit=24, for_ai=True, now=now
            ).slots
        except ApplicationError:  # closed that day (Sunday, a holiday)
            continue
        same_day = [s for s in slots if s.astimezone(zone).date() == day]
        if same_day:
            break
    if not same_day:
        return None
    chosen = next(
        (s for s in same_day if (s.astimezone(zone).hour, s.astimezone(zone).minute) == BOOKED_TIME),
        same_day[-1],
    )
    first = same_day[0] if same_day[0] != chosen else same_day[min(1, len(same_day) - 1)]
    return _Offer(first, chosen, "tomorrow" if day == tomorrow else f"on {day:%A}")


def demo_desk_seed(*, shop: Shop, customers: list[Customer], now: datetime) -> tuple[int, int]:
    """Create the demo calls and callback requests if there are none; returns (calls, callbacks) made."""
    if Call.objects.exists() or CallbackRequest.objects.exists() or not customers:
        return 0, 0
    offer = _offer(shop, now)
    calls = callbacks = 0
    for number, spec in enumerate(CALLS):
        if spec.books and offer is None:
            continue  # nothing bookable (a long closure): a booking call would say what is not true
        customer = customers[(number * 7) % len(customers)]
        vehicle = customer.vehicles.order_by("pk").first()
        started = now - timedelta(minutes=spec.minutes_ago)
        seconds = 40 + 25 * len(spec.turns)
        words = {"shop": shop.name}
        if offer is not None:
            words |= {"first": shop_time(offer.first), "chosen": shop_time(offer.chosen), "day": offer.day}
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
            summary=spec.summary.format(**words),
            reason_for_calling=spec.reason,
            vehicle_mentioned=str(vehicle) if vehicle and spec.books else _vehicle_in(spec),
            service_wanted=spec.service,
            urgency=spec.urgency,
            sentiment=spec.sentiment,
            follow_up_needed=bool(spec.follow_up),
            follow_up_reason=spec.follow_up,
            summarized_at=started + timedelta(seconds=seconds + 20),
            language="en",
        )
        calls += 1
        turns = [
            Turn.objects.create(
                call=call,
                seq=seq,
                role=role,
                text=text.format(**words),
                started_at=started + timedelta(seconds=8 * seq),
                response_ms=780 if role == Turn.Role.AGENT else None,
            )
            for seq, (role, text) in enumerate(spec.turns, start=1)
        ]
        tools = list(spec.tools)
        if spec.books and offer is not None:
            tools = _booking_tools(call, customer=customer, vehicle=vehicle, offer=offer, now=started)
            if not tools:
                continue
        for index, (name, arguments, result) in enumerate(tools):
            ToolCall.objects.create(
                call=call,
                turn=turns[1 + 2 * index] if 1 + 2 * index < len(turns) else turns[-1],
                name=name,
                arguments=arguments,
                result=result,
                duration_ms=14,
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


def _vehicle_in(spec: DemoCall) -> str:
    return "2013 Honda Accord" if "Accord" in spec.message else ""


def _booking_tools(call: Call, *, customer: Customer, vehicle, offer: _Offer, now: datetime) -> list:
    """Book the slot the caller took, as schedule_appointment would; the tool calls it leaves."""
    zone = offer.chosen.tzinfo
    try:
        appointment = appointment_book(
            customer=customer,
            service_code=BOOKED_SERVICE,
            start=offer.chosen,
            channel=Appointment.Channel.AI_PHONE,
            vehicle=vehicle,
            notes="Asked for the first morning slot.",
            call_id=call.pk,
            now=now,
        )
    except ApplicationError:  # the slot filled up meanwhile: the call stays without tool calls
        return []
    start = appointment.start.astimezone(zone).isoformat()
    return [
        (
            "check_availability",
            {"service_type": BOOKED_SERVICE, "time_of_day": "morning"},
            {"success": True, "available": True, "slots": [offer.first.isoformat(), start]},
        ),
        (
            "schedule_appointment",
            {
                "customer_id": customer.pk,
                "service_type": BOOKED_SERVICE,
                "datetime": start,
                **({"vehicle_id": vehicle.pk} if vehicle else {}),
            },
            {"success": True, "appointment_id": appointment.pk, "start": start},
        ),
    ]
