from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from timezone_field import TimeZoneField

from dealership.core.models import TimeStampedModel
from scheduling.formatting import clock


class Shop(TimeStampedModel):
    """The one shop this deployment answers for: identity, time zone and capacity rules."""

    name = models.CharField(max_length=120, default="Our Service Center")
    phone_number = models.CharField(
        "shop phone number",
        max_length=20,
        blank=True,
        help_text="The number customers call back, read out in reminder calls. Type it as you would dial "
        "it, e.g. (312) 555-0147.",
    )
    timezone = TimeZoneField(default="America/Chicago")
    phone_region = models.CharField(
        max_length=2, default="US", help_text="Default region for phone numbers typed without +country."
    )
    greeting = models.CharField(
        max_length=300,
        blank=True,
        help_text="Optional extra sentence after the automated-assistant disclosure.",
    )
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, choices=[(15, "15 minutes"), (30, "30 minutes"), (60, "60 minutes")]
    )
    min_notice_minutes = models.PositiveIntegerField(
        "shortest notice (minutes)",
        default=120,
        help_text="How soon from now the earliest bookable time may be, e.g. 120 = at least two hours ahead.",
    )
    horizon_days = models.PositiveSmallIntegerField(
        "book how far ahead (days)",
        default=60,
        validators=[MaxValueValidator(365)],
        help_text="Customers may book up to this many days from today.",
    )
    per_slot_capacity = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1)], help_text="Drop-off write-ups per slot."
    )
    waiter_capacity = models.PositiveSmallIntegerField(
        default=2, help_text="Waiter jobs in the shop at the same time (bays for waiters)."
    )
    daily_capacity = models.PositiveSmallIntegerField(
        default=24, help_text="Appointments per day, all kinds."
    )
    technician_minutes_per_day = models.PositiveIntegerField(
        "technician time per day (minutes)",
        default=4 * 8 * 60,
        help_text="Work minutes all technicians together can sell in a day, e.g. 4 technicians x 8 hours = "
        "1920.",
    )
    reminder_window_start = models.TimeField(default=time(9, 0))
    reminder_window_end = models.TimeField(default=time(20, 0))
    # Call recording (voice.recordings): on by default, the greeting already discloses it.
    recording_enabled = models.BooleanField(
        "record calls", default=True, help_text="Record both sides of every call (two channels)."
    )
    recording_consent_required = models.BooleanField(
        "ask before recording",
        default=False,
        help_text='Two-party-consent states: the assistant asks "is that OK?" and records only after '
        "the caller agrees.",
    )
    recording_delete_at_twilio = models.BooleanField(
        "delete the phone service's copy",
        default=True,
        help_text="Once the audio is in the shop's own storage, delete the copy the phone service (Twilio) "
        "keeps.",
    )
    recording_retention_days = models.PositiveIntegerField(
        "keep recordings for (days)",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Older recordings are deleted automatically.",
    )
    recording_objection_keeps = models.CharField(
        "when a caller objects to recording",
        max_length=10,
        choices=[
            ("transcript", "keep the written transcript"),
            ("summary", "keep only the summary and outcome"),
            ("nothing", "keep nothing of what was said"),
        ],
        # Where every party must consent (California, Illinois, Florida...), a word-for-word transcript
        # of someone who said "don't record me" is the record they refused; a summary is a note.
        default="summary",
        help_text="Applied when the call ends; the call's outcome, bookings and messages are always kept.",
    )
    # Alerts (dealership.core.alerts): urgent callbacks, safety calls, the receptionist failing.
    alert_channel = models.CharField(
        "send alerts by",
        max_length=5,
        choices=[("", "off"), ("sms", "text message"), ("email", "email"), ("both", "text and email")],
        default="email",
        blank=True,
    )
    alert_to = models.CharField(
        "alert whom",
        max_length=8,
        choices=[
            ("listed", "the people listed below"),
            ("on_duty", "whoever is on duty now (the people below when nobody is)"),
            ("both", "whoever is on duty now and the people listed below"),
        ],
        default="listed",
        help_text="Who is on duty: Shop settings → On-duty rota. With no one to tell, the owners are told.",
    )
    alert_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="staff to alert",
        help_text="Alerts by email go to these staff members' email addresses.",
    )
    alert_emails = models.CharField(
        "other email addresses",
        max_length=500,
        blank=True,
        help_text="Comma-separated, e.g. owner@example.com, desk@example.com.",
    )
    alert_phones = models.CharField(
        "phones for text alerts",
        max_length=300,
        blank=True,
        help_text="Comma-separated mobile numbers, e.g. (312) 555-0147, +17735550100.",
    )
    alert_quiet_start = models.TimeField(
        "quiet hours from", null=True, blank=True, help_text="Shop time; alerts wait until quiet hours end."
    )
    alert_quiet_end = models.TimeField("quiet hours until", null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(str(self.timezone))


class BusinessHours(models.Model):
    """Weekly opening hours in shop-local wall-clock time. Several rows per weekday = split shifts."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="hours_open_before_close"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {clock(self.opens)}–{clock(self.closes)}"


class Closure(models.Model):
    """A holiday or a closed stretch of one local date (whole day when no times are given)."""

    date = models.DateField(db_index=True)
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date", "starts"]

    def __str__(self) -> str:
        if self.is_full_day:
            return f"{self.date} closed ({self.reason})" if self.reason else f"{self.date} closed"
        span = "–".join(clock(t) if t else "?" for t in (self.starts, self.ends))
        return f"{self.date} {span} closed"

    @property
    def is_full_day(self) -> bool:
        return self.starts is None and self.ends is None

    def clean(self) -> None:
        if (self.starts is None) != (self.ends is None):
            raise ValidationError("Give both a start and an end time, or neither for a full-day closure.")
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValidationError("The closure must end after it starts.")


class BusyBlock(models.Model):
    """Time the shop is busy outside our appointment book (e.g. an event only in Google Calendar)."""

    start = models.DateTimeField()
    end = models.DateTimeField()
    source = models.CharField(max_length=30, default="google")
    external_id = models.CharField(max_length=255, blank=True)
    summary = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["start", "end"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="busyblock_unique_external",
            )
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.start)  # the shop's zone in the admin (ShopTimeZoneMiddleware)
        return f"{self.summary or 'Busy'} {start:%Y-%m-%d} {clock(start)}"


class ServiceType(TimeStampedModel):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, help_text="How the agent says it.")
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated words callers use.")
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5)])
    price = models.DecimalField(max_digits=8, decimal_places=2)
    price_is_from = models.BooleanField(default=False, help_text="Quote as 'from $X'.")
    bookable_by_ai = models.BooleanField(
        "the AI may book it",
        default=True,
        help_text="Off: the AI receptionist does not book it on calls; staff still can here.",
    )
    waiter_eligible = models.BooleanField("customer may wait", default=True)
    daily_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most of this service per day (blank = no limit)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarSyncStatus(models.TextChoices):
    """Where an appointment stands with Google Calendar (the appointment book stays the source of truth)."""

    OFF = "", "not synced"
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"


class WorkStatus(models.TextChoices):
    """Where the car is in the shop: separate from the booking's Status (arrived, completed, no-show),
    set by advisors and read out to the customer by get_vehicle_status."""

    NOT_SET = "", "not set"
    WAITING_PARTS = "waiting_parts", "waiting for parts"
    IN_PROGRESS = "in_progress", "in progress"
    READY = "ready", "ready for pickup"
    PICKED_UP = "picked_up", "picked up"


class ReadyText(models.TextChoices):
    """The one "ready for pickup" text per appointment: claimed once, never sent twice."""

    NONE = "", "not sent"
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker; a crash here leaves it in doubt rather than sending twice
    SENT = "sent"
    SKIPPED = "skipped"  # opted out of texts, or telephony not configured
    FAILED = "failed"


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    """`Appointment.objects.real()` is the one way to read real customers' bookings: every figure,
    reminder and what the receptionist is told starts there. `test()`: bookings made on test calls."""

    def real(self) -> "AppointmentQuerySet":
        return self.filter(is_test=False)

    def test(self) -> "AppointmentQuerySet":
        return self.filter(is_test=True)


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        CONFIRMED = "confirmed"
        ARRIVED = "arrived"
        COMPLETED = "completed"
        CANCELLED = "cancelled"
        NO_SHOW = "no_show", "no-show"

    class Transport(models.TextChoices):
        DROP_OFF = "drop_off", "drop-off"
        WAITER = "waiter"

    class Channel(models.TextChoices):
        AI_PHONE = "ai_phone", "AI phone"
        STAFF = "staff"
        WEB = "web", "web / tools API"

    ACTIVE_STATUSES = (Status.SCHEDULED, Status.CONFIRMED, Status.ARRIVED, Status.COMPLETED)

    objects = AppointmentQuerySet.as_manager()

    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="appointments")
    vehicle = models.ForeignKey(
        "crm.Vehicle", on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    local_date = models.DateField(db_index=True, help_text="Shop-local date of the start.")
    duration_minutes = models.PositiveSmallIntegerField()
    price_quoted = models.DecimalField(max_digits=8, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    transport = models.CharField(max_length=10, choices=Transport.choices, default=Transport.DROP_OFF)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.STAFF)
    notes = models.TextField(blank=True, help_text="The caller's own words and anything for the advisor.")
    capacity_override = models.BooleanField(default=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_reason = models.CharField(max_length=200, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    call = models.ForeignKey(
        "voice.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    calendar_event_id = models.CharField(max_length=255, blank=True)
    # Written by scheduling.calendar_sync with update(), so updated_at keeps meaning "the booking changed".
    calendar_sync_status = models.CharField(
        max_length=10, choices=CalendarSyncStatus.choices, blank=True, default=CalendarSyncStatus.OFF
    )
    calendar_sync_error = models.CharField(max_length=500, blank=True)
    calendar_synced_at = models.DateTimeField(null=True, blank=True)
    work_status = models.CharField(
        max_length=14, choices=WorkStatus.choices, blank=True, default=WorkStatus.NOT_SET
    )
    promised_at = models.DateTimeField(
        "promised for", null=True, blank=True, help_text="When the customer was told the car will be ready."
    )
    customer_note = models.CharField(
        "note for the customer",
        max_length=300,
        blank=True,
        help_text="Read to the customer when they ask about their car, e.g. 'the brake pads arrive Tuesday'.",
    )
    ready_text = models.CharField(
        "ready text", max_length=8, choices=ReadyText.choices, blank=True, default=ReadyText.NONE
    )
    ready_text_detail = models.CharField(max_length=200, blank=True)
    # Booked during a test call from the back office (voice test-call page): a real hold on capacity
    # until an advisor removes it, but never a real customer's booking and never in the shop's figures.
    is_test = models.BooleanField("test booking", default=False, db_index=True)
    # What the customer paid, typed by the advisor when closing the appointment (optional): the
    # dashboard's "revenue realised" next to the catalog price the AI booked.
    invoice_total = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="What the customer paid (optional), asked when the appointment is completed.",
    )

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["local_date", "status"])]
        permissions = [
            ("override_capacity", "Can book over capacity (the override is recorded)"),
            ("set_work_status", "Can set the work status (ready for pickup texts the customer)"),
        ]

    def __str__(self) -> str:
        # Admin pages activate the shop's zone, so localtime() reads as the advisor expects.
        return f"#{self.pk} {self.service_type} {timezone.localtime(self.start):%a %b %-d %-I:%M %p}"


class AppointmentChange(models.Model):
    """History of an appointment: booked, moved, cancelled, with who or what did it."""

    class Kind(models.TextChoices):
        BOOKED = "booked"
        RESCHEDULED = "rescheduled"
        CANCELLED = "cancelled"
        STATUS = "status"
        WORK = "work", "work status"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=10, choices=Appointment.Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    old_start = models.DateTimeField(null=True, blank=True)
    new_start = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{self.get_kind_display()} {at:%Y-%m-%d} {clock(at)}"


class ScheduleDay(models.Model):
    """One row per shop-local date that has bookings; booking locks these rows (SELECT FOR UPDATE)
    so that two transactions can never both take the last unit of capacity on the same day."""

    date = models.DateField(primary_key=True)

    def __str__(self) -> str:
        return str(self.date)


class CalendarSyncState(models.Model):
    """Where the Google Calendar pull left off, one row per calendar id: the incremental sync token and the
    last outcome, so advisors can see in the admin whether busy time from Google is current."""

    calendar_id = models.CharField(max_length=255, unique=True)
    sync_token = models.TextField(blank=True, help_text="Google's nextSyncToken; empty = full resync next.")
    last_pull_at = models.DateTimeField(null=True, blank=True, help_text="Last successful pull.")
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Google Calendar sync"
        permissions = [("sync_calendar", "Can resync and push appointments to Google Calendar")]

    def __str__(self) -> str:
        return self.calendar_id


class AppointmentCalendarSync(Appointment):
    """The appointment book seen from the Google Calendar side (sync status and errors) in the admin."""

    class Meta:
        proxy = True
        verbose_name = "appointment calendar sync"
        verbose_name_plural = "appointment calendar sync"


class RulesVersion(models.Model):
    """One row whose token changes, in the same transaction, whenever the shop's rules change (Shop,
    BusinessHours, Closure, ServiceType). Database triggers write it (migration 0004), so every write path
    counts: admin, queryset.update(), bulk_create(), raw SQL, another process. scheduling.rules_cache
    compares it to decide whether its per-process copy of the rules is still current."""

    token = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.token)


class ShopAnswer(TimeStampedModel):
    """One thing the shop wants callers told (loaners, payment, towing, directions...). The active ones
    go into the agent's instructions at the start of every call (voice.agent.knowledge)."""

    topic = models.CharField(
        "question or topic",
        max_length=120,
        unique=True,
        help_text="What a caller would ask about, e.g. 'Loaner cars and shuttle'.",
    )
    answer = models.TextField(
        max_length=600, help_text="What the assistant may tell callers, in plain sentences (600 characters)."
    )
    active = models.BooleanField(default=True, help_text="Only active answers are given to the assistant.")
    ordering = models.PositiveSmallIntegerField(default=100, help_text="Lower numbers come first.")

    class Meta:
        ordering = ["ordering", "topic"]
        verbose_name = "shop knowledge answer"
        verbose_name_plural = "shop knowledge"

    def __str__(self) -> str:
        return self.topic
