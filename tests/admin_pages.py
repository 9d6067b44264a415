"""Every page of the admin, found from the admin site itself, and data so that each one has content.

`admin_page_paths` walks `admin.site`: the index, each app's index, the password pages, and for each
registered model its changelist, add page (if the user may add), one object's change, history and delete
pages (as permitted), and every URL the ModelAdmin adds in `get_urls` beyond Django's standard ones.
A newly registered model or custom admin view is visited without touching this file; one with no
object to open, or a custom URL whose arguments cannot be filled, fails the test with what to add.
"""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, Group, Permission, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from crm.models import ServiceRecord
from crm.verification_attempts import MAX_FAILED_PER_CUSTOMER, MAX_FAILED_WITHHELD, verification_failed
from reminders.models import ConsentEvent, Reminder, ReminderAttempt
from scheduling.models import BusyBlock, CalendarSyncState, Closure, ShopAnswer, WorkStatus
from tests.fakes.fake_twilio import two_channel_wav
from voice.models import (
    Call,
    CallbackRequest,
    CallControl,
    DutyShift,
    Handoff,
    Recording,
    StaffProfile,
    ToolCall,
    TransferNumber,
    Turn,
)

STANDARD_URL_SUFFIXES = ("changelist", "add", "history", "delete", "change")
# URL arguments a custom admin view may take, filled with the primary key of the model's sample object.
OBJECT_ARGUMENTS = ("object_id", "id", "pk")
# Custom admin URLs that only take a POST (a form's target or a confirmation step): no page to visit.
POST_ONLY = {
    "crm_customer_process_import",
    "scheduling_appointment_outcome",
    "voice_callbackrequest_mark_handled",
}
# Pages on the admin site itself (not a ModelAdmin), with the permission that opens them.
SITE_PAGES = {"dashboard": "voice.view_dashboard", "setup": "voice.configure_telephony"}


@pytest.fixture
def admin_sample_data(shop, catalog, customer, make_appointment) -> None:
    """At least one row behind every admin page, with the related rows its change page shows (a call's
    transcript, tool calls and latency; an appointment's reminder and attempts)."""
    now = timezone.now()
    vehicle = customer.vehicles.get()
    tomorrow_nine = (now + timedelta(days=1)).astimezone(shop.zone).replace(hour=9, minute=0, second=0)
    appointment = make_appointment(
        customer,
        tomorrow_nine,
        vehicle=vehicle,
        calendar_event_id="evt1",
        work_status=WorkStatus.WAITING_PARTS,
        promised_at=tomorrow_nine + timedelta(days=1),
        customer_note="The brake pads arrive Tuesday morning.",
    )
    ShopAnswer.objects.create(topic="Loaner cars", answer="No loaners; a free shuttle within 5 miles.")
    ServiceRecord.objects.create(
        vehicle=vehicle,
        date=date(2025, 3, 4),
        service_type=catalog["oil_change"],
        mileage=41_200,
        cost=Decimal("49.99"),
    )
    Closure.objects.create(date=(now + timedelta(days=20)).date(), reason="Staff training")
    BusyBlock.objects.create(
        start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1), summary="Lift"
    )
    CalendarSyncState.objects.create(calendar_id="shop@example.com", last_error="HTTP 503 from Google")

    call = Call.objects.create(
        call_sid="CA" + "0" * 32,
        from_number=customer.phone,
        to_number=shop.phone_number,
        customer=customer,
        status=Call.Status.COMPLETED,
        outcome=Call.Outcome.BOOKED,
        engine="cascade",
        language="es",  # the language column and the callback's "(Spanish)" in the width checks
        started_at=now - timedelta(minutes=5),
        ended_at=now - timedelta(minutes=2),
        duration_seconds=180,
    )
    Turn.objects.create(
        call=call, seq=1, role=Turn.Role.AGENT, text="Lakeside Auto, how can I help?", started_at=now
    )
    caller = Turn.objects.create(
        call=call, seq=2, role=Turn.Role.CALLER, text="An oil change tomorrow.", started_at=now, stt_ms=180
    )
    Turn.objects.create(
        call=call,
        seq=3,
        role=Turn.Role.AGENT,
        text="I have nine tomorrow morning, or ten.",
        interrupted=True,
        heard_text="I have nine",
        started_at=now,
        llm_first_token_ms=420,
        tts_first_byte_ms=150,
        response_ms=800,
    )
    ToolCall.objects.create(
        call=call,
        turn=caller,
        name="check_availability",
        arguments={"service_type": "oil_change"},
        duration_ms=12,
    )
    callback = CallbackRequest.objects.create(
        call=call, customer=customer, phone=customer.phone, reason="Price of brakes"
    )
    # A browser test call (the test-call page, /admin/voice/call/test-call/, is found from get_urls).
    Call.objects.create(
        call_sid="TC" + "0" * 32,
        from_number="+13125550142",
        status=Call.Status.COMPLETED,
        engine="cascade",
        started_at=now - timedelta(minutes=9),
        is_test=True,
    )
    Handoff.objects.create(
        call=call,
        number="+13125550199",
        reason="Price of brakes",
        summary=f"{customer.name}: Price of brakes.",
        result=Handoff.Result.NO_ANSWER,
        dial_status="no-answer",
        callback_request=callback,
    )

    # Take-overs: an advisor's own phone, the shop's transfer list, one take-over recorded on the call.
    advisor = User.objects.create_user("advisor-sample", is_staff=True)
    StaffProfile.objects.create(user=advisor, phone="+13125550199")
    # The on-duty rota: the advisor on weekday evenings, past midnight.
    DutyShift.objects.create(user=advisor, days="01234", starts=time(18, 0), ends=time(7, 0))
    TransferNumber.objects.create(label="Parts desk", phone="+13125550142")
    CallControl.objects.create(
        call=call, user=advisor, action=CallControl.Action.SAY, text="One moment, please."
    )
    # The call's recording, in the shop's storage: the call page shows its player.
    Recording.objects.create(
        call=call,
        recording_sid="RE" + "0" * 32,
        status=Recording.Status.STORED,
        file=default_storage.save("recordings/sample.wav", ContentFile(two_channel_wav(2))),
        content_type="audio/x-wav",
        duration_seconds=2,
        channels=2,
    )

    reminder = Reminder.objects.create(appointment=appointment, due_at=now + timedelta(hours=3))
    ReminderAttempt.objects.create(
        reminder=reminder, kind=ReminderAttempt.Kind.CALL, started_at=now, to_number=customer.phone, call=call
    )
    ConsentEvent.objects.create(
        customer=customer,
        phone=customer.phone,
        action=ConsentEvent.Action.OPT_OUT,
        scope=ConsentEvent.Scope.SMS,
        source="sms_keyword",
        detail="STOP",
        at=now,
    )

    # Identity checks paused by misses from many numbers: the customer page shows the note and its
    # "Lift the pause" button, which leads to the confirmation page.
    for n in range(MAX_FAILED_PER_CUSTOMER):
        verification_failed(caller_phone=f"+131255501{n:02d}", customer_id=customer.pk)
    # Hidden numbers stopped shop-wide: Today warns, and its link opens the page that clears them.
    for _ in range(MAX_FAILED_WITHHELD):
        verification_failed(caller_phone="anonymous", customer_id=customer.pk)

    Group.objects.create(name="Service advisors").permissions.add(
        *Permission.objects.filter(content_type__app_label="scheduling")
    )
    crontab = CrontabSchedule.objects.create(minute="*/5")
    IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    SolarSchedule.objects.create(event="sunrise", latitude=Decimal("41.88"), longitude=Decimal("-87.63"))
    ClockedSchedule.objects.create(clocked_time=now + timedelta(days=1))
    PeriodicTask.objects.create(name="Pull calendar", task="scheduling.tasks.calendar_pull", crontab=crontab)


