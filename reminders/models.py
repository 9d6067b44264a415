"""Reminders for appointments, every attempt to deliver one, and the evidence of contact consent."""

from django.db import models

from dealership.core.models import TimeStampedModel


class Reminder(TimeStampedModel):
    """One reminder of one appointment ("the day before"), delivered by a call, a retry, then a text.

    A worker takes a reminder with a conditional UPDATE (pending → sending, with a fresh claim token),
    so two dispatchers, a repeated beat tick or a restarted worker can never deliver it twice.
    """

    class Kind(models.TextChoices):
        DAY_BEFORE = "day_before", "day before"

    class Channel(models.TextChoices):
        CALL = "call"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending", "sending (claimed by a worker)"
        CALLING = "calling", "call placed, waiting for its outcome"
        DELIVERED = "delivered"
        SKIPPED = "skipped"
        CANCELLED = "cancelled"
        FAILED = "failed"
        REVIEW = "review", "needs review"
        # Telephony (Twilio) is not configured: held, not failed; released when it is (services.waiting).
        WAITING = "waiting", "waiting for telephony"

    FINAL_STATUSES = (Status.DELIVERED, Status.SKIPPED, Status.CANCELLED, Status.FAILED)

    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DAY_BEFORE)
    channel = models.CharField(max_length=4, choices=Channel.choices, default=Channel.CALL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_reason = models.CharField(max_length=300, blank=True, help_text="Why it is in this state.")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    calls_placed = models.PositiveSmallIntegerField(default=0)
    provider_errors = models.PositiveSmallIntegerField(
        "phone service failures",
        default=0,
        help_text="Tries in a row the phone service could not place (back to 0 after any delivery).",
    )
    customer_zone = models.CharField(
        "customer's time zone",
        max_length=120,
        blank=True,
        help_text="Where the customer is: reminder calls go out only in the calling hours there.",
    )
    zone_source = models.CharField(
        "time zone from", max_length=20, blank=True, help_text="The address, the area code or the shop."
    )
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField("sending started at", null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="reminder_one_per_appointment_kind")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_status_due")]
        permissions = [("send_reminder", "Can send a reminder now (call or text the customer)")]

    def __str__(self) -> str:
        return f"Reminder for appointment #{self.appointment_id} ({self.get_status_display()})"


class ReminderAttempt(models.Model):
    """One call or text sent for a reminder: when, to whom, what happened, and under which script."""

    class Kind(models.TextChoices):
        CALL = "call"
        SMS = "sms", "SMS"

    class Outcome(models.TextChoices):
        SENDING = "sending", "sending"
        PLACED = "placed", "call placed"
        HUMAN = "human", "answered by a person"
        VOICEMAIL = "voicemail", "voicemail left"
        NO_ANSWER = "no_answer", "no answer"
        BUSY = "busy"
        FAILED = "failed", "call failed"
        CANCELED = "canceled", "call canceled"
        COMPLETED = "completed", "answered, call ended"
        SMS_SENT = "sms_sent", "text sent"
        REFUSED = "refused", "refused by policy"
        PROVIDER_ERROR = "provider_error", "provider error"
        UNKNOWN = "unknown", "unknown (worker stopped mid-send)"

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="attempts")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    started_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SENDING)
    detail = models.CharField(max_length=300, blank=True)
    to_number = models.CharField(max_length=20, blank=True)
    provider_sid = models.CharField(
        "phone service reference",
        max_length=64,
        blank=True,
        db_index=True,
        help_text="The call's or text's ID at the phone service (quote it when asking them for help).",
    )
    call = models.ForeignKey(
        "voice.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="reminder_attempts"
    )
    answered_by = models.CharField(
        "answered by",
        max_length=30,
        blank=True,
        help_text="A person or an answering machine, as the phone line detected it.",
    )
    customer_local_time = models.CharField(
        max_length=80, blank=True, help_text="The wall-clock time at the customer when it was sent."
    )
    script_version = models.CharField(max_length=40, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M} UTC: {self.get_outcome_display()}"


class ConsentEvent(models.Model):
    """Evidence of a contact opt-out or opt-in: when, how, through which call or message."""

    class Action(models.TextChoices):
        OPT_OUT = "opt_out", "opted out"
        OPT_IN = "opt_in", "opted in"

    class Scope(models.TextChoices):
        CALLS = "calls"
        SMS = "sms", "texts"
        ALL = "all", "calls and texts"

    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="consent_events"
    )
    phone = models.CharField(max_length=20, blank=True, db_index=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    source = models.CharField(
        max_length=30,
        help_text="How it was asked: a word in a text (STOP), a key pressed or words said on a call, "
        "or by staff.",
    )
    detail = models.CharField(max_length=200, blank=True, help_text="The keyword or words used.")
    call = models.ForeignKey(
        "voice.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="consent_events"
    )
    message_sid = models.CharField("text message ID", max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of {self.get_scope_display()} via {self.source}"
