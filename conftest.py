"""Fixtures shared by every app's tests: a shop like the demo one, its catalog, a customer, appointments
written as rows, and Celery running tasks inline."""

import os
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import redis
from asgiref.sync import SyncToAsync
from django.core.cache import cache
from django.db import connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from crm.models import Customer, Vehicle
from dealership.celery import app as celery_app
from scheduling.models import Appointment, BusinessHours, ServiceType, Shop

# Real-browser fixtures (browser, browser_page, admin_page, page_problems) for every app's tests.
pytest_plugins = ["tests.browser"]

MakeAppointment = Callable[..., Appointment]

# Hypothesis profiles of the fuzz tests (pytest -m fuzz); HYPOTHESIS_PROFILE picks one, "ci" by default.
# Examples share one test database (a function-scoped fixture) on purpose: state that builds up across
# requests is part of what is fuzzed. No deadline: pytest-timeout bounds each test, and a 2-core box
# shared with other work has slow moments that are not bugs.
_FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
# ci: the same examples on every run (derandomize, no example database), a fixed count sized so the
# whole fuzz set takes a few minutes here.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=_FUZZ_HEALTH,
)
# thorough: new random examples each run, failures remembered in .hypothesis/ and replayed first.
hypothesis_settings.register_profile(
    "thorough", max_examples=1000, deadline=None, print_blob=True, suppress_health_check=_FUZZ_HEALTH
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CATALOG = [
    # code, name, minutes, price, waiter_eligible, daily_limit
    ("oil_change", "oil change", 30, "49.99", True, None),
    ("tire_rotation", "tire rotation", 30, "29.99", True, None),
    ("brake_inspection", "brake inspection", 45, "0.00", True, None),
    ("state_inspection", "state inspection", 30, "25.00", True, None),
    ("battery_replacement", "battery replacement", 45, "189.00", True, None),
    ("diagnostic", "diagnostic", 90, "149.00", False, 2),
]


@pytest.fixture(scope="session", autouse=True)
def _close_async_worker_connections(django_db_setup, django_db_blocker):
    """With persistent connections (DB_CONN_MAX_AGE > 0) the one database_sync_to_async opened in
    asgiref's worker thread must be closed before the test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path) -> None:
    """Files saved to the default storage (call recordings) go to the test's own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _no_failed_sign_ins_carried_over(settings) -> None:
    """Failed sign-ins (per client address) and failed identity checks (per calling number and
    customer) are counted in the shared cache (Redis), which outlives a test and a run; every test
    starts with none (the Redis database also holds Celery's queues, so only those counters go)."""
    if not settings.REDIS_URL:
        cache.clear()
        return
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        keys = [
            *client.scan_iter(match="*:axes-*", count=1000),
            *client.scan_iter(match="*:crm:verify-failures:*", count=1000),
        ]
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _opt_out_spool_in_tmp(settings, tmp_path) -> None:
    """Each test's opt-out spool is its own, never the project's spool/ directory."""
    settings.OPT_OUT_SPOOL_DIR = tmp_path / "opt-out-spool"


@pytest.fixture
def shop(db) -> Shop:
    shop = Shop.objects.create(
        name="Lakeside Auto Service",
        phone_number="+13125550100",
        timezone="America/Chicago",
        slot_minutes=30,
        min_notice_minutes=120,
        horizon_days=60,
        per_slot_capacity=2,
        waiter_capacity=1,
        daily_capacity=20,
        technician_minutes_per_day=2 * 8 * 60,
    )
    for weekday in range(5):
        BusinessHours.objects.create(weekday=weekday, opens=time(7, 30), closes=time(18, 0))
    BusinessHours.objects.create(weekday=5, opens=time(8, 0), closes=time(13, 0))
    return shop


@pytest.fixture
def open_around_the_clock(shop) -> Shop:
    """The shop with hours covering the whole week, so its advisor line takes transfers whenever the
    test runs (after hours the agent does not transfer; see scheduling.opening)."""
    BusinessHours.objects.all().delete()
    for weekday in range(7):
        BusinessHours.objects.create(weekday=weekday, opens=time(0), closes=time.max)
    return shop


@pytest.fixture
def catalog(db) -> dict[str, ServiceType]:
    services = {}
    for code, name, minutes, price, waiter, limit in CATALOG:
        services[code] = ServiceType.objects.create(
            code=code,
            name=name,
            duration_minutes=minutes,
            price=Decimal(price),
            waiter_eligible=waiter,
            daily_limit=limit,
        )
    return services


@pytest.fixture
def customer(db) -> Customer:
    customer = Customer.objects.create(
        name="Dana Whitfield", phone="+13125550147", zip_code="60614", email="dana@example.com"
    )
    Vehicle.objects.create(customer=customer, year=2019, make="Honda", model="Civic", vin="1G4AH59H45G118341")
    return customer


@pytest.fixture
def make_appointment(shop: Shop, catalog: dict[str, ServiceType]) -> MakeAppointment:
    """An appointment written directly as a row (no availability rules): tests pick any instant."""

    def make(
        customer: Customer,
        start: datetime,
        code: str = "oil_change",
        status: str = Appointment.Status.SCHEDULED,
        **extra,
    ) -> Appointment:
        service = catalog[code]
        return Appointment.objects.create(
            customer=customer,
            service_type=service,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            local_date=start.astimezone(shop.zone).date(),
            duration_minutes=service.duration_minutes,
            price_quoted=service.price,
            status=status,
            **extra,
        )

    return make


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run inline where they are queued (on commit), as a worker would run them; retries too
    (their backoff is skipped in eager mode)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
