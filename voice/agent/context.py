"""What an engine knows before the first word: the shop, the caller, the greeting and the instructions.

Both engines (cascade and realtime) start a call with `agent_setup_for_call()`: it looks the caller up
BEFORE the first model call, so the greeting can use their name and the model gets their vehicles
(with vehicle_id) and upcoming appointments (with appointment_id) without spending a tool call.
Sync (database reads): async callers wrap it in `database_sync_to_async`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from crm.models import Customer
from crm.selectors import customer_find_by_phone, customer_summary
from scheduling.formatting import say_datetime
from scheduling.knowledge import opening_hours_lines, shop_knowledge_for_agent
from scheduling.models import ServiceType
from scheduling.shop import shop_get
from voice.agent.language import language_or_default
from voice.agent.lines import DEFAULT_LANGUAGE, line
from voice.agent.prompt import CallerContext, first_name, greeting, instructions
from voice.agent.purposes import call_purpose, purpose_opening
from voice.engines.base import CallContext
from voice.tools.context import ToolContext, tool_context_for_call


@dataclass(frozen=True)
class AgentSetup:
    """Everything an engine needs to open the conversation of one call."""

    shop_name: str
    zone: ZoneInfo
    caller: CallerContext
    greeting: str
    instructions: str
    tool_context: ToolContext
    transfer_number: str  # "" = no one takes transfers: take a message instead
    language: str = DEFAULT_LANGUAGE  # what the call starts in: the known customer's preferred language

    @property
    def transfer_available(self) -> bool:
        return bool(self.transfer_number)


def _vehicle_line(vehicle: dict) -> str:
    name = " ".join(str(part) for part in (vehicle["year"], vehicle["make"], vehicle["model"]) if part)
    return f"{name or 'vehicle'} (vehicle_id {vehicle['vehicle_id']})"


def _appointment_line(appointment: dict, zone: ZoneInfo, names: dict[str, str]) -> str:
    start = datetime.fromisoformat(appointment["start"])
    service = names.get(appointment["service_type"], appointment["service_type"])
    return (
        f"appointment_id {appointment['appointment_id']}: {service} on {say_datetime(start, zone)} "
        f"({appointment['status']})"
    )


def caller_context_load(
    *,
    phone: str,
    customer_id: int | None = None,
    now: datetime | None = None,
    purpose: str = "",
    is_test: bool = False,
) -> CallerContext:
    """Who is calling: the customer matched by `customer_id` or by the caller ID `phone`, with their
    vehicles and upcoming appointments as lines for the model. An unknown caller keeps just `phone`.
    `is_test`: a browser test call, whose test bookings count as upcoming (a real call's do not)."""
    caller_phone = phone if phone.startswith("+") else ""
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is None and caller_phone:
        customer = customer_find_by_phone(phone=caller_phone)
    if customer is None:
        return CallerContext(phone=caller_phone, purpose=purpose)
    zone = shop_get().zone
    summary = customer_summary(customer=customer, now=now or timezone.now(), zone=zone, include_test=is_test)
    names = dict(ServiceType.objects.values_list("code", "name"))
    return CallerContext(
        phone=caller_phone,
        customer_id=customer.pk,
        name=customer.name,
        vehicles=[_vehicle_line(v) for v in summary["vehicles"]],
        upcoming=[_appointment_line(a, zone, names) for a in summary["upcoming_appointments"]],
        purpose=purpose,
        language=language_or_default(customer.preferred_language),
    )


def outbound_greeting(*, shop_name: str, caller: CallerContext) -> str:
    """The first words when we placed the call: who we are, automated, may be recorded."""
    name = first_name(caller.name)
    if name:
        return line("outbound_greeting_name", caller.language, name=name, shop_name=shop_name)
    return line("outbound_greeting", caller.language, shop_name=shop_name)


def agent_setup_for_call(*, call: CallContext, now: datetime | None = None) -> AgentSetup:
    """Look the caller up and build the greeting, the model's instructions and the call's ToolContext.

    The custom stream parameter `purpose` (e.g. an outbound reminder's reason) reaches the model.
    """
    now = now or timezone.now()
    shop = shop_get()
    caller = caller_context_load(
        phone=call.caller_number,
        customer_id=call.customer_id,
        now=now,
        purpose="" if call_purpose(call) is not None else call.custom_parameters.get("purpose", ""),
        is_test=call.is_test,
    )
    transfer_number = settings.TRANSFER_PHONE_NUMBER or ""
    services = [
        f"{code} ({name})"
        for code, name in ServiceType.objects.filter(active=True, bookable_by_ai=True)
        .order_by("name")
        .values_list("code", "name")
    ]
    text = instructions(
        shop_name=shop.name,
        zone=shop.zone,
        now=now,
        services=services,
        caller=caller,
        transfer_available=bool(transfer_number),
        # Shop knowledge goes into the instructions rather than behind a get_shop_info tool: the
        # answers are few and short (bounded by KNOWLEDGE_BUDGET_CHARS), so the model sees every one
        # on every turn, answers "do you have loaners?" without a tool round trip (no hold line, no
        # extra model call), and is less tempted to improvise than when it must first think of
        # asking. Read here, per call, with no cache: an edit in the admin reaches the next call.
        knowledge=shop_knowledge_for_agent().answers,
        hours=opening_hours_lines(today=now.astimezone(shop.zone).date()),
    )
    if caller.customer_id and caller.phone:
        # instructions() names a matched customer but not the number; tools such as
        # schedule_appointment(customer_phone=...) need it.
        text += f"\nThe caller is calling from {caller.phone}.\n"
    special = purpose_opening(call)  # e.g. a reminder call's (registered by reminders)
    if special is not None:
        opening = special.greeting
        text += "\n" + special.instructions + "\n"
    elif call.direction == "outbound":
        opening = outbound_greeting(shop_name=shop.name, caller=caller)
    else:
        opening = greeting(
            shop_name=shop.name,
            extra=shop.greeting,
            caller=caller,
            language=caller.language,
            # Asked only where an answer means something: a call that is never recorded (a browser
            # test call) has no recording to agree to.
            ask_recording=call.can_record and shop.recording_enabled and shop.recording_consent_required,
        )
    return AgentSetup(
        shop_name=shop.name,
        zone=shop.zone,
        caller=caller,
        greeting=opening,
        instructions=text,
        tool_context=tool_context_for_call(
            call_id=call.call_id,
            caller_phone=caller.phone,
            caller_customer_id=caller.customer_id,
            is_test=call.is_test,
        ),
        transfer_number=transfer_number,
        language=caller.language,
    )
