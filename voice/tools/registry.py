"""The one registry of agent tools shared by the LLM engines (cascade and realtime) and the HTTP tools
API: names, argument models (which are also the JSON Schemas the LLM gets) and handlers.

Engines call `openai_tool_schemas()` / `realtime_tool_schemas()` once per session and
`aexecute_tool(name, arguments_json, context=ctx)` per tool call; both return plain JSON-ready data and
never raise.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from channels.db import database_sync_to_async
from pydantic import ValidationError

from dealership import metrics
from dealership.core.errors import ApplicationError
from voice.tools import handlers, schemas
from voice.tools.context import ToolContext

logger = logging.getLogger(__name__)

GENERIC_FAILURE = "Sorry, something went wrong on our side."
Handler = Callable[[Any, ToolContext], dict[str, Any]]


@dataclass(frozen=True)
class Tool:
    name: str
    slug: str | None  # the HTTP path is /tools/<slug>/; None for call-only tools
    description: str
    args_model: type[schemas.ToolArgs]
    handler: Handler
    call_only: bool = False

    @property
    def http_path(self) -> str | None:
        return f"/tools/{self.slug}/" if self.slug else None

    @cached_property
    def parameters(self) -> dict[str, Any]:
        return schemas.llm_parameters(self.args_model)


_TOOLS = [
    Tool(
        "get_customer_by_phone",
        "get-customer",
        "Look up a customer by phone number: their customer_id, name, vehicles and upcoming "
        "appointments. found is false when nobody has that number.",
        schemas.GetCustomerByPhoneArgs,
        handlers.get_customer_by_phone,
    ),
    Tool(
        "create_customer",
        "create-customer",
        "Create a new customer record (and their vehicle) once you have their name and phone. "
        "Returns customer_id and vehicle_id.",
        schemas.CreateCustomerArgs,
        handlers.create_customer,
    ),
    Tool(
        "verify_customer",
        "verify-customer",
        "Check the caller's identity against the customer record with their date of birth and/or ZIP "
        "code. Needed before discussing or changing an account that isn't the caller's own number.",
        schemas.VerifyCustomerArgs,
        handlers.verify_customer,
    ),
    Tool(
        "get_service_history",
        "get-history",
        "Past services for a customer (optionally one vehicle), newest first: date, service, cost, "
        "mileage and notes.",
        schemas.GetServiceHistoryArgs,
        handlers.get_service_history,
    ),
    Tool(
        "list_services",
        "list-services",
        "The services the shop books, with code, name, duration in minutes and price in dollars. "
        "Quote prices and durations only from here.",
        schemas.ListServicesArgs,
        handlers.list_services,
    ),
    Tool(
        "check_availability",
        "check-availability",
        "Open appointment start times for a service, earliest first, in the shop's time zone. Offer the "
        "caller two or three of them. On a closed or past date the error says why and slots holds the "
        "nearest openings.",
        schemas.CheckAvailabilityArgs,
        handlers.check_availability,
    ),
    Tool(
        "schedule_appointment",
        "schedule-appointment",
        "Book an appointment at a start time from check_availability, after the caller agreed to it. "
        "Read the returned confirmation back. If the time was just taken, offer the alternatives.",
        schemas.ScheduleAppointmentArgs,
        handlers.schedule_appointment,
    ),
    Tool(
        "reschedule_appointment",
        "reschedule-appointment",
        "Move an existing appointment to a new start time from check_availability.",
        schemas.RescheduleAppointmentArgs,
        handlers.reschedule_appointment,
    ),
    Tool(
        "cancel_appointment",
        "cancel-appointment",
        "Cancel an existing appointment after the caller confirmed which one.",
        schemas.CancelAppointmentArgs,
        handlers.cancel_appointment,
    ),
    Tool(
        "get_vehicle_status",
        "get-vehicle-status",
        "Whether a customer's car is ready: the work status the shop set (waiting for parts, in "
        "progress, ready for pickup, picked up), the promised time and the shop's note, for one "
        "appointment or for the cars of a phone number. Say status_text and the note as they are.",
        schemas.GetVehicleStatusArgs,
        handlers.get_vehicle_status,
    ),
    Tool(
        "transfer_to_human",
        None,
        "Transfer the call to a person at the shop when the caller asks for one or you can't help. "
        "The transfer happens after your current sentence is heard.",
        schemas.TransferToHumanArgs,
        handlers.transfer_to_human,
        call_only=True,
    ),
    Tool(
        "report_safety_concern",
        None,
        "The caller describes a car that may be unsafe to drive (brakes failing, smoke or fire, "
        "overheating, loss of steering, airbag light after a crash, a fuel smell): report it at once. "
        "Our system then tells the caller not to drive it and marks the call urgent. Never diagnose.",
        schemas.ReportSafetyConcernArgs,
        handlers.report_safety_concern,
        call_only=True,
    ),
    Tool(
        "confirm_appointment",
        None,
        "On a reminder call: mark the appointment confirmed once the customer says they will come.",
        schemas.ConfirmAppointmentArgs,
        handlers.confirm_appointment,
        call_only=True,
    ),
    Tool(
        "record_opt_out",
        None,
        "The customer asked not to be called or texted again (stop calling, take me off the list, "
        "keypad 9): record it at once, then say goodbye and end the call.",
        schemas.RecordOptOutArgs,
        handlers.record_opt_out,
        call_only=True,
    ),
    Tool(
        "end_call",
        None,
        "Hang up after the conversation is finished and you have said goodbye.",
        schemas.EndCallArgs,
        handlers.end_call,
        call_only=True,
    ),
]
TOOLS: dict[str, Tool] = {tool.name: tool for tool in _TOOLS}
TOOLS_BY_SLUG: dict[str, Tool] = {tool.slug: tool for tool in _TOOLS if tool.slug}


def _selected(include_call_only: bool) -> list[Tool]:
    return [tool for tool in _TOOLS if include_call_only or not tool.call_only]


def openai_tool_schemas(*, include_call_only: bool = True) -> list[dict[str, Any]]:
    """`tools=` for Chat Completions: [{"type": "function", "function": {name, description, parameters}}]."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": copy.deepcopy(t.parameters),
            },
        }
        for t in _selected(include_call_only)
    ]