def admin_page_paths(user: AbstractBaseUser) -> list[str]:
    """Every GET page of the admin this user may open, as absolute paths."""
    request = RequestFactory().get("/admin/")
    request.user = user
    site = admin.site
    paths = [reverse("admin:index"), reverse("admin:password_change"), reverse("admin:password_change_done")]
    paths += [reverse("admin:app_list", args=[label]) for label in sorted(_app_labels())]
    paths += [reverse(f"admin:{name}") for name, perm in SITE_PAGES.items() if user.has_perm(perm)]
    missing: list[str] = []
    for model, model_admin in site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        if not model_admin.has_view_or_change_permission(request):
            continue
        paths.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"{name}_add"))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None:
            missing.append(f"{opts.label}: no object for its change page (add one in admin_sample_data)")
            continue
        paths.append(reverse(f"{name}_change", args=[obj.pk]))
        paths.append(reverse(f"{name}_history", args=[obj.pk]))
        if model_admin.has_delete_permission(request, obj):  # the confirmation page: a GET deletes nothing
            paths.append(reverse(f"{name}_delete", args=[obj.pk]))
        for pattern in _custom_urls(model_admin):
            arguments = _arguments(pattern)
            unknown = [argument for argument in arguments if argument not in OBJECT_ARGUMENTS]
            if pattern.name in POST_ONLY:
                continue
            if pattern.name is None or unknown:
                missing.append(
                    f"{opts.label}: cannot open custom admin URL {pattern.pattern} ({unknown or 'no name'})"
                )
                continue
            paths.append(
                reverse(f"admin:{pattern.name}", kwargs={argument: obj.pk for argument in arguments})
            )
    assert not missing, "admin pages the browser test cannot reach:\n" + "\n".join(missing)
    return paths


def _app_labels() -> set[str]:
    return {model._meta.app_label for model in admin.site._registry}


def _custom_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    opts = model_admin.model._meta
    standard = {f"{opts.app_label}_{opts.model_name}_{suffix}" for suffix in STANDARD_URL_SUFFIXES}
    return [
        pattern
        for pattern in model_admin.get_urls()
        # The one unnamed standard pattern: "<path:object_id>/" redirects to the change page.
        if pattern.name not in standard
        and pattern.name not in POST_ONLY
        and str(pattern.pattern) != "<path:object_id>/"
    ]


def _arguments(pattern: URLPattern) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters is not None:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)
