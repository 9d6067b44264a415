from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from reminders.admin import reminder_changelist_url
from reminders.models import Reminder
from reminders.services import opt_out_record, reminder_deliver, reminder_schedule

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def reminder(shop, customer, make_appointment, time_machine) -> Reminder:
    time_machine.move_to(datetime(2026, 3, 10, 10, tzinfo=CHICAGO), tick=False)
    appointment = make_appointment(customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO))
    return reminder_schedule(appointment_id=appointment.pk, now=datetime(2026, 3, 9, 12, tzinfo=CHICAGO))


@pytest.mark.django_db
def test_advisors_see_each_appointments_reminder_and_its_attempts(admin_client, reminder, telephony):
    reminder_deliver(reminder_id=reminder.pk)

    listing = admin_client.get(reminder_changelist_url(reminder.appointment_id))
    detail = admin_client.get(reverse("admin:reminders_reminder_change", args=[reminder.pk]))

    assert listing.status_code == 200
    assert f"#{reminder.appointment_id} oil change" in listing.text
    assert "Dana Whitfield" in listing.text
    assert "call placed" in listing.text
    assert "Mar 11, 2026, 10:00 AM" in listing.text  # shop time, not the 3:00 PM UTC it is stored as
    assert detail.status_code == 200
    assert "2026-03-10 10:00 CDT (America/Chicago)" in detail.text
    assert "reminder-call-v1" in detail.text


@pytest.mark.django_db
def test_send_now_dials_at_once(
    admin_client, reminder, telephony, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:reminders_reminder_changelist"),
            {"action": "send_now", "_selected_action": [reminder.pk]},
            follow=True,
        )

    assert "1 reminder(s) queued to go out now." in response.text
    assert len(telephony.requests_to("/Calls.json")) == 1
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.CALLING
    assert reminder.calls_placed == 1


@pytest.mark.django_db
def test_send_now_still_respects_an_opt_out(
    admin_client, reminder, customer, telephony, eager_celery, django_capture_on_commit_callbacks
):
    opt_out_record(customer=customer, channel="all", source="admin")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:reminders_reminder_changelist"),
            {"action": "send_now", "_selected_action": [reminder.pk]},
        )

    assert telephony.requests == []
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SKIPPED


@pytest.mark.django_db
def test_consent_evidence_is_listed_and_cannot_be_edited(admin_client, customer):
    event = opt_out_record(customer=customer, channel="all", source="sms_keyword", detail="STOP")

    listing = admin_client.get(reverse("admin:reminders_consentevent_changelist"))
    edit = admin_client.post(
        reverse("admin:reminders_consentevent_change", args=[event.pk]), {"source": "admin"}
    )

    assert "sms_keyword" in listing.text and "(312) 555-0147" in listing.text
    assert edit.status_code == 403
    event.refresh_from_db()
    assert event.source == "sms_keyword"


@pytest.fixture
def delivered(reminder, telephony, eager_celery, django_capture_on_commit_callbacks) -> Reminder:
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.DELIVERED, calls_placed=1)
    return reminder


def _send_now(client, reminder: Reminder, capture, **extra):
    with capture(execute=True):
        return client.post(
            reverse("admin:reminders_reminder_changelist"),
            {"action": "send_now", "_selected_action": [reminder.pk], **extra},
        )


@pytest.mark.django_db
def test_sending_a_delivered_reminder_again_asks_first_and_sends_nothing(
    admin_client, delivered, telephony, django_capture_on_commit_callbacks
):
    response = _send_now(admin_client, delivered, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "already delivered" in response.text and "Dana Whitfield" in response.text
    assert 'name="post" value="yes"' in response.text
    assert telephony.requests == []
    delivered.refresh_from_db()
    assert delivered.status == Reminder.Status.DELIVERED


@pytest.mark.django_db
def test_a_confirmed_send_again_dials(admin_client, delivered, telephony, django_capture_on_commit_callbacks):
    _send_now(admin_client, delivered, django_capture_on_commit_callbacks, post="yes")

    assert len(telephony.requests_to("/Calls.json")) == 1
    delivered.refresh_from_db()
    assert delivered.status == Reminder.Status.CALLING


@pytest.mark.django_db
@pytest.mark.parametrize("codenames", [("view_reminder",), ("view_reminder", "change_reminder")])
def test_staff_without_the_send_permission_cannot_send(
    client, delivered, telephony, codenames, django_capture_on_commit_callbacks
):
    user = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="reminders", codename__in=codenames)
    )
    client.force_login(user)

    _send_now(client, delivered, django_capture_on_commit_callbacks, post="yes")

    assert telephony.requests == []
    delivered.refresh_from_db()
    assert delivered.status == Reminder.Status.DELIVERED


@pytest.mark.django_db
def test_staff_with_the_send_permission_can_send(
    client, delivered, telephony, django_capture_on_commit_callbacks
):
    user = User.objects.create_user("sender", password="pw-12345678", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="reminders", codename__in=["view_reminder", "send_reminder"]
        )
    )
    client.force_login(user)

    _send_now(client, delivered, django_capture_on_commit_callbacks, post="yes")

    assert len(telephony.requests_to("/Calls.json")) == 1


@pytest.mark.django_db
def test_the_list_shows_the_last_attempt_in_shop_time_and_keeps_numbers_whole(
    admin_client, reminder, telephony, time_machine
):
    reminder_deliver(reminder_id=reminder.pk)  # placed at 10:00 AM shop time on Mar 10
    time_machine.move_to(datetime(2026, 3, 11, 8, tzinfo=CHICAGO), tick=False)

    listing = admin_client.get(reverse("admin:reminders_reminder_changelist")).text

    assert "Call Tue Mar 10, 10:00 AM: call placed" in listing
    assert "UTC" not in listing and "15:00" not in listing
    assert '<span class="desk-phone">(312) 555-0147</span>' in listing


@pytest.mark.django_db
def test_the_list_puts_reminders_still_to_go_out_first(admin_client, shop, customer, make_appointment):
    def reminder_on(day: int, status: str, due: bool = True) -> Reminder:
        appointment = make_appointment(customer, datetime(2026, 3, day, 10, tzinfo=CHICAGO))
        due_at = datetime(2026, 3, day - 1, 12, tzinfo=CHICAGO) if due else None
        return Reminder.objects.create(appointment=appointment, status=status, due_at=due_at)

    delivered_early = reminder_on(2, Reminder.Status.DELIVERED)
    delivered_late = reminder_on(5, Reminder.Status.DELIVERED)
    pending_later = reminder_on(20, Reminder.Status.PENDING)
    pending_soon = reminder_on(12, Reminder.Status.PENDING)
    not_planned = reminder_on(25, Reminder.Status.PENDING, due=False)

    listed = admin_client.get(reverse("admin:reminders_reminder_changelist")).context["cl"].result_list
    assert [r.pk for r in listed] == [
        pending_soon.pk,
        pending_later.pk,
        not_planned.pk,
        delivered_late.pk,
        delivered_early.pk,
    ]
    # The usual order is said above the list; the due column does not claim it with an arrow.
    page = admin_client.get(reverse("admin:reminders_reminder_changelist")).content.decode()
    headers = page.split("<thead", 1)[1].split("</thead>")[0]
    assert "Reminders still to go out first, the soonest due on top" in page
    assert " sorted " not in headers and "sortable column-status" not in headers