def realtime_tool_schemas(*, include_call_only: bool = True) -> list[dict[str, Any]]:
    """`session.tools` for the Realtime API (and Responses API): flat {"type": "function", name, ...}."""
    return [
        {
            "type": "function",
            "name": t.name,
            "description": t.description,
            "parameters": copy.deepcopy(t.parameters),
        }
        for t in _selected(include_call_only)
    ]


class Outcome(StrEnum):
    OK = "ok"  # the tool did its job (result["success"] is true)
    INVALID = "invalid"  # the arguments were unusable (bad JSON, wrong type, missing field)
    REFUSED = "refused"  # a business rule said no (closed day, slot taken, unknown customer...)
    ERROR = "error"  # our bug or an outage; logged with its traceback


@dataclass(frozen=True)
class ToolRun:
    result: dict[str, Any]
    outcome: Outcome


def _failure(message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    extra = {k: v for k, v in (extra or {}).items() if k not in ("success", "error")}
    return {"success": False, "error": message, **extra}


def parse_arguments(arguments: dict[str, Any] | str | bytes | None) -> dict[str, Any]:
    """The arguments as a dict; a JSON string (as LLMs send them) is decoded. ApplicationError if unusable."""
    if arguments is None:
        return {}
    if isinstance(arguments, str | bytes):
        if not arguments.strip():
            return {}
        try:
            arguments = json.loads(arguments)
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError("The tool arguments weren't valid JSON.", code="bad_json") from None
        except RecursionError:  # [[[[… a thousand levels deep: no tool takes anything like it
            raise ApplicationError("The tool arguments are nested too deeply.", code="bad_json") from None
    if not isinstance(arguments, dict):
        raise ApplicationError("The tool arguments must be a JSON object.", code="bad_json")
    return arguments


def _describe(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"])
    kind: str = error["type"]
    message: str = error["msg"].removeprefix("Value error, ")
    if kind == "missing":
        return f"The argument '{field}' is required."
    if kind.startswith("datetime"):
        phrase = "must be a date and time like 2026-11-23T09:00:00-06:00"
    elif kind.startswith("date"):
        phrase = "must be a date like 2026-11-23"
    elif kind.startswith("int"):
        phrase = "must be a whole number"
    elif kind.startswith("bool"):
        phrase = "must be true or false"
    elif kind == "literal_error":
        phrase = f"must be one of {error['ctx']['expected']}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        phrase = "must be an object"
    elif kind == "value_error":
        phrase = message
    elif message.startswith(("Input should", "String should", "List should")):
        phrase = message.split(" ", 1)[1].rstrip(".")  # "should be less than or equal to 2100"
    else:
        phrase = f"is invalid: {message}"
    if not field:
        return phrase[:1].upper() + phrase[1:] + "."
    return f"'{field}' {phrase}."


def validation_sentence(error: ValidationError) -> str:
    """A readable sentence naming each bad argument (at most three), for the agent or an API client."""
    return " ".join(_describe(item) for item in error.errors()[:3])


def run_tool(name: str, arguments: dict[str, Any] | str | bytes | None, *, context: ToolContext) -> ToolRun:
    """Validate and run one tool; like execute_tool, plus how it went (the HTTP API maps it to a status)."""
    tool = TOOLS.get(name)
    if tool is None:
        return ToolRun(_failure(f"There's no tool called '{name}'."), Outcome.INVALID)
    if tool.call_only and not context.is_call:
        return ToolRun(_failure(f"{name} is only available during a phone call."), Outcome.REFUSED)
    started = time.monotonic()
    try:
        args = tool.args_model.model_validate(parse_arguments(arguments))
        result = tool.handler(args, context)
        run = ToolRun(result, Outcome.OK)
    except ValidationError as exc:
        run = ToolRun(_failure(validation_sentence(exc)), Outcome.INVALID)
    except ApplicationError as exc:
        outcome = Outcome.INVALID if exc.code == "bad_json" else Outcome.REFUSED
        run = ToolRun(_failure(exc.message, exc.extra), outcome)
    except Exception:
        logger.exception("tool %s crashed (call %s, channel %s)", name, context.call_id, context.channel)
        run = ToolRun(_failure(GENERIC_FAILURE), Outcome.ERROR)
    if not context.is_test:  # a test call's tool runs are no figure of the shop's
        metrics.TOOL_DURATION.labels(tool=name, outcome=run.outcome).observe(time.monotonic() - started)
    if run.outcome == Outcome.ERROR:
        return run
    logger.info(
        "tool %s %s in %d ms (call %s, channel %s)",
        name,
        run.outcome,
        (time.monotonic() - started) * 1000,
        context.call_id,
        context.channel,
    )
    return run


def execute_tool(
    name: str, arguments: dict[str, Any] | str | bytes | None, *, context: ToolContext
) -> dict[str, Any]:
    """Run tool `name` with `arguments` (a dict or the JSON string an LLM produced). Sync: touches the
    database. Always returns a JSON-ready dict with "success"; failures carry "error", a sentence the
    agent can say, plus extras such as "alternatives". Never raises."""
    return run_tool(name, arguments, context=context).result


async def aexecute_tool(
    name: str, arguments: dict[str, Any] | str | bytes | None, *, context: ToolContext
) -> dict[str, Any]:
    """execute_tool for async code (engines): runs in the database thread pool."""
    return await database_sync_to_async(execute_tool)(name, arguments, context=context)
