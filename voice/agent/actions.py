"""What a call's tool results set in motion beyond the tool itself, for any engine.

- transfer_to_human / end_call only *ask* for a transfer or a hang-up: the engine calls
  `after_heard(label)` (or `run_pending()` once it knows the last sentence was heard) and the
  action runs then, or is dropped when that sentence was interrupted (the conversation goes on).
- With no TRANSFER_PHONE_NUMBER, transfer_to_human takes a message: the tool result tells the model
  to collect a name and a message and to call transfer_to_human again with them, which creates a
  CallbackRequest for advisors. A call that ends before that still leaves one (no request is lost).
- A successful booking, reschedule or cancellation sets the call's outcome and texts the customer a
  confirmation unless they opted out of texts. SMS failures are logged; they never break the call.
- When speech synthesis is gone for good, `speak_with_twilio()` has Twilio say the apology itself.
- `language` is the caller's language (voice.agent.language): fixed lines and texts use it, and
  `heard_language()` changes it per caller turn (recorded on the call and learnt for the customer).
- The agent's own transfer (transfer_to_human) is a warm hand-off when Twilio can reach us
  (voice.handoffs): the advisor hears who is calling and why before taking the call.
- Safety: report_safety_concern marks the call urgent (the tool does) and its result carries the fixed
  don't-drive line under SPOKEN, which the engine says before the model goes on. A keyword backstop
  on every caller turn (`caller_said`) marks the call urgent even when the model does not report it.
- A verify_customer refused by a lock (voice.tools.handlers) carries a fixed, polite line under SPOKEN
  too (locked, hidden number, or counters unavailable), in the caller's language; the model then
  offers a transfer or a message.

Call control goes through the call's transport (`voice.transport.CallTransport`: Twilio by CallSid
for a phone call); work that must outlive a hang-up (a confirmation text) is guarded in the call's
task set, and `ended` is the call's one "ending" flag (`transport.tasks.ending`).
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from crm.phones import mask_phone
from integrations.errors import ProviderError
from scheduling.formatting import say_datetime
from scheduling.models import Appointment
from scheduling.shop import shop_get
from voice import twiml
from voice.agent.language import turn_language
from voice.agent.lines import DEFAULT_LANGUAGE, line
from voice.agent.records import CallRecorder
from voice.handoffs import handoff_start, warm_handoff_available
from voice.safety import unsafe_car_phrase
from voice.services import callback_request_create

if TYPE_CHECKING:
    from voice.engines.base import CallContext
    from voice.transport import CallTransport

TRANSFER = "transfer"
HANG_UP = "hang_up"
# A tool result key: fixed words our code says to the caller before the model goes on (the engines
# speak it; the model sees it was said).
SPOKEN = "said_to_caller"
SAFETY_TOOL = "report_safety_concern"

# Tool name -> (call outcome, SMS wording) for a successful change.
CHANGES = {
    "schedule_appointment": ("booked", "You're booked:"),
    "reschedule_appointment": ("rescheduled", "Your appointment has moved:"),
    "cancel_appointment": ("cancelled", ""),
}
TAKE_MESSAGE_INSTRUCTIONS = (
    "Ask for the caller's name and a short message for a service advisor. When you have both, call "
    "transfer_to_human again with reason written as 'Name: message' to leave it."
)
MESSAGE_TAKEN_INSTRUCTIONS = (
    "The message is saved. Tell the caller an advisor will call them back, then say goodbye and use end_call."
)
UNFINISHED_MESSAGE = "The caller asked to speak with someone and no advisor was free. Please call them back."
VOICE_LOST = "Our assistant's voice failed during the call (speech synthesis). Please call them back."
_NAME_AND_MESSAGE = re.compile(r"^\s*([^:]{1,60}?)\s*:\s*(.+)$", re.DOTALL)


def sms_confirmation_body(
    *,
    shop_name: str,
    tool: str,
    confirmation: str,
    language: str = DEFAULT_LANGUAGE,
    service: str = "",
    when: str = "",
    number: object = "",
) -> str:
    """The confirmation text for a booking change made on a call, in the caller's `language`
    (English quotes the tool's `confirmation`; other languages use `service`, `when`, `number`)."""
    return line(
        f"sms_{CHANGES[tool][0]}",
        language,
        shop_name=shop_name,
        confirmation=confirmation,
        service=service,
        when=when,
        number=number,
    )


def split_name_and_message(text: str) -> tuple[str, str]:
    """'Sam Jones: call me about brakes' -> ('Sam Jones', 'call me about brakes'); else ('', text)."""
    match = _NAME_AND_MESSAGE.match(text)
    if match is None:
        return "", text.strip()
    return match.group(1), match.group(2).strip()


def _sms_target(appointment_id: int, language: str) -> tuple[str, dict[str, str]] | None:
    """The phone to text about an appointment and the facts a text in `language` names (service,
    when), or None when its customer opted out of texts."""
    appointment = (
        Appointment.objects.filter(pk=appointment_id).select_related("customer", "service_type").first()
    )
    if (
        appointment is None
        or appointment.customer.sms_opted_out_at is not None
        or not appointment.customer.phone
    ):
        return None
    when = say_datetime(appointment.start, shop_get().zone, language=language)
    return appointment.customer.phone, {"service": appointment.service_type.name, "when": when}


def verification_refusal_line(result: dict[str, Any]) -> str:
    """The fixed line (voice.agent.lines key) for a verify_customer that may not be tried now."""
    if result.get("locked") == "unavailable":
        return "verification_unavailable"
    return "verification_locked_withheld" if result.get("withheld") else "verification_locked"


class CallActions:
    """One per call. Engine-independent: give it the call's transport (`session`), the call and the
    call's recorder."""

    def __init__(
        self,
        *,
        session: CallTransport,
        call: CallContext,
        recorder: CallRecorder,
        shop_name: str,
        transfer_number: str,
        customer_id: int | None = None,
    ):
        self.session = session
        self.call = call
        self.recorder = recorder
        self.shop_name = shop_name
        self.transfer_number = transfer_number
        self.customer_id = customer_id
        self.pending: str | None = None  # TRANSFER or HANG_UP, waiting for the last sentence to be heard
        self.taking_message = False
        self.message_taken = False
        self.outcome = ""
        self.language = DEFAULT_LANGUAGE  # the caller's language; the engine sets the one it starts in
        self.transfer_reason = ""  # what the agent gave transfer_to_human, for the advisor's whisper
        self.known_customer_id = customer_id  # the caller-ID match, or whom the caller verified as
        self.urgent = False  # the call was marked a safety issue
        self._unfinished_reason = UNFINISHED_MESSAGE
        self._texts: set[asyncio.Task[None]] = set()  # confirmations being sent (guarded tasks)

    @property
    def log(self) -> Any:
        return self.session.log

    @property
    def ended(self) -> bool:
        """The call is ending (transferred, hung up, handed to Twilio, or closed): say nothing more."""
        return self.session.tasks.ending

    # --- tool results -------------------------------------------------------------------------------

    async def after_tool(
        self, *, name: str, arguments: dict[str, Any], result: dict[str, Any]
    ) -> dict[str, Any]:
        """Act on a tool's result and return the result the model should see (sometimes with
        instructions added). Never raises."""
        if name in CHANGES and result.get("success"):
            self.set_outcome(CHANGES[name][0])
            text = self.session.tasks.guard(self._confirm_by_sms(name, result), name="sms-confirmation")
            self._texts.add(text)
            text.add_done_callback(self._texts.discard)
        elif name == "create_customer" and isinstance(result.get("customer_id"), int):
            if self.language != DEFAULT_LANGUAGE:
                # A new customer met in another language: their reminders and next call use it.
                self.recorder.language(self.language, customer_id=result["customer_id"])
        elif name == "end_call" and result.get("success"):
            self.pending = HANG_UP
        elif name == "transfer_to_human":
            if result.get("action") == "transfer" and result.get("success"):
                self.pending = TRANSFER
                self.transfer_reason = str(arguments.get("reason") or "")[:200]
            elif result.get("action") == "take_message":
                urgent = arguments.get("urgent") is True
                return await self._message_step(str(arguments.get("reason") or ""), result, urgent=urgent)
        elif name == "verify_customer" and result.get("verified"):
            if isinstance(arguments.get("customer_id"), int):
                self.known_customer_id = arguments["customer_id"]
        elif name == "verify_customer" and isinstance(result.get("locked"), str):
            return {**result, SPOKEN: line(verification_refusal_line(result), self.language)}
        elif name == SAFETY_TOOL and result.get("success"):
            self.urgent = True
            return {**result, SPOKEN: line("safety_dont_drive", self.language)}
        return result

    async def caller_said(self, text: str) -> None:
        """Every caller turn (final transcript) passes here: the safety backstop. A phrase of an unsafe
        car marks the call urgent for advisors, whatever the model makes of it. Never raises, never
        waits on the database (the write is queued, ahead of any message left later in the call)."""
        if self.urgent or not (phrase := unsafe_car_phrase(text)):
            return
        self.urgent = True
        self.log.warning("safety phrase heard; call marked urgent")
        self.recorder.urgent(f"caller said: {phrase}")

    async def _message_step(
        self, reason: str, result: dict[str, Any], *, urgent: bool = False
    ) -> dict[str, Any]:
        if self.taking_message and reason.strip() and not self.message_taken:
            name, message = split_name_and_message(reason)
            await self.take_message(reason=message, name=name, urgent=urgent)
            return {"success": True, "action": "message_taken", "instructions": MESSAGE_TAKEN_INSTRUCTIONS}
        if self.message_taken:
            return {"success": True, "action": "message_taken", "instructions": MESSAGE_TAKEN_INSTRUCTIONS}
        self.expect_message(f"{UNFINISHED_MESSAGE} They said: {reason.strip()}" if reason.strip() else "")
        return {**result, "instructions": TAKE_MESSAGE_INSTRUCTIONS}

    def expect_message(self, reason: str = "") -> None:
        """A message is being taken; if the call ends before it is left, `finish()` leaves one with
        `reason` (default UNFINISHED_MESSAGE) so the caller still gets a call back."""
        self.taking_message = True
        self._unfinished_reason = reason or UNFINISHED_MESSAGE

    def start_in(self, language: str) -> None:
        """The call starts in `language` (a known customer's preferred one): kept on the call record."""
        self.language = language
        if language != DEFAULT_LANGUAGE:
            self.recorder.language(language, customer_id=self.customer_id)

    def heard_language(self, *, reported: tuple[str, ...] | list[str], text: str) -> str | None:
        """One caller turn (`reported`: the languages speech recognition heard in it): the caller's
        new language when it changed, recorded on the call and learnt for the customer; else None."""
        language = turn_language(reported=reported, text=text)
        if language is None or language == self.language:
            return None
        self.language = language
        self.log.info("caller's language now %s", language)
        self.recorder.language(language, customer_id=self.customer_id)
        return language

    def set_outcome(self, outcome: str, *, only_if_unset: bool = False) -> None:
        if only_if_unset and self.outcome:
            return
        self.outcome = outcome
        self.recorder.outcome(outcome)

    # --- transfer, hang-up, messages --------------------------------------------------------------------

    async def after_heard(self, label: str | None, *, max_wait: float = 60.0) -> bool:
        """Run the pending action once `label` (default: all audio sent) has been heard; drop it if
        it was interrupted. True when an action ran."""
        if self.pending is None:
            return False
        heard = await self.session.wait_until_heard(label, max_wait=max_wait)
        return await self.run_pending() if heard else self.drop_pending()

    def drop_pending(self) -> bool:
        if self.pending is not None:
            self.log.info("%s skipped: the last sentence before it was not heard", self.pending)
        self.pending = None
        return False

    async def run_pending(self) -> bool:
        """Carry out the pending transfer or hang-up now (the last sentence was heard)."""
        action, self.pending = self.pending, None
        if action == TRANSFER:
            return await self.transfer()
        if action == HANG_UP:
            return await self.hang_up()
        return False

    async def transfer(self, number: str = "") -> bool:
        """Dial `number` (default: the transfer number, as a warm hand-off when Twilio can reach our
        whisper) on the live call. On failure the stream is closed, so the TwiML fallback after
        <Connect> apologises and dials the transfer number."""
        # A browser test call never reaches Twilio, so no dial result would ever end a hand-off.
        warm = not number and warm_handoff_available() and not self.call.is_test
        number = number or self.transfer_number
        if not number:
            return False
        self.session.tasks.begin_ending("transfer")
        handoff = None
        if warm:
            handoff = await self.recorder.write(
                handoff_start,
                call_id=self.call.call_id,
                number=number,
                reason=self.transfer_reason,
                customer_id=self.known_customer_id,
            )
        try:
            if handoff is not None:
                await self.session.transfer(self.call.call_sid, number, handoff=handoff.token)
            else:
                await self.session.transfer(self.call.call_sid, number)
        except ProviderError as exc:
            await self._failed("transfer", exc)
            return False
        self.set_outcome("transferred")
        return True

    async def hang_up(self) -> bool:
        """End the call (an already-ended call is fine). On failure the stream is closed instead."""
        self.session.tasks.begin_ending("hang-up")
        try:
            await self.session.hang_up(self.call.call_sid)
        except ProviderError as exc:
            await self._failed("hang-up", exc)
            return False
        return True

    async def take_message(self, *, reason: str, name: str = "", urgent: bool = False) -> bool:
        """Leave a CallbackRequest for advisors (phone = the caller's number; urgent when asked or
        when the call is a safety issue). True if saved."""
        self.taking_message = True
        saved = await self.recorder.write(
            callback_request_create,
            phone=self.call.caller_number,
            name=name,
            reason=reason,
            call_id=self.call.call_id,
            customer_id=self.customer_id,
            urgent=urgent or self.urgent,
        )
        if saved is None:
            return False
        self.message_taken = True
        self.outcome = self.outcome or "message_taken"
        self.log.info("message taken for a callback to %s", mask_phone(self.call.caller_number))
        return True

    async def speak_with_twilio(self, apology: str = "", *, reason: str = VOICE_LOST) -> bool:
        """Our own voice is gone: have Twilio say the apology, then dial the transfer number, or
        leave a message for advisors (`reason`, unless one was being taken) and hang up. Falls back
        to closing the stream (the <Connect> fallback)."""
        self.session.tasks.begin_ending("spoken fallback")
        if not self.transfer_number and not self.message_taken:
            await self.take_message(reason=self._unfinished_reason if self.taking_message else reason)
        # Twilio's own voice, in the caller's language (the words in English are the TwiML fallback's).
        language = self.language
        english = language == DEFAULT_LANGUAGE
        apology = apology or (twiml.FALLBACK_MESSAGE if english else line("apology", language))
        try:
            if self.transfer_number:
                then = twiml.TRANSFER_MESSAGE if english else line("connect_you", language)
                await self.session.transfer(
                    self.call.call_sid, self.transfer_number, announce=f"{apology} {then}", language=language
                )
            else:
                announce = f"{apology} {line('call_you_back', language)}"
                await self.session.hang_up(self.call.call_sid, announce=announce, language=language)
        except ProviderError as exc:
            await self._failed("spoken fallback", exc)
            return False
        if self.transfer_number:
            self.set_outcome("transferred")
        return True

    async def finish(self, *, within: float = 5.0) -> None:
        """At the end of the call: save a message that was started but never left, wait (bounded)
        for confirmations being sent. Never raises."""
        try:
            if self.taking_message and not self.message_taken:
                await self._take_unfinished_message()
            if self._texts:
                await asyncio.wait(set(self._texts), timeout=within)
        except Exception:
            self.log.exception("call actions did not finish cleanly")

    # --- internals ------------------------------------------------------------------------------------

    async def _take_unfinished_message(self) -> None:
        await self.take_message(reason=self._unfinished_reason)

    async def _confirm_by_sms(self, tool: str, result: dict[str, Any]) -> None:
        try:
            appointment_id = int(result["appointment_id"])
            target = await database_sync_to_async(_sms_target)(appointment_id, self.language)
            if target is None:
                self.log.info("no SMS confirmation for appointment %s: opted out or no phone", appointment_id)
                return
            telephony = self.session.telephony  # Twilio, or the page for a test call
            if not telephony.sms_enabled:
                self.log.info("no SMS confirmation for appointment %s: telephony is off", appointment_id)
                return
            to, facts = target
            body = sms_confirmation_body(
                shop_name=self.shop_name,
                tool=tool,
                confirmation=str(result.get("confirmation", "")),
                language=self.language,
                number=appointment_id,
                **facts,
            )
            await telephony.send_sms(to, body)
        except Exception as exc:  # a confirmation text must never break the call
            self.log.warning("SMS confirmation failed: %s", exc)
            self.recorder.error(f"SMS confirmation failed: {exc}")

    async def _failed(self, what: str, exc: ProviderError) -> None:
        self.log.error("%s failed: %s; closing the stream for the TwiML fallback", what, exc.message)
        self.recorder.error(f"The {what} failed: {exc.message}")
        await self.session.end(f"{what} failed")
