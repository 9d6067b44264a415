# ruff: noqa: F811  (the fake_twilio fixture is imported, then requested by name)
"""The work status advisors set ("is my car ready?"): the change page and list actions, the history it
leaves, and the one "ready for pickup" text, sent through the real Twilio SDK to the fake Twilio server
and never allowed to fail an advisor's save."""

from collections.abc import Callable
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError

from dealership.core.groups import SERVICE_ADVISOR
from scheduling.models import Appointment, AppointmentChange, ReadyText, WorkStatus
from scheduling.tasks import appointment_ready_text
from scheduling.tests.admin_pages import change_form_data, error_text
from scheduling.tests.clock import at
from scheduling.work_status import appointment_work_status_set
from tests.fakes.fixtures import fake_twilio  # noqa: F401

pytestmark = pytest.mark.usefixtures("frozen", "eager_celery")

CHANGELIST = reverse("admin:scheduling_appointment_changelist")
READY = WorkStatus.READY


@pytest.fixture
def advisor(db, client: Client) -> Client:
    user = User.objects.create_user("advisor", password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=SERVICE_ADVISOR))
    client.force_login(user)
    return client


@pytest.fixture
def in_shop(book, customer) -> Appointment:
    appointment = book(at(9, 30))
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.ARRIVED, vehicle=customer.vehicles.get()
    )
    return appointment


def texts(fake) -> list[dict[str, str]]:
    return [{name: r.value(name) for name in ("To", "Body")} for r in fake.requests_to("/Messages.json")]


def mark(appointment: Appointment, work_status: str, **fields) -> Appointment:
    return appointment_work_status_set(
        appointment_id=appointment.pk, work_status=work_status, user=None, **fields
    )


def on_commit(capture: Callable) -> Callable:
    def run(*args, **kwargs):
        with capture(execute=True):
            return mark(*args, **kwargs)

    return run


class TestTheReadyText:
    def test_marking_ready_texts_the_customer_once_even_when_marked_ready_again(
        self, in_shop, customer, fake_twilio, django_capture_on_commit_callbacks
    ):
        marked = on_commit(django_capture_on_commit_callbacks)
        marked(in_shop, WorkStatus.IN_PROGRESS)
        assert texts(fake_twilio) == []

        marked(in_shop, READY, note="Your keys are at the front desk.")
        marked(in_shop, WorkStatus.IN_PROGRESS)
        marked(in_shop, READY)

        [text] = texts(fake_twilio)
        assert text["To"] == customer.phone
        assert text["Body"] == (
            "Lakeside Auto Service: your 2019 Honda Civic is ready for pickup. "
            "Your keys are at the front desk. Reply STOP to opt out."
        )
        in_shop.refresh_from_db()
        assert in_shop.ready_text == ReadyText.SENT and "SM" in in_shop.ready_text_detail

    def test_a_test_booking_marked_ready_texts_nobody(
        self, in_shop, customer, fake_twilio, django_capture_on_commit_callbacks
    ):
        """A booking made on a browser test call as a real customer is no car of theirs in the shop."""
        Appointment.objects.filter(pk=in_shop.pk).update(is_test=True)

        on_commit(django_capture_on_commit_callbacks)(in_shop, READY)

        assert texts(fake_twilio) == []
        in_shop.refresh_from_db()
        assert in_shop.work_status == READY and in_shop.ready_text == ReadyText.NONE

    def test_a_task_delivered_twice_sends_once(
        self, in_shop, fake_twilio, django_capture_on_commit_callbacks
    ):
        on_commit(django_capture_on_commit_callbacks)(in_shop, READY)

        assert appointment_ready_text(in_shop.pk) == "already handled"
        assert len(texts(fake_twilio)) == 1

    def test_a_customer_who_opted_out_of_texts_gets_none(
        self, in_shop, customer, fake_twilio, django_capture_on_commit_callbacks
    ):
        customer.sms_opted_out_at = at(8)
        customer.save()

        on_commit(django_capture_on_commit_callbacks)(in_shop, READY)

        assert texts(fake_twilio) == []
        in_shop.refresh_from_db()
        assert in_shop.ready_text == ReadyText.SKIPPED and in_shop.work_status == READY

    def test_twilio_down_leaves_the_status_set_and_the_text_failed_after_its_retries(
        self, in_shop, fake_twilio, django_capture_on_commit_callbacks
    ):
        for _ in range(4):
            fake_twilio.fail_next(503)

        on_commit(django_capture_on_commit_callbacks)(in_shop, READY)

        assert len(texts(fake_twilio)) == 4  # the first try and three retries
        in_shop.refresh_from_db()
        assert in_shop.work_status == READY
        assert in_shop.ready_text == ReadyText.FAILED and "503" in in_shop.ready_text_detail

    def test_a_refused_number_is_not_retried(self, in_shop, fake_twilio, django_capture_on_commit_callbacks):
        fake_twilio.fail_next(400, code=21211, message="Invalid 'To' Phone Number")

        on_commit(django_capture_on_commit_callbacks)(in_shop, READY)

        assert len(texts(fake_twilio)) == 1
        in_shop.refresh_from_db()
        assert in_shop.ready_text == ReadyText.FAILED and "21211" in in_shop.ready_text_detail


