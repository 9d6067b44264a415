"""Staff-only writes the booking services don't cover: moving an appointment through its day
(confirmed → arrived → completed, or no-show) and editing details that use no capacity."""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from crm.models import Vehicle
from dealership.core.errors import ApplicationError, NotFound
from scheduling.formatting import say_datetime
from scheduling.models import Appointment, AppointmentChange
from scheduling.services import User
from scheduling.shop import shop_get

logger = logging.getLogger(__name__)

Status = Appointment.Status
# Cancelling has its own service (it frees capacity and keeps a reason); these steps never add load.
STATUS_STEPS: dict[str, tuple[str, ...]] = {
    Status.SCHEDULED: (Status.CONFIRMED, Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW),
    Status.CONFIRMED: (Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW),
    Status.ARRIVED: (Status.COMPLETED,),
}


def status_choices_for(status: str) -> list[tuple[str, str]]:
    """The statuses an advisor may pick for an appointment that is now `status` (itself first)."""
    allowed = (status, *STATUS_STEPS.get(status, ()))
    return [(value, label) for value, label in Status.choices if value in allowed]


def _locked(appointment_id: int) -> Appointment:
    appointment = Appointment.objects.select_for_update().filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound(f"I can't find appointment number {appointment_id}.")
    return appointment


def _user_or_none(user: User | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def appointment_status_set(
    *, appointment_id: int, status: str, user: User | None, now: datetime | None = None
) -> Appointment:
    """Record an advisor's status step (see STATUS_STEPS) with a history row.

    Raises ApplicationError when the step isn't allowed from the current status, or when a
    no-show is recorded before the appointment has even started."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment_id)
        old = appointment.status
        if status == old:
            return appointment
        if status not in Status.values:
            raise ApplicationError(f"'{status}' isn't an appointment status.")
        if status not in STATUS_STEPS.get(old, ()):
            raise ApplicationError(
                f"Appointment {appointment_id} is {appointment.get_status_display().lower()}; "
                f"it can't be marked {Status(status).label.lower()}."
            )
        if status == Status.NO_SHOW and appointment.start > now:
            raise ApplicationError(
                f"Appointment {appointment_id} hasn't started yet; it can be marked a no-show after "
                f"{say_datetime(appointment.start, shop_get().zone)}."
            )
        appointment.status = status
        appointment.save(update_fields=["status", "updated_at"])
        AppointmentChange.objects.create(
            appointment=appointment,
            kind=AppointmentChange.Kind.STATUS,
            channel=Appointment.Channel.STAFF,
            user=_user_or_none(user),
            detail=f"{Status(old).label.lower()} → {Status(status).label.lower()}",
        )
    logger.info("appointment %s status %s -> %s by staff", appointment_id, old, status)
    return appointment


def appointment_details_update(
    *, appointment_id: int, vehicle: Vehicle | None, notes: str, user: User | None
) -> Appointment:
    """Change the vehicle or the advisor's notes; neither affects capacity."""
    with transaction.atomic():
        appointment = _locked(appointment_id)
        if vehicle is not None and vehicle.customer_id != appointment.customer_id:
            raise ApplicationError("That vehicle belongs to a different customer.")
        changed = []
        if appointment.vehicle_id != (vehicle.pk if vehicle else None):
            appointment.vehicle = vehicle
            changed.append("vehicle")
        if appointment.notes != notes:
            appointment.notes = notes
            changed.append("notes")
        if changed:
            appointment.save(update_fields=[*changed, "updated_at"])
            logger.info("appointment %s %s edited by staff", appointment_id, "/".join(changed))
    return appointment
