"""Weeks of the shop's past, so the owner's dashboard shows something real on first run: calls the AI
answered (outcomes, summaries, tool calls, per-turn latency, a few provider errors), the appointments it
booked and staff booked, closed by the advisors (arrived, completed with the invoice, no-show,
cancelled), the reminders before them with what came of each, and messages taken and handled.

Written as rows, as the call path and the advisors would have left them (bulk inserts: the same code
fills `bench/dashboard.py`'s 50,000 calls). Past days only, so nothing here takes capacity from the
bookable days. Idempotent: nothing is added when any history call (`CAhist…`) exists.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import models

from crm.models import Customer, Vehicle
from insights import rollup
from reminders.models import ConsentEvent, Reminder, ReminderAttempt
from scheduling.models import Appointment, AppointmentChange, Closure, ServiceType
from scheduling.shop import shop_get
from voice.models import Call, CallbackRequest, ToolCall, Turn

SID = "CAhist"
Outcome = Call.Outcome
Status = Appointment.Status
BATCH = 2_000

# (outcome, weight, asked for an appointment?)
OUTCOMES = [
    (Outcome.BOOKED, 30, True),
    (Outcome.INFORMATION, 22, False),
    (Outcome.MESSAGE_TAKEN, 14, False),
    (Outcome.RESCHEDULED, 8, False),
    (Outcome.CANCELLED, 5, False),
    (Outcome.TRANSFERRED, 8, False),
    (Outcome.ABANDONED, 9, False),
    (Outcome.INFORMATION, 4, True),  # asked for times, did not book
]
SAID = {
    Outcome.BOOKED: ("I need {service} sometime next week.", "Booked {service} for {when}."),
    Outcome.INFORMATION: ("How much is {service}?", "Asked the price of {service}; told the catalog price."),
    Outcome.MESSAGE_TAKEN: (
        "Can someone call me back about {service}?",
        "Wants a call back about {service}.",
    ),
    Outcome.RESCHEDULED: ("I have to move my appointment.", "Moved an existing appointment to a later day."),
    Outcome.CANCELLED: ("I need to cancel my appointment.", "Cancelled an upcoming appointment."),
    Outcome.TRANSFERRED: ("Can I talk to a person about my bill?", "Asked for a person about an invoice."),
    Outcome.ABANDONED: ("Hello? …", "The caller hung up before saying what they needed."),
}
ERRORS = ("Deepgram: connection closed (1011)", "OpenAI: HTTP 503, retried", "OpenAI: request timed out")


@dataclass(frozen=True)
class Scale:
    days: int = 28  # how far back, ending yesterday
    calls_per_day: tuple[int, int] = (7, 13)
    staff_per_day: tuple[int, int] = (3, 5)  # past appointments booked by the advisors
    seed: int = 28


@dataclass
class Made:
    calls: int = 0
    appointments: int = 0
    rows: dict[str, list] = field(default_factory=dict)


@contextmanager
def _timestamps_as_given(*fields: tuple[type[models.Model], str]) -> Iterator[None]:
    """History happened in the past: let bulk inserts keep the created_at / at values given, which
    auto_now_add would otherwise overwrite with now (only while this history is written)."""
    found = [model._meta.get_field(name) for model, name in fields]
    for model_field in found:
        model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field in found:
            model_field.auto_now_add = True


def _local(day: date, at: time, zone) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def _call_time(rng: random.Random) -> time:
    """Most calls in opening hours, some in the evening, a few before opening."""
    roll = rng.random()
    if roll < 0.72:
        hour = rng.randint(8, 17)
    elif roll < 0.92:
        hour = rng.randint(18, 21)
    else:
        hour = rng.choice((6, 7, 22))
    return time(hour, rng.randrange(0, 60))


def _latency(rng: random.Random) -> int:
    return int(min(rng.lognormvariate(6.6, 0.28), 4_000))  # median ~ 735 ms, p95 ~ 1,150 ms


def history_build(*, customers: list[Customer], now: datetime, scale: Scale = Scale()) -> tuple[int, int]:
    """Write `scale.days` days of history ending yesterday; returns (calls, appointments) written."""
    if not customers:
        return 0, 0
    shop = shop_get()
    zone = shop.zone
    rng = random.Random(scale.seed)
    services = list(ServiceType.objects.filter(active=True).order_by("code"))
    if not services:
        return 0, 0
    vehicles: dict[int, Vehicle] = {}
    for vehicle in Vehicle.objects.filter(customer__in=customers).order_by("pk"):
        vehicles.setdefault(vehicle.customer_id, vehicle)
    closed = set(Closure.objects.filter(starts__isnull=True).values_list("date", flat=True))
    today = now.astimezone(zone).date()
    plan = _Plan(rng=rng, zone=zone, services=services, customers=customers, vehicles=vehicles)
    for back in range(scale.days, 0, -1):
        day = today - timedelta(days=back)
        sunday = day.weekday() == 6
        low, high = (2, 4) if sunday else scale.calls_per_day
        for _ in range(rng.randint(low, high)):
            plan.call(day, today=today, closed=closed)
        if not sunday and day not in closed:
            for _ in range(rng.randint(*scale.staff_per_day)):
                plan.visit(day, channel=Appointment.Channel.STAFF, call_index=None)
    return plan.write(shop_phone=shop.phone_number)


@dataclass
class _Plan:
    """Rows to insert, built in memory first so they go to the database in a few bulk inserts."""

    rng: random.Random
    zone: object
    services: list[ServiceType]
    customers: list[Customer]
    vehicles: dict[int, Vehicle]
    calls: list[Call] = field(default_factory=list)
    turns: list[tuple[int, Turn]] = field(default_factory=list)  # (index of the call, turn)
    tools: list[tuple[int, ToolCall]] = field(default_factory=list)
    callbacks: list[tuple[int, CallbackRequest]] = field(default_factory=list)
    visits: list[tuple[int | None, Appointment]] = field(default_factory=list)

    def call(self, day: date, *, today: date, closed: set[date]) -> None:
        rng = self.rng
        outcomes, weights = zip(*[(o[::2], o[1]) for o in OUTCOMES], strict=True)
        outcome, asked = rng.choices(outcomes, weights=weights)[0]
        customer = rng.choice(self.customers)
        service = rng.choice(self.services)
        started = _local(day, _call_time(rng), self.zone)
        seconds = rng.randint(35, 240)
        index = len(self.calls)
        sid = f"{SID}{day:%y%m%d}{index:010d}{rng.randrange(16**6):06x}"
        asks, summary = SAID[outcome]
        visit_day = day + timedelta(days=rng.randint(1, 6))
        while visit_day.weekday() == 6 or visit_day in closed:
            visit_day += timedelta(days=1)
        booked = outcome == Outcome.BOOKED and visit_day < today
        self.calls.append(
            Call(
                call_sid=sid[:64],
                from_number=customer.phone,
                to_number="",
                customer=customer,
                status=Call.Status.COMPLETED,
                outcome=outcome,
                engine="cascade",
                recording_consent=Call.RecordingConsent.DISCLOSED,
                started_at=started,
                ended_at=started + timedelta(seconds=seconds),
                duration_seconds=seconds,
                created_at=started,
                summary=summary.format(service=service.name, when=f"{visit_day:%A %B} {visit_day.day}"),
                reason_for_calling=asks.format(service=service.name)[:300],
                service_wanted=service.name if outcome != Outcome.ABANDONED else "",
                urgency=Call.Urgency.SAFETY if "brake" in service.code and rng.random() < 0.3 else "routine",
                sentiment=rng.choice(("positive", "positive", "neutral", "negative")),
                follow_up_needed=outcome in (Outcome.MESSAGE_TAKEN, Outcome.TRANSFERRED),
                summarized_at=started + timedelta(seconds=seconds + 20),
                last_error=rng.choice(ERRORS) if rng.random() < 0.03 else "",
            )
        )
        for seq in range(1, 5):
            agent = seq % 2 == 1
            self.turns.append(
                (
                    index,
                    Turn(
                        seq=seq,
                        role=Turn.Role.AGENT if agent else Turn.Role.CALLER,
                        text="Thanks for calling; how can I help?"
                        if seq == 1
                        else asks.format(service=service.name),
                        started_at=started + timedelta(seconds=6 * seq),
                        response_ms=_latency(rng) if agent and seq > 1 else None,
                        stt_ms=None if agent else rng.randint(120, 320),
                    ),
                )
            )
        if asked:
            self.tools.append(
                (index, ToolCall(name="check_availability", arguments={"service_type": service.code}))
            )
        if booked:
            self.tools.append(
                (index, ToolCall(name="schedule_appointment", arguments={"service_type": service.code}))
            )
            self.visit(
                visit_day,
                channel=Appointment.Channel.AI_PHONE,
                call_index=index,
                service=service,
                customer=customer,
                booked_at=started,
            )
        if outcome == Outcome.MESSAGE_TAKEN:
            waited = timedelta(minutes=rng.randint(10, 600))
            self.callbacks.append(
                (
                    index,
                    CallbackRequest(
                        customer=customer,
                        phone=customer.phone,
                        name=customer.name,
                        reason=asks.format(service=service.name),
                        created_at=started + timedelta(seconds=seconds),
                        handled=True,
                        handled_at=started + timedelta(seconds=seconds) + waited,
                    ),
                )
            )

    def visit(
        self,
        day: date,
        *,
        channel: str,
        call_index: int | None,
        service: ServiceType | None = None,
        customer: Customer | None = None,
        booked_at: datetime | None = None,
    ) -> None:
        rng = self.rng
        service = service or rng.choice(self.services)
        customer = customer or rng.choice(self.customers)
        last = 15 if day.weekday() < 5 else 11
        start = _local(day, time(rng.randint(8, last), rng.choice((0, 30))), self.zone)
        self.visits.append(
            (
                call_index,
                Appointment(
                    customer=customer,
                    vehicle=self.vehicles.get(customer.pk),
                    service_type=service,
                    start=start,
                    end=start + timedelta(minutes=service.duration_minutes),
                    local_date=day,
                    duration_minutes=service.duration_minutes,
                    price_quoted=service.price,
                    channel=channel,
                    created_at=booked_at or start - timedelta(days=rng.randint(1, 9)),
                ),
            )
        )

    def write(self, *, shop_phone: str) -> tuple[int, int]:
        with _timestamps_as_given(
            (Call, "created_at"),
            (CallbackRequest, "created_at"),
            (Appointment, "created_at"),
            (AppointmentChange, "at"),
        ):
            for call in self.calls:
                call.to_number = shop_phone
            calls = Call.objects.bulk_create(self.calls, batch_size=BATCH)
            for rows in (self.turns, self.tools, self.callbacks):
                for index, row in rows:
                    row.call = calls[index]
            Turn.objects.bulk_create([t for _, t in self.turns], batch_size=BATCH)
            ToolCall.objects.bulk_create([t for _, t in self.tools], batch_size=BATCH)
            CallbackRequest.objects.bulk_create([c for _, c in self.callbacks], batch_size=BATCH)
            for index, visit in self.visits:
                visit.call = calls[index] if index is not None else None
            visits = Appointment.objects.bulk_create([v for _, v in self.visits], batch_size=BATCH)
            _close(visits, rng=self.rng, shop_phone=shop_phone)
            # Bulk inserts send no signals: the dashboard's kept days are computed again.
            rollup.forget()
        return len(calls), len(visits)


def _close(visits: list[Appointment], *, rng: random.Random, shop_phone: str) -> None:
    """The day before each visit a reminder (most of them), what came of it, and how the visit ended:
    completed with an invoice, no-show (less often when reminded), cancelled."""
    reminders: list[Reminder] = []
    attempts: list[ReminderAttempt] = []
    changes: list[AppointmentChange] = []
    consents: list[tuple[int, ConsentEvent]] = []  # (index of the reminder call it was heard on, event)
    reminder_calls: list[Call] = []
    for visit in visits:
        reminded, result = False, ""
        if rng.random() < 0.8:
            result = rng.choices(
                ("confirmed", "no_answer", "rescheduled", "cancelled", "opted_out", "answered"),
                weights=(55, 20, 6, 6, 3, 10),
            )[0]
            dialled = visit.start - timedelta(days=1, hours=rng.randint(0, 5))
            answered = result != "no_answer"
            reminded = True
            reminders.append(
                Reminder(
                    appointment=visit,
                    channel=Reminder.Channel.CALL,
                    status=Reminder.Status.DELIVERED,
                    status_reason="Answered, call ended" if answered else "Voicemail left",
                    calls_placed=1,
                    delivered_at=dialled + timedelta(minutes=2),
                )
            )
            reminder_calls.append(
                Call(
                    call_sid=f"{SID}R{visit.pk:012d}",
                    direction=Call.Direction.OUTBOUND,
                    from_number=shop_phone,
                    to_number=visit.customer.phone,
                    customer=visit.customer,
                    status=Call.Status.COMPLETED,
                    outcome=Outcome.INFORMATION,
                    started_at=dialled,
                    ended_at=dialled + timedelta(minutes=2),
                    duration_seconds=120,
                    answered_by="human" if answered else "machine_end_beep",
                    created_at=dialled,
                )
            )
            attempts.append(
                ReminderAttempt(
                    kind=ReminderAttempt.Kind.CALL,
                    started_at=dialled,
                    outcome=ReminderAttempt.Outcome.COMPLETED
                    if answered
                    else ReminderAttempt.Outcome.VOICEMAIL,
                    to_number=visit.customer.phone,
                    ended_at=dialled + timedelta(minutes=2),
                )
            )
            after = dialled + timedelta(minutes=1)
            if result == "confirmed":
                changes.append(
                    _change(visit, AppointmentChange.Kind.STATUS, after, "scheduled → confirmed (voice)")
                )
            elif result == "rescheduled":
                changes.append(
                    _change(visit, AppointmentChange.Kind.RESCHEDULED, after, "moved on the reminder call")
                )
            elif result == "opted_out":
                consents.append(
                    (
                        len(reminder_calls) - 1,
                        ConsentEvent(
                            customer=visit.customer,
                            phone=visit.customer.phone,
                            action=ConsentEvent.Action.OPT_OUT,
                            scope=ConsentEvent.Scope.CALLS,
                            source="voice_phrase",
                            detail="stop calling me",
                            at=after,
                        ),
                    )
                )
        if result == "cancelled" or (not reminded and rng.random() < 0.06):
            visit.status, visit.cancelled_at = Status.CANCELLED, visit.start - timedelta(hours=20)
            visit.cancel_reason = "Cancelled by the customer."
        elif rng.random() < (0.04 if reminded else 0.16):
            visit.status = Status.NO_SHOW
        else:
            visit.status = Status.COMPLETED
            factor = Decimal(rng.choice((100, 100, 100, 115, 140, 190, 260))) / 100
            visit.invoice_total = (visit.price_quoted * factor).quantize(Decimal("0.01"))
        if visit.status != Status.CANCELLED:
            label = "completed" if visit.status == Status.COMPLETED else "no-show"
            changes.append(_change(visit, AppointmentChange.Kind.STATUS, visit.end, f"arrived → {label}"))
    Appointment.objects.bulk_update(
        visits, ["status", "invoice_total", "cancelled_at", "cancel_reason"], batch_size=BATCH
    )
    made = Reminder.objects.bulk_create(reminders, batch_size=BATCH)
    placed = Call.objects.bulk_create(reminder_calls, batch_size=BATCH)
    for reminder, attempt, call in zip(made, attempts, placed, strict=True):
        attempt.reminder, attempt.call = reminder, call
    ReminderAttempt.objects.bulk_create(attempts, batch_size=BATCH)
    for index, consent in consents:
        consent.call = placed[index]
    ConsentEvent.objects.bulk_create([consent for _, consent in consents], batch_size=BATCH)
    AppointmentChange.objects.bulk_create(changes, batch_size=BATCH)


def _change(visit: Appointment, kind: str, at: datetime, detail: str) -> AppointmentChange:
    return AppointmentChange(appointment=visit, kind=kind, at=at, channel=visit.channel, detail=detail)


def demo_history_seed(*, customers: list[Customer], now: datetime) -> tuple[int, int]:
    """The demo's past four weeks, once: (calls, appointments) written, (0, 0) when already there."""
    if Call.objects.filter(call_sid__startswith=SID).exists():
        return 0, 0
    return history_build(customers=customers, now=now)
