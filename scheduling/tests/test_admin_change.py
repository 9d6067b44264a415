"""The appointment change page and list actions: move, cancel and step appointments through the
services, with history recorded."""

from datetime import time
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from scheduling.models import Appointment, AppointmentChange
from scheduling.tests.admin_pages import change_form_data, error_text
from scheduling.tests.clock import at

pytestmark = pytest.mark.usefixtures("frozen")

CHANGELIST = reverse("admin:scheduling_appointment_changelist")


def change_url(appointment: Appointment) -> str:
    return reverse("admin:scheduling_appointment_change", args=[appointment.pk])


def test_the_change_page_is_titled_in_shop_time(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))
    assert page.context["subtitle"] == f"#{appointment.pk} oil change on Monday, November 23 at 9:30 AM"
    assert admin_client.get(reverse("admin:scheduling_appointment_change", args=["nope"])).status_code == 302


def test_it_reschedules_from_the_change_form_and_records_history(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))
    assert page.context["adminform"].form.initial["local_time"] == time(9, 30)
    assert "Booked" in page.content.decode()  # the history inline
    response = admin_client.post(change_url(appointment), change_form_data(page, local_time="2:00 PM"))
    assert response.status_code == 302, error_text(response)
    appointment.refresh_from_db()
    assert appointment.start == at(14)
    moved = appointment.changes.get(kind=AppointmentChange.Kind.RESCHEDULED)
    assert (moved.old_start, moved.new_start, moved.user.username) == (at(9, 30), at(14), "admin")


def test_it_keeps_the_old_time_when_the_new_one_is_full(admin_client, book):
    appointment = book(at(9, 30))
    book(at(14))
    book(at(14))
    page = admin_client.get(change_url(appointment))
    response = admin_client.post(change_url(appointment), change_form_data(page, local_time="14:00"))
    assert response.status_code == 200
    assert "Slot full: write-ups at 2:00 PM, 2 of 2." in error_text(response)
    appointment.refresh_from_db()
    assert appointment.start == at(9, 30)
    assert not appointment.changes.filter(kind=AppointmentChange.Kind.RESCHEDULED).exists()


def test_price_and_duration_cannot_be_edited(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))
    assert {"price_quoted", "duration_minutes"}.isdisjoint(page.context["adminform"].form.fields)
    data = change_form_data(page, price_quoted="1.00", duration_minutes="5", notes="wants a call")
    assert admin_client.post(change_url(appointment), data).status_code == 302
    appointment.refresh_from_db()
    assert (appointment.price_quoted, appointment.duration_minutes) == (Decimal("49.99"), 30)
    assert appointment.notes == "wants a call"


def test_it_cancels_from_the_change_page(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))
    data = change_form_data(page, cancel="on", cancel_note="car sold")
    assert admin_client.post(change_url(appointment), data).status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (Appointment.Status.CANCELLED, "car sold")
    assert appointment.changes.filter(kind=AppointmentChange.Kind.CANCELLED).exists()
    # A cancelled appointment's page offers nothing left to move or cancel.
    fields = admin_client.get(change_url(appointment)).context["adminform"].form.fields
    assert {"local_day", "cancel", "set_status"}.isdisjoint(fields)


def test_cancelling_asks_why_and_says_cancelled(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))

    refused = admin_client.post(change_url(appointment), change_form_data(page, cancel="on"))
    assert "Say why it is cancelled" in error_text(refused)
    appointment.refresh_from_db()
    assert appointment.status != Appointment.Status.CANCELLED

    done = admin_client.post(
        change_url(appointment), change_form_data(page, cancel="on", cancel_note="car sold")
    )
    said = [str(m) for m in get_messages(done.wsgi_request)]
    assert said == [f"Appointment #{appointment.pk} cancelled (car sold)."]
    assert done["Location"] == CHANGELIST


def test_it_refuses_cancelling_and_moving_at_once(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))
    response = admin_client.post(
        change_url(appointment), change_form_data(page, cancel="on", local_time="14:00")
    )
    assert "Cancel, or change the time or status — not both at once." in error_text(response)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.start) == (Appointment.Status.SCHEDULED, at(9, 30))


def test_the_cancel_action_cancels_each_selected_appointment(admin_client, book):
    first, second = book(at(9, 30)), book(at(10))
    already = book(at(11))
    already.status = Appointment.Status.CANCELLED
    already.save()
    response = admin_client.post(
        CHANGELIST, {"action": "cancel_selected", "_selected_action": [first.pk, second.pk, already.pk]}
    )
    assert response.status_code == 302
    statuses = set(Appointment.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == {Appointment.Status.CANCELLED}
    assert AppointmentChange.objects.filter(kind=AppointmentChange.Kind.CANCELLED).count() == 2
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "2 appointments cancelled." in notes
    assert f"#{already.pk}: Appointment {already.pk} is already cancelled." in notes


def test_it_steps_the_status_and_records_it(admin_client, book):
    appointment = book(at(9, 30))
    page = admin_client.get(change_url(appointment))
    response = admin_client.post(change_url(appointment), change_form_data(page, set_status="arrived"))
    assert response.status_code == 302, error_text(response)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    step = appointment.changes.get(kind=AppointmentChange.Kind.STATUS)
    assert step.detail == "scheduled → arrived" and step.user.username == "admin"


def test_a_no_show_cannot_be_recorded_before_the_appointment(admin_client, book):
    appointment = book(at(9, 30))
    response = admin_client.post(CHANGELIST, {"action": "mark_no_show", "_selected_action": [appointment.pk]})
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == [
        f"#{appointment.pk}: Appointment {appointment.pk} hasn't started yet; it can be marked a no-show "
        "after Monday, November 23 at 9:30 AM."
    ]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED


def test_appointments_cannot_be_deleted(admin_client, book):
    appointment = book(at(9, 30))
    url = reverse("admin:scheduling_appointment_delete", args=[appointment.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Appointment.objects.filter(pk=appointment.pk).exists()


def test_after_arrival_only_the_next_status_step_is_offered(admin_client, book):
    appointment = book(at(9, 30))
    appointment.status = Appointment.Status.ARRIVED
    appointment.save()
    page = admin_client.get(change_url(appointment))
    form = page.context["adminform"].form
    assert [value for value, _ in form.fields["set_status"].choices] == ["arrived", "completed"]
    assert {"local_day", "cancel", "override"}.isdisjoint(form.fields)
    response = admin_client.post(change_url(appointment), change_form_data(page, set_status="completed"))
    assert response.status_code == 302, error_text(response)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.COMPLETED


def test_the_change_page_shows_the_reminder_status(admin_client, book):
    from reminders.models import Reminder

    appointment = book(at(9, 30))
    Reminder.objects.update_or_create(
        appointment=appointment,
        defaults={
            "status": Reminder.Status.REVIEW,
            "status_reason": "Twilio never reported how the call ended.",
        },
    )
    page = admin_client.get(change_url(appointment)).content.decode()
    assert "needs review" in page and "Twilio never reported how the call ended." in page
