"""Taking over a live call: a staff member's control, checked, recorded on the call, then sent to
whichever web process holds the call (voice.control, the channel-layer group `call.<CallSid>`).

The numbers a call can be sent to come from our rows only (the staff member's own profile, or the
shop's TransferNumber list), never from the request: the board cannot be used to dial anywhere.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied

from crm.phones import mask_phone
from dealership.core.errors import ApplicationError, NotFound
from voice.agent.control import END_CALL, MAX_TEXT, SAY, TRANSFER
from voice.control import call_control_send
from voice.live.registry import live_call_is_registered
from voice.models import Call
from voice.takeover_models import CallControl, StaffProfile, TransferNumber

logger = logging.getLogger(__name__)

PERMISSION = "voice.take_over_call"
Action = CallControl.Action


def user_may_take_over(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))


def call_is_live(*, call_id: int) -> bool:
    """Some web process holds the call now (the live-call registry; False if it cannot be read)."""
    try:
        return live_call_is_registered(call_id)
    except Exception:
        logger.warning("live calls: the registry could not be read", exc_info=True)
        return False


def transfer_numbers() -> list[TransferNumber]:
    return list(TransferNumber.objects.filter(active=True))


def staff_phone(user: Any) -> str:
    profile = StaffProfile.objects.filter(user=user).first()
    return profile.phone if profile is not None else ""


def _number_for(action: str, *, user: Any, transfer_number_id: Any) -> str:
    if action == Action.TRANSFER_TO_ME:
        number = staff_phone(user)
        if not number:
            raise ApplicationError(
                "Add your phone number to your staff profile first (Voice › Staff profiles)."
            )
        return number
    try:
        chosen = TransferNumber.objects.filter(active=True, pk=int(transfer_number_id)).first()
    except (TypeError, ValueError):
        chosen = None
    if chosen is None:
        raise ApplicationError("Choose a number from the shop's transfer list.")
    return chosen.phone


def call_take_over(
    *, call_id: int, user: Any, action: str, transfer_number_id: Any = None, text: str = ""
) -> CallControl:
    """Send `action` (a CallControl.Action) to live call `call_id` on behalf of `user`, and record it.

    PermissionDenied without `voice.take_over_call`; ApplicationError (a sentence for the user) for
    an unknown action, a call that is not in progress, no number, an empty line.
    """
    if not user_may_take_over(user):
        raise PermissionDenied
    if action not in Action.values:
        raise ApplicationError("Unknown take-over action.")
    call = Call.objects.filter(pk=call_id).first()
    if call is None:
        raise NotFound("No such call.")
    number, line = "", ""
    if action in (Action.TRANSFER_TO_ME, Action.TRANSFER):
        number = _number_for(action, user=user, transfer_number_id=transfer_number_id)
    elif action == Action.SAY:
        line = " ".join(str(text or "").split())
        if not line:
            raise ApplicationError("Type what the agent should say.")
        if len(line) > MAX_TEXT:
            raise ApplicationError(f"Keep it under {MAX_TEXT} characters.")
    if not call_is_live(call_id=call.pk):
        raise ApplicationError("This call has ended; nothing was sent.", code="ended")
    fields: dict[str, str] = {"number": number} if number else {"text": line} if line else {}
    control = {Action.TRANSFER_TO_ME: TRANSFER, Action.TRANSFER: TRANSFER, Action.SAY: SAY}.get(
        action, END_CALL
    )
    try:
        call_control_send(call.call_sid, control, **fields)
    except Exception as exc:
        logger.exception("call=%s take-over could not be sent", call.call_sid)
        raise ApplicationError("The call could not be reached; try again.") from exc
    logger.info(
        "call=%s take-over %s by user %s%s",
        call.call_sid,
        action,
        user.pk,
        f" to {mask_phone(number)}" if number else "",
    )
    return CallControl.objects.create(call=call, user=user, action=action, number=number, text=line)
