"""Placing and ending browser test calls, and what the test-call page reads."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from crm.models import Customer
from crm.phones import mask_phone, try_normalize_phone
from crm.selectors import customer_find_by_phone, customer_search
from dealership.core.errors import ApplicationError
from scheduling.shop import shop_get
from voice.models import Call, ToolCall, Turn

logger = logging.getLogger(__name__)

PERMISSION = "voice.place_test_call"

# The provider keys each engine needs (settings names, as in the README).
ENGINE_KEYS: dict[str, tuple[str, ...]] = {
    "cascade": ("DEEPGRAM_API_KEY", "OPENAI_API_KEY"),
    "realtime": ("OPENAI_API_KEY",),
}
ENGINE_LABELS = {"cascade": "Cascade (Deepgram + OpenAI)", "realtime": "OpenAI Realtime"}
# A test call the page placed but never connected (the tab was closed) is cancelled after this long.
UNCONNECTED_AFTER = timedelta(minutes=10)
# "A new number": 555-0100 to 555-0199 are set aside for fiction in North America, so a made-up caller
# never rings or texts anyone.
_FICTIONAL_PREFIX = "+1312555"
CUSTOMER_CHOICES = 25


@dataclass(frozen=True, slots=True)
class EngineChoice:
    name: str
    label: str
    missing_keys: tuple[str, ...]  # settings to set before this engine can take a call

    @property
    def ready(self) -> bool:
        return not self.missing_keys


def browser_call_engines() -> list[EngineChoice]:
    """Each engine the page offers, with the provider keys it still lacks."""
    return [
        EngineChoice(
            name=name,
            label=ENGINE_LABELS[name],
            missing_keys=tuple(key for key in keys if not getattr(settings, key, "")),
        )
        for name, keys in ENGINE_KEYS.items()
    ]


def browser_call_customers(*, query: str) -> QuerySet[Customer]:
    """Customers to call as: those matching `query` (name, phone, VIN, plate), else the latest ones."""
    found = customer_search(query=query, region=shop_get().phone_region) if query.strip() else None
    customers = found if found is not None else Customer.objects.all()
    return customers.exclude(phone="").order_by("-updated_at", "-pk")[:CUSTOMER_CHOICES]


def _new_number() -> str:
    """A fictional number that no customer has."""
    for _ in range(20):
        number = f"{_FICTIONAL_PREFIX}{secrets.randbelow(100) + 100:04d}"
        if customer_find_by_phone(phone=number) is None:
            return number
    raise ApplicationError("Every test number is taken by a customer; type a number to call from.")


def browser_call_place(*, engine: str, customer_id: int | None = None, phone: str = "") -> Call:
    """Record a test call from the back office, calling as customer `customer_id`, or from `phone`
    (a new caller when empty), on `engine`. Its stream token is what the page presents on the test-call
    socket. ApplicationError with a sentence for the page when it cannot be placed."""
    choice = next((c for c in browser_call_engines() if c.name == engine), None)
    if choice is None:
        raise ApplicationError(f"Unknown engine {engine[:40]!r}; choose cascade or realtime.")
    if not choice.ready:
        keys = " and ".join(choice.missing_keys)
        raise ApplicationError(f"{choice.label} needs {keys}: set it before starting the server.")
    shop = shop_get()
    customer = None
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).exclude(phone="").first()
        if customer is None:
            raise ApplicationError("That customer is gone or has no phone number; pick another.")
        number = customer.phone
    elif phone.strip():
        number = try_normalize_phone(phone, region=shop.phone_region) or ""
        if not number:
            raise ApplicationError(f"'{phone.strip()[:30]}' is not a phone number.")
        customer = customer_find_by_phone(phone=number)
    else:
        number = _new_number()
    # Calls placed but never connected: nobody will ever stream them.
    Call.objects.test().filter(
        status=Call.Status.RINGING, created_at__lt=timezone.now() - UNCONNECTED_AFTER
    ).update(status=Call.Status.CANCELED, ended_at=timezone.now(), updated_at=timezone.now())
    call = Call.objects.create(
        call_sid="TC" + secrets.token_hex(16),
        direction=Call.Direction.INBOUND,
        from_number=number,
        to_number=shop.phone_number or settings.TWILIO_PHONE_NUMBER or "",
        customer=customer,
        engine=engine,
        status=Call.Status.RINGING,
        is_test=True,
    )
    logger.info("call=%s test call placed from %s on %s", call.call_sid, mask_phone(number), engine)
    return call


def browser_call_finish(*, call_id: int) -> None:
    """The page's socket closed: the test call is over (no Twilio status callback will say so)."""
    now = timezone.now()
    call = Call.objects.test().filter(pk=call_id).exclude(status__in=Call.FINAL_STATUSES).first()
    if call is None:
        return
    # Not through call_record_status: that counts the call in the shop's figures (metrics).
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.COMPLETED,
        ended_at=now,
        duration_seconds=max(0, round((now - (call.started_at or call.created_at)).total_seconds())),
        updated_at=now,
    )
    Call.objects.filter(pk=call.pk, outcome="").update(outcome=Call.Outcome.ABANDONED)


@dataclass(frozen=True, slots=True)
class CallNews:
    """What was recorded on a call since the page last looked."""

    turns: list[Turn]
    tool_calls: list[ToolCall]


def browser_call_news(*, call_id: int, after_seq: int, after_tool_id: int) -> CallNews:
    """Turns after `after_seq` and tool calls after `after_tool_id`, oldest first."""
    return CallNews(
        turns=list(Turn.objects.filter(call_id=call_id, seq__gt=after_seq).order_by("seq")[:50]),
        tool_calls=list(ToolCall.objects.filter(call_id=call_id, pk__gt=after_tool_id).order_by("pk")[:50]),
    )
