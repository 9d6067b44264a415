"""The tools themselves, each a thin layer over crm/scheduling services and selectors that returns the
exact result shape of DESIGN §5. Handlers raise ApplicationError for anything the agent should say
back; registry.execute_tool turns that into {"success": false, "error": ...}."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from crm.models import Customer, Vehicle
from crm.phones import normalize_phone
from crm.selectors import customer_find_by_phone, customer_summary, service_history_list
from crm.services import customer_create, customer_create_on_call, customer_verify
from crm.verification_attempts import (
    WITHHELD,
    caller_bucket,
    verification_failed,
    verification_lock,
)
from dealership.core.errors import ApplicationError, NotFound, VerificationRequired
from reminders.services import appointment_confirm, opt_out_record
from scheduling.formatting import say_datetime
from scheduling.models import Appointment, AppointmentQuerySet, ServiceType
from scheduling.opening import shop_open_now
from scheduling.selectors import availability_find
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_confirmation,
    appointment_reschedule,
)
from scheduling.shop import shop_get
from scheduling.work_status import vehicle_status_list, vehicle_status_of
from voice.services import call_mark_urgent
from voice.tools import schemas
from voice.tools.context import (
    APPOINTMENT_PRIVACY_REFUSAL,
    MAX_FAILED_VERIFICATIONS,
    MAX_FAILED_VERIFICATIONS_PER_CALL,
    PRIVACY_REFUSAL,
    ToolContext,
)

Result = dict[str, Any]
SLOTS_OFFERED = 5
SLOTS_PER_DAY_WITHOUT_DATE = 3
HISTORY_ON_CALL = 20


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    # LLMs often drop the offset; a bare time is what the caller said in the shop's own time.
    return moment.replace(tzinfo=zone) if timezone.is_naive(moment) else moment


def _on_number(phone: str) -> Q:
    """Customers reached at `phone`: their main or alternate number (a household shares one)."""
    return Q(phone=phone) | Q(alt_phone=phone)


def _is_calling_number(phone: str, context: ToolContext) -> bool:
    """Whether `phone` is the number this call comes from. Never on a withheld number (an empty
    phone must not match an empty caller ID) nor on the HTTP API, which has no calling number."""
    return context.is_call and bool(context.caller_phone) and phone == context.caller_phone


def _calls_from_a_number_of(customer: Customer, context: ToolContext) -> bool:
    """The call comes from `customer`'s main or alternate number: they count like the caller-ID match."""
    return any(_is_calling_number(number, context) for number in (customer.phone, customer.alt_phone))


def _on_calling_number(customer_id: int, context: ToolContext) -> bool:
    """Customer `customer_id` is reached at the number this call comes from."""
    customer = Customer.objects.filter(pk=customer_id).only("phone", "alt_phone").first()
    return customer is not None and _calls_from_a_number_of(customer, context)


def _require_access(customer_id: int, context: ToolContext) -> None:
    """On a call, act for or reveal `customer_id` only when the caller may: the caller-ID match,
    anyone else on the calling number (a household shares one phone), or a customer verified or
    created during this call. The refusal names nobody."""
    if context.may_see(customer_id):
        return
    if _on_calling_number(customer_id, context):
        context.trust(customer_id)
        return
    raise VerificationRequired(PRIVACY_REFUSAL, customer_id=customer_id)


def _trust_if_caller(customer: Customer, context: ToolContext) -> None:
    """A customer whose number is the one calling counts like the caller-ID match."""
    if _calls_from_a_number_of(customer, context):
        context.trust(customer.pk)


def _bookings_in_view(context: ToolContext) -> AppointmentQuerySet:
    """The bookings this conversation may know of. A test call sees real bookings and test ones (it
    tries the receptionist on real data); anything else, real bookings only: a test booking made as
    a customer is no booking of theirs, so for them it does not exist."""
    return Appointment.objects.all() if context.is_test else Appointment.objects.real()


def _appointment_owner(appointment_id: int, context: ToolContext, *, changes: bool = False) -> int:
    """The customer of booking `appointment_id`, once the caller may act for them. `changes`: the
    tool changes the booking, which a test call may do to test bookings only."""
    found = _bookings_in_view(context).filter(pk=appointment_id).values_list("customer_id", "is_test").first()
    if found is None:  # a test booking answers like an unknown number outside test calls
        raise NotFound(f"I can't find appointment number {appointment_id}.")
    owner, test_booking = found
    try:
        _require_access(owner, context)
    except VerificationRequired:
        raise VerificationRequired(APPOINTMENT_PRIVACY_REFUSAL, customer_id=None) from None
    if changes and context.is_test and not test_booking:
        raise ApplicationError(
            f"Appointment number {appointment_id} is a real customer's booking: a test call may look "
            "at it but not change it. Tell the tester so; they can book a test appointment and change "
            "that one instead.",
            code="real_booking_on_test_call",
        )
    return owner


