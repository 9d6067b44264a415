"""Dashboard benchmark against PostgreSQL: the owner's dashboard (`/admin/dashboard/`) for a shop with
a year of history, about 50,000 calls and 20,000 appointments.

    .venv/bin/python bench/dashboard.py [--days N] [--iterations N] [--keep-db]

Creates its own database (`dealership_bench_dashboard`, or --database, on the server of DATABASE_URL,
default postgres://postgres@127.0.0.1:5432), migrates it, writes the history with the demo's own
generator (dealership.core.demo.history, bulk inserts), and times, per period (30 days by day, 12 weeks,
12 months): the figures alone (`insights.selectors.dashboard_figures`) and the whole page as the server
answers it (middleware, session, permission check, template, charts). Goal: the page in < 300 ms at p95
(server time, no network). "queries" is per page: a fixed number, whatever the number of rows.

Warm rows: the settled days' call figures are kept (insights.CallDay), as on a shop whose dashboard was
opened before. "page, cold" rows: every kept day is dropped before each timed request (the drop itself
untimed), so each request computes and keeps all of its settled days again: the first view after a
deploy, a change of weekly hours or time zone.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench import database  # noqa: E402
from bench.report import Row, machine_line, table, timed  # noqa: E402

DB_NAME = "dealership_bench_dashboard"
PAGE_GOAL_MS = 300.0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365, help="days of history, ending yesterday")
    parser.add_argument("--calls-per-day", type=int, nargs=2, default=(150, 180), metavar=("LOW", "HIGH"))
    parser.add_argument("--staff-per-day", type=int, nargs=2, default=(14, 18), metavar=("LOW", "HIGH"))
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--iterations", type=int, default=30, help="timed requests per figure")
    parser.add_argument("--cold-iterations", type=int, default=5, help="timed cold requests per view")
    parser.add_argument("--keep-db", action="store_true", help="leave the database behind")
    parser.add_argument("--database", default=DB_NAME, help="name of the throw-away database")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="time a database kept by an earlier --keep-db run (no seeding)",
    )
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    server = database.server_url()
    if args.existing:
        args.keep_db = True
        version = database.recreate_skip(server)
    else:
        version = database.recreate(server, args.database, create=True)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    try:
        database.django_setup(database.database_url(server, args.database))
        _run(args, version)
    finally:
        if not args.keep_db:
            database.close_connections()
            database.recreate(server, args.database, create=False)


def _run(args: argparse.Namespace, version: str) -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from bench import seed
    from dealership.core.demo.history import Scale, history_build
    from insights import rollup
    from insights.selectors import dashboard_figures
    from scheduling.models import Appointment
    from voice.models import Call, Turn

    now = timezone.now()
    started = time.perf_counter()
    if not args.existing:
        seed.shop_create(now=now)
        seed.catalog_create()
        population = seed.customers_create(count=args.customers, rng=random.Random(14))
        from crm.models import Customer

        customers = list(Customer.objects.filter(pk__in=population.customer_ids[:2_000]))
        scale = Scale(
            days=args.days, calls_per_day=tuple(args.calls_per_day), staff_per_day=tuple(args.staff_per_day)
        )
        history_build(customers=customers, now=now, scale=scale)
        database.analyze()
    inbound = Call.objects.filter(direction=Call.Direction.INBOUND).count()
    print(
        f"Seeded in {time.perf_counter() - started:.0f} s: {inbound:,} inbound calls "
        f"({Call.objects.count():,} with reminder calls), {Turn.objects.count():,} turns, "
        f"{Appointment.objects.count():,} appointments over {args.days} days"
    )

    owner = User.objects.filter(username="bench-owner").first() or User.objects.create_superuser(
        "bench-owner", password="bench-password-1234"
    )
    client = Client()
    client.force_login(owner)
    rows: list[Row] = []
    for kind in ("day", "week", "month"):

        def page(i: int, kind: str = kind) -> None:
            response = client.get("/admin/dashboard/", {"period": kind}, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"/admin/dashboard/?period={kind} answered {response.status_code}")

        def figures(i: int, kind: str = kind) -> None:
            dashboard_figures(kind=kind)

        for name, call, goal in (("figures", figures, None), ("page", page, PAGE_GOAL_MS)):
            samples = timed(call, iterations=args.iterations, warmup=3)
            queries, sql_ms = database.sql_cost(call, runs=5)
            rows.append(Row(f"dashboard {kind}", name, samples, goal_ms=goal, queries=queries, sql_ms=sql_ms))
        cold: list[float] = []
        cold_queries = cold_sql = 0.0
        for i in range(args.cold_iterations):
            rollup.forget()  # untimed
            if i == 0:
                queries, sql_ms = database.sql_cost(page, runs=1)
                cold_queries, cold_sql = queries, sql_ms
                rollup.forget()
            started = time.perf_counter()
            page(i)
            cold.append((time.perf_counter() - started) * 1000)
        rows.append(
            Row(
                f"dashboard {kind}",
                "page, cold",
                cold,
                queries=cold_queries,
                sql_ms=cold_sql,
                note="first view: no goal",
            )
        )
    print()
    print(table(rows))
    print(f"\nPostgreSQL {version}; {machine_line()}")


if __name__ == "__main__":
    main()
