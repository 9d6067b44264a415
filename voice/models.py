import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from dealership.core.models import TimeStampedModel


def _new_stream_token() -> str:
    return secrets.token_urlsafe(24)


def _new_handoff_token() -> str:
    return secrets.token_urlsafe(24)


class CallQuerySet(models.QuerySet["Call"]):
    """`Call.objects.real()` is the one way to read calls placed by real callers: every figure, list
    and check about real people starts there. `test()` is the back office's test calls only."""

    def real(self) -> "CallQuerySet":
        return self.filter(is_test=False)

    def test(self) -> "CallQuerySet":
        return self.filter(is_test=True)


class Call(TimeStampedModel):
    """One phone call, inbound or outbound: who, how it went, and what was said and done."""

    objects = CallQuerySet.as_manager()

    class Direction(models.TextChoices):
        INBOUND = "inbound"
        OUTBOUND = "outbound"

    class Status(models.TextChoices):
        RINGING = "ringing"
        IN_PROGRESS = "in_progress", "in progress"
        COMPLETED = "completed"
        BUSY = "busy"
        NO_ANSWER = "no_answer", "no answer"
        CANCELED = "canceled"
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

    class RecordingConsent(models.TextChoices):
        UNKNOWN = "", "not yet disclosed"
        DISCLOSED = "disclosed", "disclosed, caller stayed on"
        DECLINED = "declined", "caller objected"

    class Urgency(models.TextChoices):
        NONE = "", "—"
        ROUTINE = "routine"
        SOON = "soon"
        SAFETY = "safety", "safety issue"

    class Sentiment(models.TextChoices):
        NONE = "", "—"
        POSITIVE = "positive"
        NEUTRAL = "neutral"
        NEGATIVE = "negative"

    FINAL_STATUSES = (Status.COMPLETED, Status.BUSY, Status.NO_ANSWER, Status.CANCELED, Status.FAILED)

    call_sid = models.CharField(
        "call ID",
        max_length=64,
        unique=True,
        help_text="The phone service's ID for this call (quote it for support).",
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    from_number = models.CharField(max_length=20, blank=True)
    to_number = models.CharField(max_length=20, blank=True)
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RINGING)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    engine = models.CharField(
        "voice set-up",
        max_length=20,
        blank=True,
        help_text="Which of the AI receptionist's set-ups took the call.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    answered_by = models.CharField(
        "answered by",
        max_length=30,
        blank=True,
        help_text="A person or an answering machine, as the phone line detected it.",
    )
    recording_consent = models.CharField(
        max_length=10, choices=RecordingConsent.choices, blank=True, default=""
    )
    stream_sid = models.CharField(max_length=64, blank=True)
    # A per-call secret passed to the media stream as a <Parameter>: a stream must present it, so
    # knowing a CallSid (they appear in logs and URLs) is not enough to attach to a call.
    stream_token = models.CharField(max_length=64, default=_new_stream_token, editable=False)
    # Set when a media stream claims the token (voice.stream_tokens): a token starts one session.
    stream_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    # One urgency per call: set live when the caller reports an unsafe car, else by the summary.
    urgency = models.CharField(max_length=8, choices=Urgency.choices, blank=True, default="", db_index=True)
    # The post-call summary (voice.summaries); empty until the LLM has answered.
    summary = models.TextField(blank=True, help_text="Two sentences written by the AI after the call.")
    reason_for_calling = models.CharField(max_length=300, blank=True)
    vehicle_mentioned = models.CharField(max_length=200, blank=True)
    service_wanted = models.CharField(max_length=200, blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True, default="")
    follow_up_needed = models.BooleanField(
        "follow-up needed",
        default=False,
        db_index=True,
        help_text="Someone at the shop should act on this call.",
    )
    follow_up_reason = models.CharField(max_length=300, blank=True)
    summarized_at = models.DateTimeField(null=True, blank=True)
    # The summary's bookkeeping (voice.summaries, voice.recordings.transcript): when it was last queued
    # and how many times, so the hourly sweep asks again a bounded number of times; whether the LLM
    # refused it for good (no key, a 4xx, a refusal: asking again cannot help); and until when one task
    # holds the LLM request, so a duplicate task does not ask a second time.
    summary_requested_at = models.DateTimeField(null=True, blank=True)
    summary_attempts = models.PositiveSmallIntegerField(default=0)
    summary_failed_permanently = models.BooleanField(default=False)
    summary_lease_until = models.DateTimeField(null=True, blank=True)
    # Set when the caller objected to recording and the shop's policy removed what was said
    # (voice.recordings.transcript): the call page says so instead of showing an empty transcript.
    transcript_removed_at = models.DateTimeField(null=True, blank=True)
    transcript_removed_reason = models.CharField(max_length=200, blank=True)
    # A call placed from the back office's test-call page, not by a real caller: hidden from the call
    # list and left out of every figure by default.
    is_test = models.BooleanField("test call", default=False, db_index=True)
    # The language the caller spoke ("en", "es"), as detected on the call; empty until known.
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The dashboard reads calls by when they rang (its default view: the last 30 days).
        indexes = [models.Index(fields=["started_at"], name="voice_call_started_at")]
        permissions = [
            ("place_test_call", "Can talk to the receptionist from the browser (test calls)"),
            # The owner's dashboard (insights) is mostly about calls; it also shows revenue, so it is
            # its own permission rather than view_call, which every advisor has.
            ("view_dashboard", "Can view the dashboard (calls, outcomes, revenue, latency)"),
        ]

    def __str__(self) -> str:
        # The admin sets display_title (voice.admin.call_title: number and shop time) on the call it shows;
        # elsewhere (logs, tracebacks, the async call path) no database read and no phone number.
        return getattr(self, "display_title", "") or f"{self.get_direction_display()} call {self.call_sid}"