def get_customer_by_phone(args: schemas.GetCustomerByPhoneArgs, context: ToolContext) -> Result:
    shop = shop_get()
    e164 = normalize_phone(args.phone, region=shop.phone_region)
    customer = customer_find_by_phone(phone=e164)
    if customer is None:
        return {
            "success": True,
            "found": False,
            "customer_id": None,
            "name": None,
            "vehicles": [],
            "upcoming_appointments": [],
        }
    _trust_if_caller(customer, context)
    summary = customer_summary(
        customer=customer, now=timezone.now(), zone=shop.zone, include_test=context.is_test
    )
    if not context.may_see(customer.pk):
        # On a call, a number that isn't the caller's own reveals only that an account exists (so
        # the agent can ask for verification); its name, vehicles and appointments wait until the
        # caller verifies a date of birth or ZIP code.
        summary.update(name=None, vehicles=[], upcoming_appointments=[])
        return {"success": True, **summary, "verification_required": True}
    return {"success": True, **summary}


def create_customer(args: schemas.CreateCustomerArgs, context: ToolContext) -> Result:
    vehicle = args.vehicle.model_dump() if args.vehicle else None
    region = shop_get().phone_region
    if not context.is_call:
        # The HTTP tools API is a trusted back-end client: same phone and name returns that customer.
        customer, created_vehicle = customer_create(
            name=args.name, phone=args.phone, email=args.email, vehicle=vehicle, region=region
        )
        return {
            "success": True,
            "customer_id": customer.pk,
            "vehicle_id": created_vehicle.pk if created_vehicle else None,
        }
    try:
        registration = customer_create_on_call(
            name=args.name,
            phone=args.phone,
            email=args.email,
            vehicle=vehicle,
            region=region,
            caller_phone=context.caller_phone,
            trusted_ids=context.trusted_ids(),
        )
    except VerificationRequired as exc:
        raise VerificationRequired(PRIVACY_REFUSAL, customer_id=exc.extra["customer_id"]) from None
    # Whoever the caller just created (or is, on their own number) is theirs to book for.
    context.trust(registration.customer.pk)
    return {
        "success": True,
        "customer_id": registration.customer.pk,
        "vehicle_id": registration.vehicle.pk if registration.vehicle else None,
    }


VERIFICATION_LOCKED = (
    "The caller can't verify this customer on this call, and our system has just told them so and "
    "offered a person or a callback. Don't ask for more details and don't repeat it: offer to transfer "
    "them (transfer_to_human) or to take a message for a service advisor."
)


def _verification_refusal(
    customer_id: int, context: ToolContext, *, on_file: bool
) -> tuple[str, bool] | None:
    """Why this call may not try to verify `customer_id` now (reason, and whether the caller ID is
    withheld), or None. The cross-call locks are for callers who need verification: a caller on the
    customer's own number is never checked against them."""
    failures = context.failed_verifications.get(customer_id, 0)
    all_failures = sum(context.failed_verifications.values())
    if failures >= MAX_FAILED_VERIFICATIONS or all_failures >= MAX_FAILED_VERIFICATIONS_PER_CALL:
        return "this_call", False
    if on_file:
        return None
    lock = verification_lock(caller_phone=context.caller_phone, customer_id=customer_id)
    if lock is None:
        return None
    return lock.value, caller_bucket(context.caller_phone) == WITHHELD


def verify_customer(args: schemas.VerifyCustomerArgs, context: ToolContext) -> Result:
    on_file = context.is_call and _on_calling_number(args.customer_id, context)
    refusal = _verification_refusal(args.customer_id, context, on_file=on_file) if context.is_call else None
    if refusal is not None:
        # Stops a caller from guessing ZIP codes until one fits; the engine says a fixed line for
        # `locked` (voice.agent.actions) and the model offers a person or a callback.
        reason, withheld = refusal
        raise ApplicationError(
            VERIFICATION_LOCKED,
            code="verification_locked",
            extra={"verified": False, "locked": reason, "withheld": withheld},
        )
    verified = customer_verify(
        customer_id=args.customer_id, date_of_birth=args.date_of_birth, zip_code=args.zip_code
    )
    if verified:
        context.verified_customer_ids.add(args.customer_id)
    elif context.is_call:
        context.failed_verifications[args.customer_id] = (
            context.failed_verifications.get(args.customer_id, 0) + 1
        )
        # A tester's misses must not lock a real customer's account; a caller on the customer's own
        # number needs no verification, so their misses lock nobody either.
        if not context.is_test and not on_file:
            verification_failed(caller_phone=context.caller_phone, customer_id=args.customer_id)
    return {"success": True, "verified": verified}


