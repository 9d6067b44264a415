"""Where a customer's car is ("is my car ready?"): the advisor's work status, promised time and note on
an appointment, the one "ready for pickup" text, and what the agent may read back.

The work status is separate from the booking status (scheduled → arrived → completed): a car can be
"arrived" for the booking and "waiting for parts" in the shop. Marking it ready for pickup queues one
text (after the transaction commits, through Celery); marking it ready again never texts again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.phones import mask_phone
from dealership.core.errors import ApplicationError, NotFound
from integrations.errors import ProviderError
from integrations.telephony import send_sms_sync, telephony_is_configured
from scheduling.formatting import say_datetime
from scheduling.models import Appointment, AppointmentChange, ReadyText, WorkStatus
from scheduling.services import User, _real_user
from scheduling.shop import shop_get

logger = logging.getLogger(__name__)

WORK_STATUS_PERMISSION = "scheduling.set_work_status"
# A caller asking about "my car" means one in the shop now, or one booked recently or soon.
RECENT = timedelta(days=7)
SOON = timedelta(days=30)
IN_SHOP = (WorkStatus.WAITING_PARTS, WorkStatus.IN_PROGRESS, WorkStatus.READY)
STATUS_LIMIT = 5
UNSET: Any = object()


def appointment_work_status_set(
    *,
    appointment_id: int,
    work_status: str,
    user: User | None,
    promised_at: datetime | None = UNSET,
    note: str = UNSET,
) -> Appointment:
    """Set the work status (and, when given, the promised time and the note for the customer) with a
    history row. The first time an appointment becomes ready for pickup, its text is queued once this
    transaction commits; a broker that is down is recorded on the appointment, never raised."""
    if work_status not in WorkStatus.values:
        raise ApplicationError(f"'{work_status}' isn't a work status.")
    if note is not UNSET and len(note) > Appointment._meta.get_field("customer_note").max_length:
        raise ApplicationError("The note for the customer is too long (300 characters at most).")
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().filter(pk=appointment_id).first()
        if appointment is None:
            raise NotFound(f"I can't find appointment number {appointment_id}.")
        closed = (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW)
        if work_status and appointment.status in closed:
            raise ApplicationError(
                f"Appointment {appointment_id} is {appointment.get_status_display().lower()}; "
                "it has no work in the shop to report."
            )
        changed: list[str] = []
        old = appointment.work_status
        if work_status != old:
            appointment.work_status = work_status
            changed.append("work_status")
        if promised_at is not UNSET and promised_at != appointment.promised_at:
            appointment.promised_at = promised_at
            changed.append("promised_at")
        if note is not UNSET and note.strip() != appointment.customer_note:
            appointment.customer_note = note.strip()
            changed.append("customer_note")
        if not changed:
            return appointment
        # A test booking (made on a browser test call as a real customer) texts nobody.
        text_now = (
            work_status == WorkStatus.READY
            and appointment.ready_text == ReadyText.NONE
            and not appointment.is_test
        )
        if text_now:
            appointment.ready_text = ReadyText.QUEUED
            changed.append("ready_text")
        appointment.save(update_fields=[*changed, "updated_at"])
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.WORK,
            channel=Appointment.Channel.STAFF,
            user=_real_user(user),
            detail=_history_line(old, appointment, changed)[:300],
        )
        if text_now:
            transaction.on_commit(lambda: ready_text_queue(appointment_id=appointment_id))
    logger.info("appointment %s work status %r -> %r by staff", appointment_id, old, work_status)
    return appointment


def _history_line(old: str, appointment: Appointment, changed: list[str]) -> str:
    parts = []
    if "work_status" in changed:
        parts.append(f"{WorkStatus(old).label} → {appointment.get_work_status_display()}")
    if "promised_at" in changed:
        promised = appointment.promised_at
        parts.append(
            f"promised {say_datetime(promised, shop_get().zone)}" if promised else "no promised time"
        )
    if "customer_note" in changed:
        parts.append(f"note: {appointment.customer_note}" if appointment.customer_note else "note cleared")
    return "; ".join(parts)


def ready_text_queue(*, appointment_id: int) -> bool:
    """Queue the ready-for-pickup text. Never raises: the advisor's save already stands."""
    from scheduling.tasks import appointment_ready_text  # the tasks module imports this one

    try:
        appointment_ready_text.apply_async(args=(appointment_id,), retry=False)
        return True
    except Exception as error:  # any broker/transport failure
        logger.warning("ready text for appointment %s not queued: %r", appointment_id, error)
        Appointment.objects.filter(pk=appointment_id, ready_text=ReadyText.QUEUED).update(
            ready_text=ReadyText.FAILED, ready_text_detail="Couldn't queue the text (task queue down)."
        )
        return False


def ready_text_body(appointment: Appointment, *, shop_name: str) -> str:
    vehicle = appointment.vehicle
    what = f"your {vehicle}" if vehicle is not None and str(vehicle) else "your vehicle"
    note = f" {appointment.customer_note}" if appointment.customer_note else ""
    return f"{shop_name}: {what} is ready for pickup.{note} Reply STOP to opt out."