class Turn(models.Model):
    """One thing said on a call, in order, with what the caller actually heard and how long it took."""

    class Role(models.TextChoices):
        CALLER = "caller"
        AGENT = "agent"
        SYSTEM = "system"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turns")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=6, choices=Role.choices)
    text = models.TextField(blank=True)
    interrupted = models.BooleanField(default=False)
    heard_text = models.TextField(
        blank=True, help_text="For an interrupted agent turn: the part the caller heard."
    )
    started_at = models.DateTimeField()
    stt_ms = models.PositiveIntegerField(
        "words understood (ms)",
        null=True,
        blank=True,
        help_text="From the caller stopping to their words as text.",
    )
    llm_first_token_ms = models.PositiveIntegerField("AI starts its answer (ms)", null=True, blank=True)
    tts_first_byte_ms = models.PositiveIntegerField("voice starts (ms)", null=True, blank=True)
    response_ms = models.PositiveIntegerField(
        "reply time (ms)",
        null=True,
        blank=True,
        help_text="From the caller stopping to the receptionist speaking.",
    )

    class Meta:
        ordering = ["call", "seq"]
        constraints = [models.UniqueConstraint(fields=["call", "seq"], name="voice_turn_call_seq")]
        # The dashboard's response times per day: measured turns by when they were said.
        indexes = [
            models.Index(
                fields=["started_at"],
                name="voice_turn_measured_at",
                condition=models.Q(response_ms__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} #{self.seq}"


class ToolCall(models.Model):
    """A tool the agent used during a call: what it asked, what came back, how long it took."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="tool_calls")
    turn = models.ForeignKey(
        Turn, on_delete=models.SET_NULL, null=True, blank=True, related_name="tool_calls"
    )
    name = models.CharField(max_length=64)
    arguments = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    success = models.BooleanField(default=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class CallbackRequest(models.Model):
    """A message taken for an advisor ("please call me back about …"), shown in the admin."""

    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="callback_requests"
    )
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="callback_requests"
    )
    phone = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True, help_text="The caller's message, in their words.")
    urgent = models.BooleanField(
        default=False, help_text="Call this one back first (Today lists urgent messages at the top)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    handled = models.BooleanField(default=False, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["handled", "-created_at"]

    def __str__(self) -> str:
        # The admin sets display_title (the number in national format) on the message it shows.
        plain = f"Callback for {self.name or self.phone or 'unknown caller'}"
        return getattr(self, "display_title", "") or plain


class WebhookReceipt(models.Model):
    """A Twilio event we acted on, so the same signed request sent again (a replay, or Twilio's
    retry of a request we answered) is not acted on twice. Twilio's signature carries no timestamp,
    so a captured request stays valid: receipts are kept."""

    class Kind(models.TextChoices):
        MESSAGE = "message"  # key: MessageSid
        CALL_STATUS = "call_status", "call status"  # key: CallSid:CallStatus
        REMINDER_STATUS = "reminder_status", "reminder call status"  # key: CallSid:CallStatus
        MACHINE_DETECTION = "amd", "machine detection"  # key: CallSid:AnsweredBy
        TRANSFER_RESULT = "transfer_result", "transfer result"  # key: Handoff.token
        RECORDING = "recording"  # key: RecordingSid:RecordingStatus

    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=120)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="voice_webhook_receipt_once")]
        # The set-up check (/admin/setup/) asks every provider and may rewrite the Twilio number's webhooks.
        permissions = [("configure_telephony", "Can check the set-up and point the Twilio number here")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class Handoff(models.Model):
    """One warm transfer of a live call to the advisor line: what the advisor is whispered, whether
    they pressed the key to take it, and how Twilio's <Dial> ended. When nobody took the call, the
    callback request left for advisors instead."""

    class Result(models.TextChoices):
        RINGING = "", "ringing"
        CONNECTED = "connected"
        NO_ANSWER = "no_answer", "no answer"
        BUSY = "busy"
        FAILED = "failed"
        DECLINED = "declined", "not accepted"
        CANCELED = "canceled", "caller hung up"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="handoffs")
    # Names the hand-off in the whisper and result URLs Twilio calls back (random, not the pk).
    token = models.CharField(max_length=64, unique=True, default=_new_handoff_token, editable=False)
    number = models.CharField(max_length=20, help_text="The advisor line dialled.")
    reason = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=400, help_text="What the advisor hears before accepting.")
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, blank=True, default="")
    dial_status = models.CharField(
        max_length=20, blank=True, help_text="How the advisor's line answered (answered, busy, no answer)."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    callback_request = models.ForeignKey(
        CallbackRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Claimed by the one task that texts the caller "the shop will call you back" (sent at most once).
    text_claimed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Hand-off of call {self.call_id} ({self.get_result_display()})"


# Take-over models live in their own module; importing them here makes them the voice app's.
from voice.duty_models import DutyShift  # noqa: E402, F401
from voice.takeover_models import CallControl, StaffProfile, TransferNumber  # noqa: E402, F401


def recording_upload_to(recording: "Recording", filename: str) -> str:
    return f"recordings/{recording.created_at or timezone.now():%Y/%m}/{filename}"


class Recording(models.Model):
    """The audio of a call (both sides, one channel each), from Twilio's recording to the shop's storage.

    Lifecycle: `recording` while the call is recorded, `processing` once Twilio finished it, `stored` when
    the audio is in the shop's storage (`file`), `discarded` when the caller objected, `deleted` after the
    retention or by hand (`deleted_at`, `deleted_by`), `failed` when the copy gave up.
    """

    class Status(models.TextChoices):
        RECORDING = "recording"
        PROCESSING = "processing"
        STORED = "stored"
        FAILED = "failed"
        DISCARDED = "discarded", "discarded (caller objected)"
        DELETED = "deleted"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="recordings")
    recording_sid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECORDING)
    file = models.FileField(upload_to=recording_upload_to, blank=True, max_length=200)
    content_type = models.CharField(max_length=40, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    stored_at = models.DateTimeField(null=True, blank=True)
    deleted_at_twilio = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_reason = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("listen_recording", "Can listen to call recordings")]

    def __str__(self) -> str:
        return f"Recording {self.recording_sid}"