def get_service_history(args: schemas.GetServiceHistoryArgs, context: ToolContext) -> Result:
    _require_access(args.customer_id, context)
    history = service_history_list(
        customer_id=args.customer_id,
        vehicle_id=args.vehicle_id,
        limit=HISTORY_ON_CALL if context.is_call else None,
    )
    return {"success": True, "history": history}


def list_services(args: schemas.ListServicesArgs, context: ToolContext) -> Result:
    services = ServiceType.objects.filter(active=True).order_by("name")
    if context.is_call:
        services = services.filter(bookable_by_ai=True)
    return {
        "success": True,
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "duration_minutes": s.duration_minutes,
                "price": f"{s.price:.2f}",
                "price_is_from": s.price_is_from,
            }
            for s in services
        ],
    }


def check_availability(args: schemas.CheckAvailabilityArgs, context: ToolContext) -> Result:
    try:
        result = availability_find(
            service_code=args.service_type,
            preferred_date=args.preferred_date,
            time_of_day=args.time_of_day,
            waiter=args.waiter,
            limit=SLOTS_OFFERED,
            for_ai=context.is_call,
            # Without a date, spread the offer over more than one morning.
            max_per_day=None if args.preferred_date else SLOTS_PER_DAY_WITHOUT_DATE,
        )
    except ApplicationError as exc:
        if "alternatives" not in exc.extra:
            raise
        raise ApplicationError(
            exc.message, code=exc.code, extra={"available": False, "slots": exc.extra["alternatives"]}
        ) from exc
    slots = result.as_dicts()
    return {"success": True, "available": bool(slots), "slots": slots}


def _customer_to_book(args: schemas.ScheduleAppointmentArgs, region: str) -> Customer:
    if args.customer_id is not None:
        customer = Customer.objects.filter(pk=args.customer_id).first()
        if customer is None:
            raise NotFound(
                f"I couldn't find a customer with ID {args.customer_id}. "
                "Look them up by phone, or create the customer first."
            )
        return customer
    customer = customer_find_by_phone(phone=normalize_phone(args.customer_phone or "", region=region))
    if customer is None:
        raise NotFound("There's no customer with that phone number yet; create the customer first.")
    return customer


def schedule_appointment(args: schemas.ScheduleAppointmentArgs, context: ToolContext) -> Result:
    shop = shop_get()
    customer = _customer_to_book(args, shop.phone_region)
    _require_access(customer.pk, context)
    vehicle = None
    if args.vehicle_id is not None:
        # Only this customer's cars: another customer's vehicle id answers like an unknown one.
        vehicle = Vehicle.objects.filter(pk=args.vehicle_id, customer=customer).first()
        if vehicle is None:
            raise NotFound(f"I can't find vehicle {args.vehicle_id}.")
    appointment = appointment_book(
        customer=customer,
        service_code=args.service_type,
        start=_aware(args.datetime, shop.zone),
        channel=context.channel,
        vehicle=vehicle,
        waiter=args.waiter,
        notes=args.notes,
        call_id=context.call_id,
        is_test=context.is_test,
    )
    return {
        "success": True,
        "appointment_id": appointment.pk,
        "confirmation": appointment_confirmation(appointment),
        "start": appointment.start.astimezone(shop.zone).isoformat(),
    }


def reschedule_appointment(args: schemas.RescheduleAppointmentArgs, context: ToolContext) -> Result:
    shop = shop_get()
    _appointment_owner(args.appointment_id, context, changes=True)
    appointment = appointment_reschedule(
        appointment_id=args.appointment_id, start=_aware(args.datetime, shop.zone), channel=context.channel
    )
    return {
        "success": True,
        "appointment_id": appointment.pk,
        "confirmation": appointment_confirmation(appointment),
        "start": appointment.start.astimezone(shop.zone).isoformat(),
    }


