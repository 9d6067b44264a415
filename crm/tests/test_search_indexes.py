"""The search box's queries can be served by the indexes of crm 0003 on PostgreSQL.

With sequential scans priced out (`enable_seqscan = off`) the planner still falls back to a scan when
no index matches the SQL, so a plan naming the index proves the index matches what Django emits. The
speed itself is measured in bench/scheduling.py, never here.
"""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Customer, Vehicle
from crm.selectors import customer_search, vehicle_search

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm indexes exist only on PostgreSQL (CI runs it)"
)

NAME_INDEX = "crm_customer_name_trgm"
VIN_INDEX = "crm_vehicle_vin_trgm"
PLATE_INDEX = "crm_vehicle_plate_key"
PHONE_INDEX = "crm_customer_phone_trgm"
EMAIL_INDEX = "crm_customer_email_trgm"


@pytest.fixture
def desk(shop, customer):
    civic = customer.vehicles.get()
    civic.plate = "ABC 1234"
    civic.save()
    other = Customer.objects.create(name="Lee Park", phone="+13125550122")
    Vehicle.objects.create(customer=other, make="Kia", model="Soul", vin="1M8GDM9AXKP042788", plate="XYZ-99")
    return other


def _plan(sql: str, params: tuple | None = None) -> str:
    with connection.cursor() as cursor:
        # SET LOCAL: undone with the test's transaction, so no other test plans without seq scans.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Plain index scans are priced out too: on a few rows the planner may walk a primary key and
        # filter the name afterwards (a near tie that flipped with table statistics). A bitmap scan
        # needs an index condition, so the plan can only reach a row through an index matching the SQL.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _queryset_plan(queryset) -> str:
    return _plan(*queryset.query.sql_with_params())


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("whitf", NAME_INDEX),
        ("dana whitfield", NAME_INDEX),
        ("g118341", VIN_INDEX),
        ("abc-1234", PLATE_INDEX),
        ("0147", PHONE_INDEX),  # the last four digits, as a customer reads them out
    ],
)
def test_customer_search_uses_the_index(desk, customer, query, index):
    found = customer_search(query=query)
    assert list(found) == [customer]
    plan = _queryset_plan(found)
    assert index in plan, plan


@pytest.mark.parametrize(
    ("query", "index"), [("park", NAME_INDEX), ("KP042788", VIN_INDEX), ("xyz 99", PLATE_INDEX)]
)
def test_vehicle_search_uses_the_index(desk, query, index):
    found = vehicle_search(query=query)
    assert [v.model for v in found] == ["Soul"]
    plan = _queryset_plan(found)
    assert index in plan, plan


@pytest.mark.parametrize(
    ("model", "query", "index"),
    [
        ("customer", "whitfield", NAME_INDEX),
        ("customer", "118341", VIN_INDEX),
        ("vehicle", "abc1234", PLATE_INDEX),
    ],
)
def test_the_admin_search_box_sql_uses_the_index(client, desk, model, query, index):
    client.force_login(User.objects.create_superuser("advisor", "advisor@example.com", None))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(f"admin:crm_{model}_changelist"), {"q": query})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    # The page of results and its count: every statement that searches must be index-backed.
    searching = [q["sql"] for q in captured.captured_queries if "LIKE" in q["sql"] or "REPLACE(" in q["sql"]]
    assert len(searching) >= 2
    for sql in searching:
        assert index in _plan(sql), sql


def test_an_email_fragment_search_can_use_the_email_index(desk, customer):
    """A word with letters searches names OR emails; each arm has its trigram index (crm 0005), so the
    planner can answer with a BitmapOr. Plain index scans are priced out too: on a table this small the
    planner would otherwise walk the primary key."""
    found = customer_search(query="dana@exa")
    assert list(found) == [customer]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = _queryset_plan(found)
    assert EMAIL_INDEX in plan and NAME_INDEX in plan
