"""The staff groups the migrations create: an Owner may do everything on our apps' models, a Service
advisor can run the desk (book, call customers back, send reminders) but not change the shop's settings."""

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from dealership.core.groups import OUR_APPS, OWNER, SERVICE_ADVISOR
from reminders.models import Reminder
from reminders.services import reminder_schedule
from scheduling.models import Appointment, ServiceType, Shop
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.models import CallbackRequest

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO)
TUESDAY = date(2026, 11, 24)
CRUD = ("view", "add", "change")
ADVISOR_PERMISSIONS = {
    *(f"crm.{verb}_{model}" for model in ("customer", "vehicle", "servicerecord") for verb in CRUD),
    "crm.import_customers",
    "crm.lift_verification_pause",
    *(f"scheduling.{verb}_appointment" for verb in CRUD),
    "scheduling.view_appointmentchange",
    "scheduling.set_work_status",
    *(f"scheduling.{verb}_shopanswer" for verb in CRUD),
    "scheduling.view_shop",
    "scheduling.view_businesshours",
    "scheduling.view_closure",
    "scheduling.view_servicetype",
    *(f"scheduling.{verb}_busyblock" for verb in ("view", "add", "change", "delete")),
    "scheduling.view_calendarsyncstate",
    "scheduling.view_appointmentcalendarsync",
    "voice.view_call",
    "voice.place_test_call",
    "voice.take_over_call",
    "voice.view_callcontrol",
    "voice.view_transfernumber",
    *(f"voice.{verb}_staffprofile" for verb in CRUD),
    "voice.view_dutyshift",
    "voice.view_recording",
    "voice.listen_recording",
    *(f"voice.{verb}_callbackrequest" for verb in CRUD),
    *(f"reminders.{verb}_reminder" for verb in CRUD),
    "reminders.send_reminder",
    "reminders.view_reminderattempt",
    "reminders.view_consentevent",
}


def _names(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions.select_related("content_type")}


def member_of(group: str, client: Client) -> User:
    user = User.objects.create_user(group.lower().replace(" ", "_"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.fixture
def monday(settings, shop, catalog, customer, fake_twilio, eager_celery) -> Iterator[None]:  # noqa: F811
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    settings.OUTBOUND_CALL_ALLOWLIST = []
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield


@pytest.mark.django_db
def test_it_gives_the_owner_every_permission_on_our_apps():
    everything = _names(Permission.objects.filter(content_type__app_label__in=OUR_APPS))

    # A migration that adds a model or a permission must grant it (dealership.core.groups.grant).
    assert _names(Group.objects.get(name=OWNER).permissions.all()) == everything
    assert {
        "reminders.send_reminder",
        "scheduling.sync_calendar",
        "scheduling.override_capacity",
    } <= everything


@pytest.mark.django_db
def test_it_gives_a_service_advisor_the_desk_and_read_only_settings():
    assert _names(Group.objects.get(name=SERVICE_ADVISOR).permissions.all()) == ADVISOR_PERMISSIONS


@pytest.mark.django_db
def test_a_service_advisor_books_from_the_admin_add_page(
    client, monday, customer, catalog, django_capture_on_commit_callbacks
):
    member_of(SERVICE_ADVISOR, client)
    add = reverse("admin:scheduling_appointment_add")
    data = {
        "customer": customer.pk,
        "vehicle": customer.vehicles.get().pk,
        "service_type": catalog["oil_change"].pk,
        "transport": "drop_off",
        "local_day": TUESDAY.isoformat(),
        "local_time": "9:30 AM",
        "notes": "",
    }

    assert client.get(add).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(add, data)

    assert response.status_code == 302
    booked = Appointment.objects.get()
    assert booked.start == datetime(2026, 11, 24, 9, 30, tzinfo=CHICAGO)
    assert booked.changes.get().user.username == "service_advisor"


@pytest.mark.django_db
def test_a_service_advisor_marks_a_callback_handled(client, customer):
    advisor = member_of(SERVICE_ADVISOR, client)
    message = CallbackRequest.objects.create(customer=customer, phone=customer.phone, reason="Call me back")

    client.post(
        reverse("admin:voice_callbackrequest_changelist"),
        {"action": "mark_handled", "_selected_action": [message.pk]},
    )

    message.refresh_from_db()
    assert (message.handled, message.handled_by) == (True, advisor)


@pytest.mark.django_db
def test_a_service_advisor_sends_a_reminder(
    client,
    monday,
    customer,
    make_appointment,
    fake_twilio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    appointment = make_appointment(customer, datetime(2026, 11, 24, 9, 30, tzinfo=CHICAGO))
    reminder = reminder_schedule(appointment_id=appointment.pk)
    member_of(SERVICE_ADVISOR, client)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:reminders_reminder_changelist"),
            {"action": "send_now", "_selected_action": [reminder.pk]},
        )

    assert len(fake_twilio.requests_to("/Calls.json")) == 1
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.CALLING


@pytest.mark.django_db
def test_a_service_advisor_cannot_change_the_shop_settings(client, shop, catalog):
    member_of(SERVICE_ADVISOR, client)
    shop_page = reverse("admin:scheduling_shop_change", args=[shop.pk])
    oil = catalog["oil_change"]

    page = client.get(shop_page)
    edit = client.post(shop_page, {"name": "Renamed", "timezone": "UTC"})
    price = client.post(reverse("admin:scheduling_servicetype_change", args=[oil.pk]), {"price": "1.00"})

    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert (edit.status_code, price.status_code) == (403, 403)
    assert Shop.objects.get().name == "Lakeside Auto Service"
    assert ServiceType.objects.get(pk=oil.pk).price == oil.price


@pytest.mark.django_db
def test_an_owner_may_change_the_shop_settings(client, shop):
    member_of(OWNER, client)

    page = client.get(reverse("admin:scheduling_shop_change", args=[shop.pk]))

    assert page.status_code == 200 and page.context["has_change_permission"]
