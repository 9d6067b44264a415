"""Who is using the tools: a live call (with its caller ID and who has proved who they are) or the
HTTP tools API, which is trusted through its bearer key."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm.selectors import customer_find_by_phone
from scheduling.models import Appointment

AI_PHONE = Appointment.Channel.AI_PHONE.value
WEB = Appointment.Channel.WEB.value
PRIVACY_REFUSAL = (
    "For your privacy I need to verify who you are first: what's your date of birth or ZIP code?"
)
# An appointment number alone must not tell a stranger whose account it is (that would turn numbers
# into customer ids to guess at); the caller names the phone the booking is under, and verification
# goes through that number's account instead.
APPOINTMENT_PRIVACY_REFUSAL = (
    "For your privacy I need to find that booking under your account first: "
    "what's the phone number it was booked under?"
)
MAX_FAILED_VERIFICATIONS = 3  # per customer on one call
MAX_FAILED_VERIFICATIONS_PER_CALL = 5  # across customers, so one call cannot sweep many accounts


@dataclass
class ToolContext:
    """One conversation's tool state. Create one per call (or per HTTP request) and pass the same
    object to every tool of that conversation: verification sticks to it.

    channel: "ai_phone" for calls, "web" for the HTTP tools API (it is the booking's channel too).
    call_id: the voice.Call pk, stored on bookings made during the call.
    caller_phone: the caller ID in E.164 ("" when unknown or withheld).
    caller_customer_id: the customer the caller ID matched, trusted like a verified customer.
    verified_customer_ids: customers this call may act for beyond the caller-ID match: those the
        caller proved to be (verify_customer), others on the calling number, and those it created.
    """

    channel: str
    call_id: int | None = None
    caller_phone: str = ""
    caller_customer_id: int | None = None
    verified_customer_ids: set[int] = field(default_factory=set)
    failed_verifications: dict[int, int] = field(default_factory=dict)
    is_test: bool = False  # a test call from the back office: what it books is a test booking

    def __post_init__(self) -> None:
        if self.channel not in (AI_PHONE, WEB):
            raise ValueError(f"ToolContext channel must be {AI_PHONE!r} or {WEB!r}, not {self.channel!r}")

    @property
    def is_call(self) -> bool:
        return self.channel == AI_PHONE

    def trust(self, customer_id: int) -> None:
        self.verified_customer_ids.add(customer_id)

    def trusted_ids(self) -> set[int]:
        trusted = set(self.verified_customer_ids)
        if self.caller_customer_id is not None:
            trusted.add(self.caller_customer_id)
        return trusted

    def may_see(self, customer_id: int) -> bool:
        """Whether this conversation may read or change `customer_id`'s private data. Calls need the
        caller-ID match or a verification; the HTTP API is trusted by its key."""
        return (
            not self.is_call
            or customer_id == self.caller_customer_id
            or customer_id in self.verified_customer_ids
        )


def tool_context_for_call(
    *, call_id: int | None, caller_phone: str, caller_customer_id: int | None = None, is_test: bool = False
) -> ToolContext:
    """The context for a live call. Sync (it may query the database): in async code wrap it in
    database_sync_to_async. When `caller_customer_id` is not given it is looked up from the caller ID."""
    if caller_customer_id is None and caller_phone:
        customer = customer_find_by_phone(phone=caller_phone)
        caller_customer_id = customer.pk if customer else None
    return ToolContext(
        channel=AI_PHONE,
        call_id=call_id,
        caller_phone=caller_phone or "",
        caller_customer_id=caller_customer_id,
        is_test=is_test,
    )