class TestTheAdmin:
    def test_an_advisor_marks_ready_from_the_list_and_the_customer_is_texted_once(
        self, advisor, in_shop, fake_twilio, django_capture_on_commit_callbacks
    ):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                response = advisor.post(
                    CHANGELIST, {"action": "work_ready", "_selected_action": [in_shop.pk]}, follow=True
                )
            assert "1 appointment marked ready for pickup." in response.content.decode()

        assert len(texts(fake_twilio)) == 1
        in_shop.refresh_from_db()
        assert in_shop.work_status == READY
        history = in_shop.changes.filter(kind=AppointmentChange.Kind.WORK).get()
        assert history.detail == "not set → ready for pickup" and history.user.username == "advisor"

    def test_an_advisor_sets_status_promised_time_and_note_on_the_change_page(
        self, advisor, in_shop, fake_twilio
    ):
        url = reverse("admin:scheduling_appointment_change", args=[in_shop.pk])
        page = advisor.get(url)
        data = change_form_data(
            page,
            work_status=WorkStatus.WAITING_PARTS,
            promised_at_0="2026-11-24",
            promised_at_1="16:00",
            customer_note="The brake pads arrive Tuesday morning.",
        )

        response = advisor.post(url, data)

        assert response.status_code == 302, error_text(response)
        in_shop.refresh_from_db()
        assert in_shop.work_status == WorkStatus.WAITING_PARTS
        assert in_shop.promised_at == at(16, day=at(0).date().replace(day=24))
        assert in_shop.customer_note == "The brake pads arrive Tuesday morning."
        assert texts(fake_twilio) == []

    def test_the_save_stands_when_the_task_queue_is_down(
        self, advisor, in_shop, fake_twilio, django_capture_on_commit_callbacks
    ):
        down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        with (
            mock.patch.object(appointment_ready_text, "apply_async", side_effect=down),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = advisor.post(
                CHANGELIST, {"action": "work_ready", "_selected_action": [in_shop.pk]}, follow=True
            )

        assert response.status_code == 200
        in_shop.refresh_from_db()
        assert in_shop.work_status == READY
        assert in_shop.ready_text == ReadyText.FAILED and "queue" in in_shop.ready_text_detail
        assert texts(fake_twilio) == []

    def test_a_staff_member_without_the_permission_sees_the_work_status_read_only(
        self, client, in_shop, fake_twilio
    ):
        user = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
        user.user_permissions.add(
            *Group.objects.get(name=SERVICE_ADVISOR).permissions.exclude(codename="set_work_status")
        )
        client.force_login(user)
        url = reverse("admin:scheduling_appointment_change", args=[in_shop.pk])
        page = client.get(url)

        assert "work_status" not in page.context["adminform"].form.fields
        client.post(url, change_form_data(page, work_status=READY))
        client.post(CHANGELIST, {"action": "work_ready", "_selected_action": [in_shop.pk]})
        in_shop.refresh_from_db()
        assert in_shop.work_status == WorkStatus.NOT_SET and texts(fake_twilio) == []


def test_a_cancelled_appointment_gets_no_work_status(book, fake_twilio):
    appointment = book(at(9, 30))
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)

    with pytest.raises(Exception, match="cancelled"):
        mark(appointment, READY)
    assert texts(fake_twilio) == []