def appointment_ready_text_send(*, appointment_id: int) -> str:
    """Send the one ready-for-pickup text. The appointment is claimed first (queued → sending with a
    conditional UPDATE), so a task delivered twice sends once. A transient Twilio failure puts it back
    to queued and raises the ProviderError for the task to retry; a permanent one is recorded."""
    claimed = Appointment.objects.filter(pk=appointment_id, ready_text=ReadyText.QUEUED).update(
        ready_text=ReadyText.SENDING
    )
    if not claimed:
        return "already handled"
    appointment = Appointment.objects.select_related("customer", "vehicle").get(pk=appointment_id)
    customer = appointment.customer
    if not customer.sms_allowed:
        return _ready_text_done(appointment_id, ReadyText.SKIPPED, "The customer opted out of texts.")
    if not telephony_is_configured():
        return _ready_text_done(appointment_id, ReadyText.SKIPPED, "Texting is not configured (Twilio).")
    if appointment.work_status != WorkStatus.READY:
        # Taken back out of "ready" before the worker got to it: say nothing misleading.
        return _ready_text_done(appointment_id, ReadyText.NONE, "")
    try:
        sid = send_sms_sync(customer.phone, ready_text_body(appointment, shop_name=shop_get().name))
    except ProviderError as error:
        if error.permanent:
            return _ready_text_done(appointment_id, ReadyText.FAILED, error.message[:200])
        Appointment.objects.filter(pk=appointment_id, ready_text=ReadyText.SENDING).update(
            ready_text=ReadyText.QUEUED, ready_text_detail=error.message[:200]
        )
        raise
    logger.info("appointment %s: ready text %s sent to %s", appointment_id, sid, mask_phone(customer.phone))
    return _ready_text_done(
        appointment_id, ReadyText.SENT, f"Sent {timezone.now():%Y-%m-%d %H:%M} UTC ({sid})."
    )


def appointment_ready_text_gave_up(*, appointment_id: int, reason: str) -> None:
    """The task ran out of retries: show it on the appointment."""
    Appointment.objects.filter(pk=appointment_id, ready_text=ReadyText.QUEUED).update(
        ready_text=ReadyText.FAILED, ready_text_detail=reason[:200]
    )


def _ready_text_done(appointment_id: int, state: str, detail: str) -> str:
    Appointment.objects.filter(pk=appointment_id, ready_text=ReadyText.SENDING).update(
        ready_text=state, ready_text_detail=detail
    )
    return state or "not ready any more"


# --- reads (get_vehicle_status) -------------------------------------------------------------------


def _status_row(appointment: Appointment, zone: Any) -> dict[str, Any]:
    status = appointment.work_status or appointment.status
    if appointment.work_status:
        label = appointment.get_work_status_display()
    else:
        label = {
            Appointment.Status.SCHEDULED: "booked, not in the shop yet",
            Appointment.Status.CONFIRMED: "booked and confirmed, not in the shop yet",
            Appointment.Status.ARRIVED: "in the shop; no update from the technician yet",
            Appointment.Status.COMPLETED: "work completed",
        }.get(appointment.status, appointment.get_status_display())
    promised = appointment.promised_at
    return {
        "appointment_id": appointment.pk,
        "service_type": appointment.service_type.code,
        "status": status,
        "promised_at": promised.astimezone(zone).isoformat() if promised else None,
        "note": appointment.customer_note,
        # Additions to the contract: words the agent can say as they are.
        "status_text": label,
        "start": appointment.start.astimezone(zone).isoformat(),
        "promised_spoken": say_datetime(promised, zone) if promised else None,
    }


def vehicle_status_of(*, appointment_id: int) -> list[dict[str, Any]]:
    """The one appointment's work status, as get_vehicle_status returns it."""
    appointment = Appointment.objects.select_related("service_type").filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound(f"I can't find appointment number {appointment_id}.")
    return [_status_row(appointment, shop_get().zone)]


def vehicle_status_list(
    *, customer_ids: list[int], now: datetime | None = None, include_test: bool = False
) -> list[dict[str, Any]]:
    """Those customers' cars in the shop now (waiting for parts, in progress, ready), then their
    appointments of the last week and the coming month; never cancelled ones or no-shows. Test
    bookings (made on browser test calls) only with `include_test` (on a test call)."""
    now = now or timezone.now()
    bookings = Appointment.objects.all() if include_test else Appointment.objects.real()
    rows = (
        bookings.filter(customer_id__in=customer_ids)
        .exclude(status__in=(Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW))
        .filter(Q(work_status__in=IN_SHOP) | Q(start__gte=now - RECENT, start__lte=now + SOON))
        .select_related("service_type")
        .order_by("start")
    )
    in_shop = [a for a in rows if a.work_status in IN_SHOP]
    others = [a for a in rows if a.work_status not in IN_SHOP]
    zone = shop_get().zone
    return [_status_row(a, zone) for a in (in_shop + others)[:STATUS_LIMIT]]
