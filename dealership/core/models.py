from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Heartbeat(models.Model):
    """The last sign of life of a background process: "worker" (a thread in every Celery worker) and
    "beat" (a task beat schedules every minute). Read by dealership.core.checks."""

    name = models.CharField(max_length=20, primary_key=True)
    at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True, help_text="Which host and process.")

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class Alert(models.Model):
    """One incident told to the shop's people (dealership.core.alerts): an urgent callback, a safety
    call, the receptionist failing, identity checks paused. `key` names the incident, so it is told once."""

    class Kind(models.TextChoices):
        URGENT_CALLBACK = "urgent_callback", "urgent callback"
        SAFETY_CALL = "safety_call", "safety call"
        RECEPTIONIST_FAILING = "receptionist_failing", "receptionist failing"
        VERIFICATION_PAUSED = "verification_paused", "identity checks paused"
        CALLER_GUESSING = "caller_guessing", "a number guessing identities"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        PARTLY_SENT = "partly_sent", "partly sent"
        FAILED = "failed"
        NO_RECIPIENTS = "no_recipients", "no one to tell"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Not before this (the end of the shop's quiet hours, or a retry's backoff).
    send_after = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery = models.JSONField(default=dict, blank=True, help_text="What each recipient's delivery did.")
    # Fixed at the first attempt actually sent (after quiet hours), so a retry across a shift change still
    # goes to the same people: ["sms:+1312…", "email:dana@…"]. Null until then.
    recipients = models.JSONField(
        null=True, blank=True, help_text="Who this alert goes to, settled when it was first sent."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
