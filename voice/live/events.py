"""The board's JSON: a call's header and the events of its transcript, from our rows.

Phone numbers are masked (last four digits): the board is on screens around the shop.
"""

from __future__ import annotations

from typing import Any

from crm.phones import mask_phone
from voice.models import Call, ToolCall, Turn


def call_header(call: Call) -> dict[str, Any]:
    """What the board shows of a call before anything is said."""
    return {
        "call_id": call.pk,
        "call_sid": call.call_sid,
        "caller": mask_phone(
            call.from_number if call.direction == Call.Direction.INBOUND else call.to_number
        ),
        "customer": call.customer.name if call.customer_id and call.customer else "",
        "direction": call.direction,
        "engine": call.engine,
        "test": call.is_test,
        "started": (call.started_at or call.created_at).isoformat(),
        "outcome": call.get_outcome_display() if call.outcome else "",
    }


def call_header_by_id(call_id: int) -> dict[str, Any] | None:
    call = Call.objects.select_related("customer").filter(pk=call_id).first()
    return call_header(call) if call is not None else None


def turn_event(turn: Turn) -> dict[str, Any]:
    return {
        "kind": "turn",
        "call_id": turn.call_id,
        "seq": turn.seq,
        "role": turn.role,
        "text": turn.heard_text if turn.interrupted and turn.heard_text else turn.text,
        "interrupted": turn.interrupted,
    }


def tool_event(tool: ToolCall) -> dict[str, Any]:
    return {
        "kind": "tool",
        "call_id": tool.call_id,
        "id": tool.pk,
        "name": tool.name,
        "success": tool.success,
    }


def outcome_event(call_id: int, outcome: str) -> dict[str, Any]:
    return {"kind": "outcome", "call_id": call_id, "outcome": Call.Outcome(outcome).label if outcome else ""}


def call_so_far(call_id: int) -> list[dict[str, Any]]:
    """The turns and tool calls already recorded, in order (for a watcher who arrives mid-call)."""
    events = [turn_event(t) for t in Turn.objects.filter(call_id=call_id).order_by("seq")]
    events += [tool_event(t) for t in ToolCall.objects.filter(call_id=call_id).order_by("created_at", "pk")]
    return events
