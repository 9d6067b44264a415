"""Booking from the agenda: "Book on this day" and each open slot's "Book" open the booking form with
the day (and the slot's time) filled in; a full slot offers no link."""

import re
from datetime import date, time
from html import unescape

import pytest
from django.urls import reverse

from scheduling.tests.clock import MONDAY, at

pytestmark = pytest.mark.usefixtures("frozen")

AGENDA = reverse("admin:scheduling_appointment_agenda")
ADD = reverse("admin:scheduling_appointment_add")


def _links(page: str) -> dict[str, str]:
    """{slot "HH:MM" or "day": booking URL} found on the agenda page."""
    found = {}
    for slot, url in re.findall(
        r'<tr data-slot="([0-9:]+)">.*?(?:<a href="([^"]+)">Book</a>|</tr>)', page, re.S
    ):
        if url:
            found[slot] = unescape(url)
    day = re.search(r'<a href="([^"]+)" class="desk-button">Book on this day</a>', page)
    if day:
        found["day"] = unescape(day.group(1))
    return found


def test_a_slot_opens_the_booking_form_with_its_day_and_time(admin_client, book):
    book(at(9, 30))
    book(at(9, 30))  # 9:30 is full (two write-ups per slot)
    links = _links(admin_client.get(AGENDA, {"date": MONDAY.isoformat()}).content.decode())

    assert "09:30" not in links and "10:00" in links
    assert links["day"] == f"{ADD}?local_day={MONDAY.isoformat()}"
    form = admin_client.get(links["10:00"]).context["adminform"].form
    assert form["local_day"].value() in (MONDAY, MONDAY.isoformat())
    assert str(form["local_time"].value()) in ("10:00", "10:00:00", str(time(10, 0)))


def test_a_closed_day_offers_no_slot_to_book(admin_client):
    sunday = date(2026, 11, 22)
    page = admin_client.get(AGENDA, {"date": sunday.isoformat()}).content.decode()
    assert _links(page) == {}  # neither a slot nor "Book on this day"
    assert 'id="agenda-capacity"' not in page  # no capacity table as if the shop were open
    assert "Closed" in page


def test_a_past_day_offers_nothing_to_book(admin_client, shop, catalog):
    last_monday = date(2026, 11, 16)  # an open weekday, before the frozen Sunday
    page = admin_client.get(AGENDA, {"date": last_monday.isoformat()}).content.decode()
    assert '<tr data-slot="09:00">' in page  # its slots are still shown
    assert _links(page) == {}