def cancel_appointment(args: schemas.CancelAppointmentArgs, context: ToolContext) -> Result:
    _appointment_owner(args.appointment_id, context, changes=True)
    appointment = appointment_cancel(
        appointment_id=args.appointment_id, channel=context.channel, reason=args.reason
    )
    when = say_datetime(appointment.start, shop_get().zone)
    return {
        "success": True,
        "appointment_id": appointment.pk,
        "confirmation": f"The {appointment.service_type.name} on {when} is cancelled.",
    }


def get_vehicle_status(args: schemas.GetVehicleStatusArgs, context: ToolContext) -> Result:
    if args.appointment_id is not None:
        _appointment_owner(args.appointment_id, context)
        return {"success": True, "appointments": vehicle_status_of(appointment_id=args.appointment_id)}
    e164 = normalize_phone(args.customer_phone or "", region=shop_get().phone_region)
    household = list(Customer.objects.filter(_on_number(e164)).order_by("pk").values_list("pk", flat=True))
    if not household:
        raise NotFound("There's no customer with that phone number.")
    allowed = []
    for customer_id in household:
        try:
            _require_access(customer_id, context)
        except VerificationRequired:
            continue
        allowed.append(customer_id)
    if not allowed:
        # Verification is asked for the customer caller ID would pick on that number.
        primary = customer_find_by_phone(phone=e164)
        _require_access(primary.pk if primary else household[0], context)
    return {
        "success": True,
        "appointments": vehicle_status_list(customer_ids=allowed, include_test=context.is_test),
    }


def transfer_to_human(args: schemas.TransferToHumanArgs, context: ToolContext) -> Result:
    if not settings.TRANSFER_PHONE_NUMBER:
        raise ApplicationError(
            "No one can take a transferred call right now. Offer to take a message for a service advisor.",
            code="transfer_unavailable",
            extra={"action": "take_message"},
        )
    hours = shop_open_now()
    if not hours.is_open:
        # After hours nobody is at the advisor line: no ringing out, say when the shop opens.
        opens = hours.opens_in_words()
        when = f" It opens {opens}." if opens else ""
        raise ApplicationError(
            f"The shop is closed right now, so nobody can take a transfer.{when} Tell the caller that, "
            "and offer to take a message for a service advisor.",
            code="shop_closed",
            extra={"action": "take_message", "opens": opens},
        )
    return {
        "success": True,
        "action": "transfer",
        "reason": args.reason,
        "instructions": "Tell the caller in one short sentence that you're transferring them now.",
    }


SAFETY_INSTRUCTIONS = (
    "The call is marked urgent for the advisors, and the caller has just been told, in the shop's own "
    "words, not to drive the car. Do not repeat that and do not guess what is wrong: offer a tow (from "
    "the shop's towing answer, if it has one) or the earliest appointment (check_availability for "
    "diagnostic), or a transfer to an advisor."
)


def report_safety_concern(args: schemas.ReportSafetyConcernArgs, context: ToolContext) -> Result:
    if context.call_id is not None:
        call_mark_urgent(call_id=context.call_id, reason=args.symptom)
    return {"success": True, "action": "safety", "instructions": SAFETY_INSTRUCTIONS}


def end_call(args: schemas.EndCallArgs, context: ToolContext) -> Result:
    return {"success": True, "action": "end_call", "instructions": "Say a short goodbye; the call then ends."}


def confirm_appointment(args: schemas.ConfirmAppointmentArgs, context: ToolContext) -> Result:
    _appointment_owner(args.appointment_id, context, changes=True)
    appointment, changed = appointment_confirm(
        appointment_id=args.appointment_id, detail="confirmed by voice on a call"
    )
    when = say_datetime(appointment.start, shop_get().zone)
    state = "is confirmed" if changed else f"stays {appointment.get_status_display().lower()}"
    return {"success": True, "appointment_id": appointment.pk, "confirmation": f"{when} {state}."}


def record_opt_out(args: schemas.RecordOptOutArgs, context: ToolContext) -> Result:
    customer = Customer.objects.filter(pk=context.caller_customer_id).first()
    if customer is None:
        raise ApplicationError("I don't know which customer this number belongs to.", code="unknown_customer")
    opt_out_record(
        customer=customer,
        channel="calls",
        source="voice_phrase",
        call_id=context.call_id,
        detail=args.what_they_said,
    )
    return {
        "success": True,
        "instructions": "Say you've stopped these calls and texts for this number, apologise briefly, "
        "say goodbye, then use end_call.",
    }
