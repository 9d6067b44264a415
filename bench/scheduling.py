"""Scheduling benchmark against PostgreSQL: availability, customer lookup by phone, the advisors' search
box, booking throughput.

    .venv/bin/python bench/scheduling.py [--customers N] [--appointments N] [--iterations N] [--keep-db]

Creates its own database (`dealership_bench`, or --database, on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432), migrates and fills it, measures, prints a table with PASS/MISS
against the goals (availability p95 < 20 ms, lookup by phone p95 < 2 ms) and drops the database
unless --keep-db. "queries" and "SQL ms" are per call, from a separate pass that counts and times each
statement at the driver (server + network, not turning rows into Python objects). Booking figures
include the after-commit hooks the apps register (reminders, calendar sync), as in production.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder would come first on sys.path and this file would shadow the
# `scheduling` app: the project root must come first instead.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench import database  # noqa: E402
from bench.report import Row, machine_line, table, timed  # noqa: E402

if TYPE_CHECKING:
    from bench.seed import Book, Population
    from scheduling.models import ServiceType

DB_NAME = "dealership_bench"
AVAILABILITY_GOAL_MS = 20.0
LOOKUP_GOAL_MS = 2.0
# How people and systems hand us a number: caller ID, then what advisors and callers type.
PHONE_FORMATS: tuple[Callable[[str], str], ...] = (
    lambda e164: e164,
    lambda e164: f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}",
    lambda e164: f"{e164[2:5]}.{e164[5:8]}.{e164[8:]}",
    lambda e164: f"1-{e164[2:5]}-{e164[5:8]}-{e164[8:]}",
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=2_000)
    parser.add_argument("--iterations", type=int, default=200, help="timed calls per availability figure")
    parser.add_argument("--bookings", type=int, default=200, help="bookings per throughput run")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep-db", action="store_true", help="leave the database behind")
    parser.add_argument("--database", default=DB_NAME, help="name of the throw-away database")
    parser.add_argument(
        "--search-only", action="store_true", help="measure only the search box (skips availability, booking)"
    )
    parser.add_argument("--profile", action="store_true", help="also print cProfile of availability calls")
    return parser.parse_args()


def _row(
    group: str, name: str, call: Callable[[int], object], *, iterations: int, goal_ms: float | None = None
) -> Row:
    samples = timed(call, iterations=iterations, warmup=max(5, iterations // 10))
    queries, sql_ms = database.sql_cost(call)
    return Row(group, name, samples, queries=queries, sql_ms=sql_ms, goal_ms=goal_ms)


def _availability_rows(
    book: Book, now: datetime, iterations: int
) -> tuple[list[Row], dict[str, Callable[[int], object]]]:
    from scheduling.availability import open_intervals
    from scheduling.selectors import availability_find

    preferred = book.today + timedelta(days=30)
    while not open_intervals(preferred, book.calendar, book.rules.zone):
        preferred += timedelta(days=1)
    calls: dict[str, Callable[[int], object]] = {
        "earliest 3 (limit=3)": lambda i: availability_find(service_code="oil_change", limit=3, now=now),
        f"preferred {preferred:%a} +{(preferred - book.today).days}d (limit=3)": lambda i: availability_find(
            service_code="oil_change", preferred_date=preferred, limit=3, now=now
        ),
        "full 60 days (limit=None)": lambda i: availability_find(
            service_code="oil_change", limit=None, now=now
        ),
    }
    slots = len(availability_find(service_code="oil_change", limit=None, now=now).slots)
    rows = [
        _row("availability", name, call, iterations=iterations, goal_ms=AVAILABILITY_GOAL_MS)
        for name, call in calls.items()
    ]
    rows[-1].note = f"({slots} slots)"
    return rows, calls


def _lookup_rows(population: Population, rng: random.Random, iterations: int) -> list[Row]:
    from crm.selectors import customer_find_by_phone

    picks = [rng.choice(population.phones) for _ in range(iterations * 2)]
    wrong: Counter[str] = Counter()

    def lookup(raw: str, expected: str | None) -> None:
        found = customer_find_by_phone(phone=raw)
        if (found.phone if found else None) != expected:
            wrong[raw] += 1

    def mixed(i: int) -> None:
        number = picks[i % len(picks)]
        lookup(PHONE_FORMATS[i % len(PHONE_FORMATS)](number), number)

    def caller_id(i: int) -> None:
        number = picks[-1 - i % len(picks)]
        lookup(number, number)

    def unknown(i: int) -> None:
        lookup(population.unknown_phones[i % len(population.unknown_phones)], None)

    rows = [
        _row("lookup", name, call, iterations=iterations, goal_ms=LOOKUP_GOAL_MS)
        for name, call in (
            ("mixed formats (4 kinds)", mixed),
            ("E.164 caller ID", caller_id),
            ("unknown number (miss)", unknown),
        )
    ]
    if wrong:
        raise SystemExit(f"customer_find_by_phone answered wrongly for {sum(wrong.values())} lookups")
    return rows


def _search_rows(population: Population, rng: random.Random, iterations: int) -> list[Row]:
    """The admin search box as the changelist runs it: the matching page of 100 rows and its count."""
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from bench.seed import vehicles_create
    from crm.models import Customer, Vehicle

    # Vehicles come with their own RNG so the other figures see the same data with or without them.
    fleet = vehicles_create(customer_ids=population.customer_ids, rng=random.Random(rng.random()))
    # The seeded names are 120 first/last pairs (each fragment matches ~10% of customers); real
    # surnames are far more varied, so 1,000 customers get one of their own for the "one match" row.
    renamed = Customer.objects.in_bulk(rng.sample(population.customer_ids, 1000))
    rare = []
    for n, customer in enumerate(renamed.values()):
        customer.name = f"{customer.name.split()[0]} Quill{n:03d}ington"
        rare.append(f"quill{n:03d}")
    Customer.objects.bulk_update(renamed.values(), ["name"], batch_size=1000)
    database.analyze()
    phones = list(
        Customer.objects.filter(pk__in=rng.sample(population.customer_ids, 200)).values_list(
            "phone", flat=True
        )
    )
    request = RequestFactory().get("/admin/")
    common = ("whitf", "okaf", "nowa", "rossi", "garc", "patel")
    wrong: Counter[str] = Counter()

    def search(model: type, term: str, expected: int | None) -> None:
        admin = site._registry[model]
        found, _ = admin.get_search_results(request, admin.get_queryset(request), term)
        page = list(found[:100])
        total = found.count()
        if total < len(page) or (expected is not None and total != expected):
            wrong[term] += 1

    calls: dict[str, Callable[[int], None]] = {
        "customers, name fragment (~10% match)": lambda i: search(Customer, common[i % len(common)], None),
        "customers, name fragment (1 match)": lambda i: search(Customer, rare[i % len(rare)], 1),
        "vehicles, VIN last 6": lambda i: search(Vehicle, fleet.vins[i % len(fleet.vins)][-6:], None),
        "customers, VIN last 6": lambda i: search(Customer, fleet.vins[-1 - i % len(fleet.vins)][-6:], None),
        "vehicles, plate as typed": lambda i: search(Vehicle, fleet.plates[i % len(fleet.plates)].lower(), 1),
        "customers, phone last 4": lambda i: search(Customer, phones[i % len(phones)][-4:], None),
    }
    rows = [_row("admin search", name, call, iterations=iterations) for name, call in calls.items()]
    if wrong:
        raise SystemExit(
            f"The admin search found the wrong number of rows for {sum(wrong.values())} searches"
        )
    return rows


def _booking_rows(
    book: Book,
    catalog: dict[str, ServiceType],
    population: Population,
    now: datetime,
    args: argparse.Namespace,
    rng: random.Random,
) -> list[Row]:
    from django.db import connection, connections

    from bench.seed import booking_plan
    from crm.models import Customer
    from dealership.core.errors import ApplicationError
    from scheduling.services import appointment_book

    warmup = 10
    plan = booking_plan(
        book=book, service=catalog["oil_change"], count=warmup + 2 * args.bookings, now=now, rng=rng
    )
    by_id = Customer.objects.in_bulk(rng.sample(population.customer_ids, len(plan)))
    customers = list(by_id.values())
    errors: Counter[str] = Counter()
    errors_lock = threading.Lock()

    def book_one(i: int) -> None:
        try:
            appointment_book(
                customer=customers[i], service_code="oil_change", start=plan[i], channel="ai_phone", now=now
            )
        except ApplicationError as exc:
            with errors_lock:
                errors[f"{type(exc).__name__}: {exc.message}"] += 1

    queries, sql_ms = database.sql_cost(book_one, runs=warmup)
    started = time.perf_counter()
    sequential = timed(lambda i: book_one(warmup + i), iterations=args.bookings, warmup=0)
    sequential_rate = args.bookings / (time.perf_counter() - started)

    first = warmup + args.bookings
    shares = [list(range(first + t, len(plan), args.threads)) for t in range(args.threads)]
    latencies: list[list[float]] = [[] for _ in shares]
    gate = threading.Barrier(args.threads + 1)

    def worker(t: int) -> None:
        try:
            connection.ensure_connection()
            gate.wait()
            latencies[t].extend(timed(lambda i: book_one(shares[t][i]), iterations=len(shares[t]), warmup=0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(args.threads)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    concurrent_rate = sum(len(s) for s in shares) / (time.perf_counter() - started)
    if errors:
        raise SystemExit(f"Bookings of the plan were refused: {dict(errors)}")
    if sum(len(done) for done in latencies) != len(plan) - first:
        raise SystemExit("A booking thread crashed (its traceback is above).")
    return [
        Row(
            "booking",
            "sequential",
            sequential,
            queries=queries,
            sql_ms=sql_ms,
            note=f"{sequential_rate:.0f}/s",
        ),
        Row(
            "booking",
            f"{args.threads} threads at once",
            [ms for per_thread in latencies for ms in per_thread],
            note=f"{concurrent_rate:.0f}/s",
        ),
    ]


def _profile(calls: dict[str, Callable[[int], object]]) -> None:
    import cProfile
    import pstats

    for name, call in calls.items():
        profiler = cProfile.Profile()
        profiler.runcall(lambda call=call: [call(i) for i in range(20)])
        print(f"\n--- cProfile, availability {name}, 20 calls (top 20 by own time) ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    args = _arguments()
    server = database.server_url()
    began = time.perf_counter()
    version = database.recreate(server, args.database, create=True)
    try:
        database.django_setup(database.database_url(server, args.database))
        _run(args, version, began)
    finally:
        if not args.keep_db:
            database.close_connections()
            database.recreate(server, args.database, create=False)


def _run(args: argparse.Namespace, version: str, began: float) -> None:
    from django.utils import timezone

    from bench import seed
    from scheduling.selectors import job_for

    load_start = _load()
    rng = random.Random(args.seed)
    now = timezone.now()
    seeding = time.perf_counter()
    shop = seed.shop_create(now=now)
    catalog = seed.catalog_create()
    population = seed.customers_create(count=args.customers, rng=rng)
    book = seed.book_fill(
        shop=shop,
        catalog=catalog,
        customer_ids=population.customer_ids,
        count=args.appointments,
        now=now,
        rng=rng,
    )
    database.analyze()
    seeded = time.perf_counter() - seeding
    full = book.full_days(job_for(catalog["oil_change"], waiter=False), now)
    calls: dict[str, Callable[[int], object]] = {}
    rows: list[Row] = []
    if not args.search_only:
        availability, calls = _availability_rows(book, now, args.iterations)
        rows += [*availability, *_lookup_rows(population, rng, args.iterations * 5)]
        rows += _booking_rows(book, catalog, population, now, args, rng)
    # Last: the other figures' data (and RNG draws) stay as they were before the search rows existed.
    rows += _search_rows(population, rng, args.iterations)

    print(f"Scheduling benchmark  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine:    {machine_line()}")
    print(f"load avg:   {load_start} at start, {_load()} at end (other processes share these cores)")
    print(
        f"PostgreSQL: {version} (database {args.database}{', kept' if args.keep_db else ', dropped after'})"
    )
    print(
        f"data:       {args.customers:,} customers (1 in 10 also with an alternate number), "
        f"{args.appointments:,} active appointments over {shop.horizon_days} days, seeded in {seeded:.1f} s; "
        f"for the search rows one vehicle per customer"
    )
    print(
        f"book:       {len(full)} of {len(book.open_days)} open days full for an oil change; capacity "
        f"{shop.per_slot_capacity}/slot, {shop.daily_capacity}/day, {shop.waiter_capacity} waiter bays"
    )
    print()
    print(table(rows))
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    if args.profile:
        _profile(calls)


if __name__ == "__main__":
    main()
