from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
import time_machine
from django.core.management import CommandError, call_command

from crm.models import Customer, ServiceRecord, Vehicle
from crm.vin import validate_vin
from dealership.core.errors import ApplicationError
from scheduling.knowledge import shop_knowledge_for_agent
from scheduling.models import Appointment, BusinessHours, Closure, ServiceType, Shop, ShopAnswer
from scheduling.selectors import availability_find, service_get

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=CHICAGO)  # a Saturday; Thanksgiving is Thursday the 26th
TODAY = NOW.date()
THANKSGIVING = date(2026, 11, 26)
MODELS = (
    Shop,
    BusinessHours,
    ServiceType,
    ShopAnswer,
    Customer,
    Vehicle,
    ServiceRecord,
    Closure,
    Appointment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_demo(settings):
    """The demo shop loads only in the local demo (DJANGO_DEBUG=1, as scripts/run sets it)."""
    settings.DEBUG = True


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_it_sets_up_the_shop_in_chicago_with_weekday_and_saturday_hours():
    seed()
    shop = Shop.objects.get()
    assert shop.name == "Lakeside Auto Service"
    assert str(shop.timezone) == "America/Chicago"
    assert phonenumbers.is_valid_number(phonenumbers.parse(shop.phone_number))
    assert (shop.per_slot_capacity, shop.waiter_capacity, shop.daily_capacity) == (3, 2, 24)
    assert shop.technician_minutes_per_day == 4 * 8 * 60
    hours = sorted(BusinessHours.objects.values_list("weekday", "opens", "closes"))
    assert hours == [
        *((weekday, time(7, 30), time(18, 0)) for weekday in range(5)),
        (5, time(8, 0), time(13, 0)),
    ]


def test_it_loads_the_catalog_with_durations_prices_and_caller_words():
    seed()
    catalog = {s.code: s for s in ServiceType.objects.all()}
    required = {
        "oil_change",
        "tire_rotation",
        "brake_inspection",
        "state_inspection",
        "battery_replacement",
        "diagnostic",
    }
    assert required <= set(catalog)
    assert len(catalog) >= 8
    for service in catalog.values():
        assert 15 <= service.duration_minutes <= 240
        assert Decimal("10") <= service.price < Decimal("1000")
    diagnostic = catalog["diagnostic"]
    assert (diagnostic.daily_limit, diagnostic.price_is_from, diagnostic.waiter_eligible) == (2, True, False)
    assert service_get(code="oil and filter").code == "oil_change"
    assert service_get(code="check engine light").code == "diagnostic"


def test_it_creates_about_fifty_customers_with_valid_phones_vehicles_and_history():
    seed()
    customers = list(Customer.objects.prefetch_related("vehicles"))
    assert 45 <= len(customers) <= 55
    phones = [c.phone for c in customers]
    assert len(set(phones)) == len(phones)
    for customer in customers:
        parsed = phonenumbers.parse(customer.phone)
        assert phonenumbers.is_valid_number(parsed), customer.phone
        assert str(parsed.national_number)[:3] in {"312", "773", "630"}
        if customer.alt_phone:
            assert phonenumbers.is_valid_number(phonenumbers.parse(customer.alt_phone))
        assert customer.vehicles.all(), f"{customer} has no vehicle"
    history = ServiceRecord.objects.all()
    assert history.count() >= len(customers)
    assert all(record.date < TODAY for record in history)
    assert Vehicle.objects.filter(service_records__isnull=False).distinct().count() >= 0.9 * len(customers)


def test_it_gives_north_american_vins_a_correct_check_digit_and_flags_the_european_one():
    seed()
    vehicles = list(Vehicle.objects.all())
    assert len({v.vin for v in vehicles}) == len(vehicles)
    flagged = [v for v in vehicles if v.vin_flagged]
    assert [(v.vin[:3], v.make) for v in flagged] == [("WVW", "Volkswagen")]
    for vehicle in vehicles:
        assert validate_vin(vehicle.vin).check_digit_ok is not vehicle.vin_flagged


def test_it_closes_for_thanksgiving_and_availability_says_so():
    seed()
    closure = Closure.objects.get(date=THANKSGIVING)
    assert closure.is_full_day and closure.reason == "Thanksgiving"
    assert Closure.objects.filter(date__range=(TODAY, TODAY + timedelta(days=30))).count() == 1
    with pytest.raises(ApplicationError, match="Thanksgiving"):
        availability_find(service_code="oil_change", preferred_date=THANKSGIVING)


def test_it_books_the_next_two_weeks_only_when_the_shop_is_open_and_within_capacity():
    seed()
    shop = Shop.objects.get()
    # The upcoming ones (the past weeks' history is dealership.core.demo.history's, tested on its own).
    appointments = list(Appointment.objects.filter(start__gte=NOW).select_related("service_type"))
    closed = set(Closure.objects.values_list("date", flat=True))
    hours = {h.weekday: (h.opens, h.closes) for h in BusinessHours.objects.all()}
    assert len(appointments) >= 30
    for appointment in appointments:
        local = appointment.start.astimezone(CHICAGO)
        assert appointment.start >= NOW + timedelta(minutes=shop.min_notice_minutes)
        assert TODAY <= appointment.local_date < TODAY + timedelta(days=14)
        assert appointment.local_date == local.date()
        assert local.weekday() != 6 and local.date() not in closed
        opens, closes = hours[local.weekday()]
        assert opens <= local.time() < closes
        # Booked by the staff, but for the one the AI booked on today's demo booking call.
        assert appointment.channel == Appointment.Channel.STAFF or (
            appointment.channel == Appointment.Channel.AI_PHONE and appointment.call.outcome == "booked"
        )
        assert appointment.duration_minutes == appointment.service_type.duration_minutes
        assert appointment.price_quoted == appointment.service_type.price
        assert appointment.vehicle is None or appointment.vehicle.customer_id == appointment.customer_id
    assert sum(a.channel == Appointment.Channel.AI_PHONE for a in appointments) == 1
    per_day = Counter(a.local_date for a in appointments if a.channel == Appointment.Channel.STAFF)
    assert len(per_day) >= 9  # every open day of the two weeks bar at most one
    assert max(per_day.values()) <= 6
    per_slot = Counter(a.start for a in appointments)
    assert max(per_slot.values()) <= shop.per_slot_capacity
    diagnostics = Counter(a.local_date for a in appointments if a.service_type.code == "diagnostic")
    assert max(diagnostics.values(), default=0) <= 2


def test_it_changes_nothing_when_run_a_second_time():
    first_output = seed()
    before = counts()
    second_output = seed()
    assert counts() == before
    assert "customers 50 new/0 kept" in first_output
    assert "customers 0 new/50 kept" in second_output
    assert "appointments 0 new" in second_output


def test_it_adds_nothing_when_run_again_days_later(frozen):
    seed()
    before = counts()
    frozen.move_to(NOW + timedelta(days=3))
    seed()
    assert counts() == before


def test_it_keeps_what_an_advisor_changed_in_the_admin():
    seed()
    Shop.objects.update(name="Lakeside Auto & Tire", per_slot_capacity=4)
    ServiceType.objects.filter(code="oil_change").update(price=Decimal("64.99"))
    BusinessHours.objects.filter(weekday=5).delete()
    Customer.objects.filter(phone="+13125550101").update(name="Renamed Customer")
    seed()
    shop = Shop.objects.get()
    assert (shop.name, shop.per_slot_capacity) == ("Lakeside Auto & Tire", 4)
    assert ServiceType.objects.get(code="oil_change").price == Decimal("64.99")
    assert not BusinessHours.objects.filter(weekday=5).exists()
    assert Customer.objects.filter(name="Renamed Customer").count() == 1


def test_it_ships_answers_to_what_callers_ask_and_all_of_them_reach_the_agent():
    seed()
    topics = " ".join(ShopAnswer.objects.filter(active=True).values_list("topic", flat=True)).lower()
    for subject in (
        "loaner",
        "payment",
        "warranty",
        "towing",
        "directions",
        "key drop",
        "diagnostic",
        "brands",
    ):
        assert subject in topics
    knowledge = shop_knowledge_for_agent()
    assert len(knowledge.answers) == ShopAnswer.objects.count() and not knowledge.left_out
    # The diagnostic fee the answer quotes is the catalog's price.
    fee = ShopAnswer.objects.get(topic="Diagnostic fee policy").answer
    assert f"${ServiceType.objects.get(code='diagnostic').price:.0f}" in fee


def test_it_keeps_an_advisors_edited_switched_off_or_deleted_answers():
    seed()
    ShopAnswer.objects.filter(topic="Towing").update(answer="We tow within 10 miles for $95.")
    ShopAnswer.objects.filter(topic="Payment methods").update(active=False)
    ShopAnswer.objects.filter(topic="Bringing your own parts").delete()
    seed()
    assert ShopAnswer.objects.get(topic="Towing").answer == "We tow within 10 miles for $95."
    assert ShopAnswer.objects.get(topic="Payment methods").active is False
    assert not ShopAnswer.objects.filter(topic="Bringing your own parts").exists()


def test_it_plans_a_training_day_when_no_holiday_is_near(frozen):
    frozen.move_to(datetime(2027, 2, 10, 9, 0, tzinfo=CHICAGO))  # no holiday until Memorial Day
    output = seed()
    closure = Closure.objects.get()
    assert closure.reason == "Staff training day"
    assert closure.date.weekday() < 5
    assert 14 <= (closure.date - date(2027, 2, 10)).days <= 16
    assert not Appointment.objects.filter(local_date=closure.date).exists()
    assert "Staff training day" in output
    frozen.move_to(datetime(2027, 2, 12, 9, 0, tzinfo=CHICAGO))
    seed()
    assert Closure.objects.count() == 1


def test_outside_debug_it_refuses_and_loads_nothing(settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        seed()
    assert counts() == before
    assert not Customer.objects.exists()


def test_it_adds_calls_handled_by_the_ai_and_open_callbacks_for_today():
    from voice.models import Call, CallbackRequest

    seed()

    calls = Call.objects.filter(call_sid__startswith="CAdemo")  # today's, not the weeks of history
    assert calls.count() == 4
    assert {c.outcome for c in calls} == {"booked", "message_taken", "information"}
    assert all(c.turns.count() >= 3 and c.customer_id for c in calls)
    assert all(NOW - timedelta(hours=12) < c.started_at < NOW for c in calls)  # on Today's call list
    assert calls.filter(tool_calls__isnull=False).distinct().count() == 2
    open_messages = CallbackRequest.objects.filter(handled=False)
    assert open_messages.count() == 2 and open_messages.filter(urgent=True).count() == 1

    seed()  # again: nothing doubled, and a handled message stays handled
    assert (calls.count(), CallbackRequest.objects.filter(handled=False).count()) == (4, 2)


def test_the_booking_call_booked_what_it_says_and_every_call_is_summarised():
    from dealership.core.alerts.delivery import alert_recipients
    from voice.models import Call

    seed()

    calls = {c.call_sid: c for c in Call.objects.filter(call_sid__startswith="CAdemo")}
    booking = next(c for c in calls.values() if c.outcome == Call.Outcome.BOOKED)
    appointment = Appointment.objects.get(call=booking)
    assert appointment.channel == Appointment.Channel.AI_PHONE
    assert appointment.customer_id == booking.customer_id
    assert appointment.service_type.code == "oil_change"
    start = appointment.start.astimezone(CHICAGO)
    # Saturday: tomorrow is Sunday, closed; the agent offers Monday morning and says so.
    assert start.date() == date(2026, 11, 23) and start.time() == time(9, 30)
    said = " ".join(booking.turns.values_list("text", flat=True))
    assert "on Monday at 9:30 AM" in said and "tomorrow at 9:30" not in said
    tools = list(booking.tool_calls.order_by("pk").values_list("name", flat=True))
    assert tools == ["check_availability", "schedule_appointment"]
    assert booking.tool_calls.get(name="schedule_appointment").result["appointment_id"] == appointment.pk

    for call in calls.values():
        assert call.summary and call.reason_for_calling and call.service_wanted and call.summarized_at
        assert call.urgency in ("routine", "soon") and call.sentiment
        assert call.follow_up_needed == call.callback_requests.exists()
    assert booking.vehicle_mentioned

    shop = Shop.objects.get()
    assert [r.address for r in alert_recipients(shop)] == ["owner@lakeside-auto.example"]
