"""Closing the loop from the agenda: one click marks an appointment arrived, no-show or completed (with
what the customer paid, optional), through the same service and permission as the list's actions."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from scheduling.models import Appointment, AppointmentChange
from scheduling.tests.admin_pages import change_form_data, error_text
from scheduling.tests.clock import NOW

OUTCOME = reverse("admin:scheduling_appointment_outcome")
AGENDA = reverse("admin:scheduling_appointment_agenda")
Status = Appointment.Status


@pytest.fixture
def this_morning(customer, make_appointment) -> Appointment:
    with time_machine.travel(NOW, tick=False):
        return make_appointment(customer, NOW - timedelta(hours=3), channel=Appointment.Channel.AI_PHONE)


@pytest.fixture
def advisor(db) -> User:
    user = User.objects.create_user("advisor", password="pw-12345678", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="scheduling", codename__in=["view_appointment", "change_appointment"]
        )
    )
    return user


def _said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _post(client: Client, **data: str):
    with time_machine.travel(NOW, tick=False):
        return client.post(OUTCOME, data)


def test_the_agenda_offers_the_outcomes_and_completing_keeps_the_invoice(client, advisor, this_morning):
    client.force_login(advisor)
    with time_machine.travel(NOW, tick=False):
        page = client.get(AGENDA, {"date": this_morning.local_date.isoformat()}).content.decode()
    assert 'value="arrived"' in page and 'value="no_show"' in page and 'value="completed"' in page

    response = _post(client, appointment=str(this_morning.pk), status="completed", invoice_total="$1,212.40")

    assert response.status_code == 302
    assert response["Location"] == f"{AGENDA}?date={this_morning.local_date.isoformat()}"
    this_morning.refresh_from_db()
    assert (this_morning.status, this_morning.invoice_total) == (Status.COMPLETED, Decimal("1212.40"))
    assert _said(response) == [f"Appointment #{this_morning.pk} marked Completed, invoice $1,212.40."]
    history = AppointmentChange.objects.get(appointment=this_morning, kind="status")
    assert (history.user, history.detail) == (advisor, "scheduled → completed, invoice $1,212.40")


def test_arrived_then_completed_without_an_invoice(client, advisor, this_morning):
    client.force_login(advisor)
    _post(client, appointment=str(this_morning.pk), status="arrived")
    _post(client, appointment=str(this_morning.pk), status="completed", invoice_total="")

    this_morning.refresh_from_db()
    assert (this_morning.status, this_morning.invoice_total) == (Status.COMPLETED, None)


@pytest.mark.parametrize("typed", ["12,34", "-5", "ten dollars", "1e3", "99999999999"])
def test_an_invoice_that_is_not_an_amount_changes_nothing(client, advisor, this_morning, typed):
    client.force_login(advisor)
    response = _post(client, appointment=str(this_morning.pk), status="completed", invoice_total=typed)

    this_morning.refresh_from_db()
    assert (this_morning.status, this_morning.invoice_total) == (Status.SCHEDULED, None)
    assert "an invoice total is an amount like 189.50" in _said(response)[0]


def test_a_refused_step_is_said_and_nothing_changes(client, advisor, customer, make_appointment):
    with time_machine.travel(NOW, tick=False):
        later = make_appointment(customer, NOW + timedelta(hours=20))
    client.force_login(advisor)

    response = _post(client, appointment=str(later.pk), status="no_show")

    later.refresh_from_db()
    assert later.status == Status.SCHEDULED
    assert "hasn't started yet" in _said(response)[0]
    assert _post(client, appointment="99999", status="arrived").status_code == 302  # unknown: said, no 500
    assert _post(client, appointment="²", status="arrived").status_code == 400
    assert _post(client, appointment=str(later.pk), status="cancelled").status_code == 400


def test_it_needs_change_permission_and_a_csrf_token(this_morning, advisor):
    viewer = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_appointment"))
    client = Client()
    client.force_login(viewer)
    assert _post(client, appointment=str(this_morning.pk), status="arrived").status_code == 403
    with time_machine.travel(NOW, tick=False):
        page = client.get(AGENDA, {"date": this_morning.local_date.isoformat()}).content.decode()
    assert 'value="arrived"' not in page  # no buttons for who may not use them

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(advisor)
    assert _post(strict, appointment=str(this_morning.pk), status="arrived").status_code == 403
    this_morning.refresh_from_db()
    assert this_morning.status == Status.SCHEDULED


def test_the_change_page_asks_the_invoice_with_completed(admin_client, this_morning):
    url = reverse("admin:scheduling_appointment_change", args=[this_morning.pk])
    with time_machine.travel(NOW, tick=False):
        page = admin_client.get(url)
        refused = admin_client.post(url, change_form_data(page, invoice_total="80.00"))
        done = admin_client.post(url, change_form_data(page, set_status="completed", invoice_total="80.00"))

    assert "Kept once the appointment is completed" in error_text(refused)
    assert done.status_code == 302, error_text(done)
    this_morning.refresh_from_db()
    assert (this_morning.status, this_morning.invoice_total) == (Status.COMPLETED, Decimal("80.00"))
