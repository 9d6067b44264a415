"""Nothing in the admin writes, dials, texts or calls a provider on view permission alone.

Every action of every registered ModelAdmin and every custom admin URL (get_urls() overrides) is found by
walking `admin.site`, then tried by a staff user who may view everything and by one with no permission:
the database stays as it was, Twilio and Google hear nothing, and the answer is a refusal. A user holding
the permission declared below can use it. An action or page added later is tried the same way, and fails
here until its permission is declared (and checked).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse

from scheduling.tests.clock import NOW
from tests.admin_world import (
    AdminAction,
    AdminUrl,
    admin_actions,
    build_world,
    custom_admin_urls,
    perm_name,
    snapshot,
    staff,
    url_kwargs,
    view_everything,
)
from tests.fakes.fake_google import FakeGoogle

ACTIONS = admin_actions()
URLS = custom_admin_urls()

CHANGE_APPOINTMENT = {"scheduling.change_appointment"}
CHANGE_PERIODIC_TASK = {"django_celery_beat.change_periodictask"}
# What each action needs besides viewing its list (delete_selected: the model's delete permission).
ACTION_PERMISSIONS: dict[str, set[str]] = {
    "scheduling.appointment:cancel_selected": CHANGE_APPOINTMENT,
    "scheduling.appointment:mark_confirmed": CHANGE_APPOINTMENT,
    "scheduling.appointment:mark_arrived": CHANGE_APPOINTMENT,
    "scheduling.appointment:mark_completed": CHANGE_APPOINTMENT,
    "scheduling.appointment:mark_no_show": CHANGE_APPOINTMENT,
    **{
        f"scheduling.appointment:work_{work}": {"scheduling.set_work_status"}
        for work in ("waiting_parts", "in_progress", "ready", "picked_up")
    },
    "voice.callbackrequest:mark_handled": {"voice.change_callbackrequest"},
    "voice.call:delete_recordings": {"voice.delete_recording"},
    "reminders.reminder:send_now": {"reminders.send_reminder"},
    "scheduling.calendarsyncstate:resync_from_scratch": {"scheduling.sync_calendar"},
    "scheduling.appointmentcalendarsync:push_again": {"scheduling.sync_calendar"},
    "django_celery_beat.periodictask:enable_tasks": CHANGE_PERIODIC_TASK,
    "django_celery_beat.periodictask:disable_tasks": CHANGE_PERIODIC_TASK,
    "django_celery_beat.periodictask:toggle_tasks": CHANGE_PERIODIC_TASK,
    "django_celery_beat.periodictask:run_tasks": CHANGE_PERIODIC_TASK,
}
# What a user needs to open each custom admin page.
URL_PERMISSIONS: dict[str, set[str]] = {
    "auth_user_password_change": {"auth.change_user"},  # Django's own, on the user admin
    "scheduling_appointment_agenda": {"scheduling.view_appointment"},
    # The booking form's open times (GET only, JSON): for those who may book or move appointments.
    "scheduling_appointment_open_times": {"scheduling.add_appointment"},
    # Talk to the receptionist from the browser: GET the page, POST places a test call (a Call row).
    "voice_call_test_call": {"voice.place_test_call"},
    # The agenda's one-click arrived / no-show / completed (POST only): as the list's status actions.
    "scheduling_appointment_outcome": CHANGE_APPOINTMENT,
    # The owner's dashboard (GET only): revenue and the shop's figures, its own permission.
    "dashboard": {"voice.view_dashboard"},
    # The admin theme's page search (GET only), open to every staff user like the index: it lists only
    # the pages the user may view, so someone with no permission finds nothing.
    "search": set(),
    # The set-up check asks every provider on each view and its POST rewrites the Twilio number's webhooks.
    "setup": {"voice.configure_telephony"},
    # Bringing a shop's CSV export in: the upload and preview, and the confirmation (POST only).
    "crm_customer_import": {"crm.import_customers"},
    "crm_customer_process_import": {"crm.import_customers"},
    # The customer page's "Lift the pause" on identity checks: GET asks first, POST clears the count.
    "crm_customer_lift_verification_pause": {"crm.lift_verification_pause"},
    # Today's "Callers on hidden numbers can't verify": GET asks first, POST clears their shared count.
    "crm_customer_lift_hidden_numbers": {"crm.lift_verification_pause"},
    # The live board (read only; its WebSocket checks the same permission) and the take-over endpoint
    # (POST only; dials, says, hangs up on a live call).
    "voice_call_live": {"voice.view_call"},
    "voice_call_take_over": {"voice.take_over_call"},
    # The message page's "Mark handled" button (POST only): as the list's mark_handled action.
    "voice_callbackrequest_mark_handled": {"voice.change_callbackrequest"},
    # The call page's recording audio (GET/HEAD only, byte ranges).
    "voice_call_recording": {"voice.listen_recording"},
}
REFUSED = (302, 403, 405)


@pytest.fixture
def world(settings, shop, catalog, customer, fake_twilio, eager_celery) -> Iterator[FakeGoogle]:
    """Every admin model has a row; Twilio and Google are fakes that record any request; Celery tasks run
    inline, so a queued call or push would reach the fakes during the request."""
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    settings.OUTBOUND_CALL_ALLOWLIST = []
    with time_machine.travel(NOW, tick=False), FakeGoogle() as google:
        google.configure(settings)
        build_world(catalog, customer)
        yield google


def _providers_heard(fake_twilio, google: FakeGoogle) -> list:
    return [*fake_twilio.requests, *google.requests]


def _offered(action: AdminAction, user: User | AnonymousUser) -> bool:
    request = RequestFactory().get("/")
    request.user = user
    return action.name in action.model_admin.get_actions(request)


def _required(action: AdminAction) -> set[str]:
    if action.name == "delete_selected":
        return {perm_name(action.model_admin.model, "delete")}
    return ACTION_PERMISSIONS[action.label]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_walk_finds_the_admins_actions_and_pages():
    assert {"reminders.reminder:send_now", "voice.callbackrequest:mark_handled"} <= {a.label for a in ACTIONS}
    assert "scheduling_appointment_agenda" in {u.label for u in URLS}


def test_every_action_and_page_declares_its_permission():
    undeclared = [
        a.label for a in ACTIONS if a.name != "delete_selected" and a.label not in ACTION_PERMISSIONS
    ]
    assert undeclared == [], "declare (and check) the permission these actions need"
    assert [u.label for u in URLS if u.label not in URL_PERMISSIONS] == []


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.label)
def test_no_action_runs_without_its_permission(
    action, world, fake_twilio, django_capture_on_commit_callbacks
):
    model = action.model_admin.model
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
    # Django's own delete_selected is checked on any list; an action of ours needs a row to act on.
    assert pks or action.name == "delete_selected", f"add a {model.__name__} to tests/admin_world.build_world"
    # "post": the confirmation step of delete_selected and send_now, answered "yes" at once.
    attempt = {"action": action.name, "_selected_action": pks, "post": "yes"}

    for user in (staff("nobody"), view_everything()):
        client = Client()  # a fresh cookie jar: no message left over from another user
        client.force_login(user)
        before = snapshot()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, attempt)

        assert not _offered(action, user), f"{action.label} is offered to {user.username}"
        assert response.status_code in (200, *REFUSED)
        assert snapshot() == before, f"{action.label} wrote as {user.username}"
        assert _providers_heard(fake_twilio, world) == []

    if not _offered(action, User(is_superuser=True, is_active=True, is_staff=True)):
        return  # switched off for everyone (e.g. deleting reminders); nothing more to allow
    permitted = staff("permitted", [*_required(action), perm_name(model, "view")])
    client = Client()
    client.force_login(permitted)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": action.name, "_selected_action": pks})

    assert _offered(action, permitted)
    assert response.status_code in (200, 302)
    said = _messages(response)
    assert "No action selected." not in said
    assert said or response.status_code == 200  # it reported, or asked for a confirmation


@pytest.mark.parametrize("url", URLS, ids=lambda u: u.label)
def test_no_custom_admin_page_writes_without_permission(
    url: AdminUrl, world, fake_twilio, client: Client, django_capture_on_commit_callbacks
):
    path = reverse(f"admin:{url.pattern.name}", kwargs=url_kwargs(url))
    nobody, viewer = staff("nobody"), view_everything()

    for user in (nobody, viewer):
        client.force_login(user)
        for method in (client.get, client.post):
            before = snapshot()
            with django_capture_on_commit_callbacks(execute=True):
                response = method(path)

            assert snapshot() == before, f"{method.__name__.upper()} {path} wrote as {user.username}"
            assert _providers_heard(fake_twilio, world) == []
            if method == client.post or (user is nobody and URL_PERMISSIONS[url.label]):
                assert response.status_code in REFUSED, f"{method.__name__.upper()} {path} as {user.username}"

    if not URL_PERMISSIONS[url.label]:  # a page for any staff user: it shows a nobody nothing
        client.force_login(nobody)
        for term in ("cust", "appoint", "user", "task"):
            found = client.get(path, {"s": term}).content.decode()
            assert "/admin/" not in found, f"{path}?s={term} showed {nobody.username} a page"

    client.force_login(staff("permitted", sorted(URL_PERMISSIONS[url.label])))
    response = client.get(path)
    if response.status_code == 405:  # an endpoint that only takes POST
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path)
        assert response.status_code not in REFUSED
    else:
        assert response.status_code == 200
