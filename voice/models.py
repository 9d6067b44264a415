from django.db import models

from dealership.core.models import TimeStampedModel


class Call(TimeStampedModel):
    """One phone call, inbound or outbound: who, how it went, and what was said and done."""

    class Direction(models.TextChoices):
        INBOUND = "inbound"
        OUTBOUND = "outbound"

    class Status(models.TextChoices):
        RINGING = "ringing"
        IN_PROGRESS = "in_progress", "in progress"
        COMPLETED = "completed"
        FAILED = "failed"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        BOOKED = "booked"
        RESCHEDULED = "rescheduled"
        CANCELLED = "cancelled"
        TRANSFERRED = "transferred"
        MESSAGE_TAKEN = "message_taken", "message taken"
        INFORMATION = "information"
        ABANDONED = "abandoned"

    call_sid = models.CharField(max_length=64, unique=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    from_number = models.CharField(max_length=20, blank=True)
    to_number = models.CharField(max_length=20, blank=True)
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RINGING)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    engine = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    answered_by = models.CharField(max_length=30, blank=True, help_text="Twilio AMD result.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} call {self.call_sid}"
