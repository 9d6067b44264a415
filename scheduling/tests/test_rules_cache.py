"""The shop's rules are kept per process, yet every availability answer and booking follows the rules as
the database has them now: whoever changed them (this process, another one, a bulk update) and even when
the change was rolled back."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Customer
from scheduling import rules_cache
from scheduling.models import Appointment, BusinessHours, Closure, RulesVersion, ServiceType, Shop
from scheduling.selectors import availability_find
from scheduling.services import appointment_book
from scheduling.tests.admin_pages import change_form_data
from scheduling.tests.clock import CHICAGO, MONDAY

pytestmark = pytest.mark.usefixtures("frozen")

RULE_TABLES = ("scheduling_shop", "scheduling_businesshours", "scheduling_closure", "scheduling_servicetype")


def earliest(code: str = "oil_change", **options) -> list[tuple[str, str]]:
    return [(s["date"], s["time"]) for s in availability_find(service_code=code, **options).as_dicts()]


class Process:
    """Another process (web, worker) of the same deployment: its own kept copy of the rules, the same
    database. `with worker.running():` runs the block as that process would."""

    def __init__(self) -> None:
        self.kept: rules_cache.ShopRules | None = None

    @contextmanager
    def running(self) -> Iterator[None]:
        ours = rules_cache._current
        rules_cache._current = self.kept
        try:
            yield
        finally:
            self.kept = rules_cache._current
            rules_cache._current = ours


def test_a_warm_process_reads_no_rule_tables_but_still_reads_bookings(shop, catalog):
    earliest()
    with CaptureQueriesContext(connection) as queries:
        assert earliest()[0] == ("2026-11-23", "07:30")
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert not [table for table in RULE_TABLES if f'FROM "{table}"' in sql]  # (bookings join the catalog)
    assert '"scheduling_appointment"' in sql and '"scheduling_busyblock"' in sql


def test_changed_hours_are_in_the_very_next_answer(shop, catalog):
    assert earliest()[0] == ("2026-11-23", "07:30")
    BusinessHours.objects.filter(weekday=0).update(opens=time(10, 0))
    assert earliest()[0] == ("2026-11-23", "10:00")
    BusinessHours.objects.filter(weekday=0).delete()
    assert earliest()[0] == ("2026-11-24", "07:30")


def test_a_new_closure_is_in_the_very_next_answer_with_its_reason(shop, catalog):
    assert earliest()[0][0] == "2026-11-23"
    Closure.objects.create(date=MONDAY, reason="Staff training")
    assert earliest()[0] == ("2026-11-24", "07:30")
    with pytest.raises(Exception, match="closed on Monday, November 23 for Staff training"):
        availability_find(service_code="oil_change", preferred_date=MONDAY)


def test_a_changed_duration_is_quoted_and_booked_at_once(shop, catalog, customer):
    assert availability_find(service_code="oil_change").as_dicts()[0]["duration_minutes"] == 30
    oil = ServiceType.objects.get(code="oil_change")
    oil.duration_minutes = 50
    oil.save()
    assert availability_find(service_code="oil_change").as_dicts()[0]["duration_minutes"] == 50
    booked = appointment_book(
        customer=customer,
        service_code="oil_change",
        start=datetime(2026, 11, 23, 9, tzinfo=CHICAGO),
        channel="staff",
    )
    assert (booked.duration_minutes, booked.end - booked.start) == (50, timedelta(minutes=50))


def test_a_service_taken_off_the_catalog_is_not_offered(shop, catalog):
    earliest("tire_rotation")
    ServiceType.objects.filter(code="tire_rotation").update(active=False)
    with pytest.raises(Exception, match="We don't have a service called 'tire_rotation'"):
        earliest("tire_rotation")


def test_an_advisor_saving_hours_in_the_admin_is_seen_by_another_warm_process(admin_client, shop, catalog):
    worker = Process()
    with worker.running():
        assert earliest()[0] == ("2026-11-23", "07:30")  # the worker keeps Monday 7:30–18:00

    url = reverse("admin:scheduling_shop_change", args=[shop.pk])
    data = change_form_data(admin_client.get(url), per_slot_capacity="5")
    assert admin_client.post(url, data).status_code == 302
    monday = BusinessHours.objects.get(weekday=0)
    monday.opens = time(11, 0)
    monday.save()

    with worker.running():
        assert earliest()[0] == ("2026-11-23", "11:00")
        assert availability_find(service_code="oil_change").shop.per_slot_capacity == 5


def test_a_fresh_process_sees_the_current_rules(shop, catalog):
    assert earliest()[0] == ("2026-11-23", "07:30")
    Closure.objects.create(date=MONDAY, starts=time(7, 0), ends=time(9, 0), reason="staff meeting")
    rules_cache.rules_cache_clear()
    assert earliest()[0] == ("2026-11-23", "09:00")


def test_a_rolled_back_change_does_not_stay_in_this_or_another_process(shop, catalog):
    worker = Process()
    with worker.running():
        assert earliest()[0] == ("2026-11-23", "07:30")

    with pytest.raises(RuntimeError), transaction.atomic():
        BusinessHours.objects.filter(weekday=0).update(opens=time(12, 0))
        # Inside its transaction the change counts, and this process keeps a copy that includes it.
        assert earliest()[0] == ("2026-11-23", "12:00")
        with worker.running():
            assert earliest()[0] == ("2026-11-23", "12:00")
        raise RuntimeError("the admin save failed")

    assert earliest()[0] == ("2026-11-23", "07:30")
    with worker.running():
        assert earliest()[0] == ("2026-11-23", "07:30")
    # A later, committed change is not mistaken for the rolled-back one.
    BusinessHours.objects.filter(weekday=0).update(opens=time(8, 0))
    assert earliest()[0] == ("2026-11-23", "08:00")


def test_bookings_made_elsewhere_count_although_rules_are_kept(shop, catalog, customer):
    assert earliest()[0] == ("2026-11-23", "07:30")
    oil = ServiceType.objects.get(code="oil_change")
    start = datetime(2026, 11, 23, 7, 30, tzinfo=CHICAGO)
    for _ in range(shop.per_slot_capacity):  # another process books 7:30 full without telling us
        Appointment.objects.create(
            customer=customer,
            service_type=oil,
            start=start,
            end=start + timedelta(minutes=30),
            local_date=MONDAY,
            duration_minutes=30,
            price_quoted=oil.price,
        )
    assert earliest()[0] == ("2026-11-23", "08:00")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database locks readers out"
)
@pytest.mark.django_db(transaction=True)
def test_other_connections_see_committed_changes_only(shop, catalog):
    """Real commits and a second database connection (what another process has)."""
    assert earliest()[0] == ("2026-11-23", "07:30")
    changed, decided = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def advisor(commit: bool, opens: time) -> None:
        try:
            with transaction.atomic():
                BusinessHours.objects.filter(weekday=0).update(opens=opens)
                changed.set()
                decided.wait(10)
                if not commit:
                    transaction.set_rollback(True)
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    for commit, opens in ((False, time(12, 0)), (True, time(10, 0))):
        changed.clear()
        decided.clear()
        thread = threading.Thread(target=advisor, args=(commit, opens))
        thread.start()
        assert changed.wait(10)
        assert earliest()[0] == ("2026-11-23", "07:30")  # not committed yet: not seen
        decided.set()
        thread.join(10)
    assert not errors
    assert earliest()[0] == ("2026-11-23", "10:00")  # the rolled-back 12:00 never showed, the 10:00 did


def test_without_a_version_row_nothing_is_kept(shop, catalog):
    RulesVersion.objects.all().delete()
    earliest()
    Shop.objects.filter(pk=shop.pk).update(min_notice_minutes=24 * 60)
    RulesVersion.objects.all().delete()  # the update's trigger wrote a new row: remove it
    assert earliest()[0] == ("2026-11-23", "12:00")
    assert rules_cache._current is None


def test_writing_other_tables_keeps_the_rules_version(shop, customer):
    """Customers and bookings change all day; they must not make every process reload the rules."""
    before = rules_cache._token()
    Customer.objects.create(name="Sam Ortiz", phone="+13125550190", zip_code="60614")
    assert rules_cache._token() == before
