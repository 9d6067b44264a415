"""Bringing a shop's records in from its management system's CSV export, through the admin's
upload → preview → confirm, as a service advisor does it."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from crm.models import Customer, ServiceRecord, Vehicle
from crm.selectors import customer_find_by_phone
from crm.shop_import import column_for_header
from dealership.core.groups import SERVICE_ADVISOR

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-shop-export.csv"
IMPORT = "/admin/crm/customer/import/"
CONFIRM = "/admin/crm/customer/process_import/"
HEADER = "Customer Name,Cell Phone,VIN,Year,Make,Model,Odometer,RO Date,Work Performed,Invoice Total\n"


@pytest.fixture
def advisor(client: Client, shop, catalog) -> Client:
    user = User.objects.create_user("advisor", password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=SERVICE_ADVISOR))
    client.force_login(user)
    return client


def _upload(client: Client, content: bytes, name: str = "export.csv"):
    return client.post(
        IMPORT, {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, content)}
    )


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _row_kinds(response) -> list[str]:
    """The preview's first cell per row: New, Update, Skipped."""
    return re.findall(r"\b(New|Update|Skipped)\b", _text(response).split("Confirm import", 1)[-1])


def _confirm(client: Client, preview) -> None:
    page = preview.content.decode()
    stored = re.search(r'name="import_file_name" value="([^"]+)"', page)
    assert stored, "the preview offers no confirmation"
    form = {
        "import_file_name": stored.group(1),
        "original_file_name": "export.csv",
        "format": "0",
        "resource": "0",
    }
    response = client.post(CONFIRM, form, follow=True)
    assert response.status_code == 200


def _counts() -> tuple[int, int, int]:
    return Customer.objects.count(), Vehicle.objects.count(), ServiceRecord.objects.count()


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Cell Phone", "phone"),
        ("Mobile", "phone"),
        ("Customer Name", "name"),
        ("First Name", "first_name"),
        ("License Plate", "plate"),
        ("Odometer", "mileage"),
        ("RO Date", "service_date"),
        ("Invoice Total", "cost"),
        ("Zip/Postal Code", "zip_code"),
        ("VIN #", "vin"),
        ("Favourite colour", None),
    ],
)
def test_it_reads_the_headers_shop_systems_use(header, column):
    assert column_for_header(header) == column


def test_the_sample_file_imports_after_a_preview(advisor, catalog):
    preview = _upload(advisor, SAMPLE.read_bytes())

    assert preview.status_code == 200
    assert _row_kinds(preview) == ["New", "Update", "New", "New"]
    assert "2019 Honda Accord · VIN …004352" in _text(preview)
    assert _counts() == (0, 0, 0)  # the preview wrote nothing

    _confirm(advisor, preview)

    assert _counts() == (3, 2, 3)
    dana = customer_find_by_phone(phone="+13125550147")  # caller ID knows her from day one
    assert dana is not None and dana.name == "Dana Whitfield" and dana.zip_code == "60610"
    accord = dana.vehicles.get()
    assert (accord.vin, accord.year, accord.plate, accord.mileage) == (
        "1HGCM82633A004352",
        2019,
        "DKW 4471",
        52400,
    )
    oil = accord.service_records.get(description="Oil change")
    assert (str(oil.date), oil.cost, oil.service_type) == (
        "2025-03-14",
        Decimal("49.99"),
        catalog["oil_change"],
    )
    luis = Customer.objects.get(name="Luis Ortega")
    assert luis.phone == "+13125550188" and luis.vehicles.get().vin == ""
    assert Customer.objects.get(name="Priya Raman").phone == "+17735550123"


def test_importing_the_same_file_again_changes_nothing(advisor):
    _confirm(advisor, _upload(advisor, SAMPLE.read_bytes()))
    before = [(c.pk, c.name, c.phone, c.email, c.updated_at) for c in Customer.objects.order_by("pk")]

    again = _upload(advisor, SAMPLE.read_bytes())
    assert _row_kinds(again) == ["Skipped"] * 4
    _confirm(advisor, again)

    assert _counts() == (3, 2, 3)
    assert [(c.pk, c.name, c.phone, c.email, c.updated_at) for c in Customer.objects.order_by("pk")] == before


def test_a_corrected_row_updates_the_record_it_matches(advisor):
    _confirm(advisor, _upload(advisor, SAMPLE.read_bytes()))
    corrected = SAMPLE.read_text().replace("03/14/2025,Oil change,49.99", "03/14/2025,Oil change,54.99")
    corrected = corrected.replace("(312) 555-0147", "312.555.0147")  # same number, other spelling

    preview = _upload(advisor, corrected.encode())
    assert _row_kinds(preview) == ["Update", "Skipped", "Skipped", "Skipped"]
    _confirm(advisor, preview)

    assert _counts() == (3, 2, 3)
    assert ServiceRecord.objects.get(description="Oil change").cost == Decimal("54.99")


def test_bad_rows_are_reported_per_row_and_nothing_is_written(advisor):
    rows = (
        "Ann Lee,555,,,,,,,,\n"
        "Bob Kim,(312) 555-0199,ABC,2020,Kia,Rio,,,,\n"
        "Cy Young,(312) 555-0177,1HGCM82633A004352,1800,Honda,Accord,,13/45/2025,Oil change,4x\n"
        "Good Row,(312) 555-0166,,2018,Kia,Soul,1000,,,\n"
    )

    preview = _upload(advisor, (HEADER + rows).encode())
    text = _text(preview)

    assert "Some rows failed to validate" in text
    assert "'555' isn't a valid phone number." in text
    assert "A VIN has 17 characters; 'ABC' has 3." in text
    assert "The model year should be between 1950 and" in text
    assert "'13/45/2025' isn't a date I understand" in text
    assert "'4x' isn't an amount I understand." in text
    assert 'name="import_file_name"' not in preview.content.decode()  # no confirmation offered
    assert _counts() == (0, 0, 0)


def test_a_vin_on_file_for_another_customer_is_refused(advisor, customer):
    Vehicle.objects.create(
        customer=customer, vin="1HGCM82633A004352", year=2019, make="Honda", model="Accord"
    )

    preview = _upload(
        advisor, (HEADER + "Eve Stone,(312) 555-0155,1HGCM82633A004352,2019,Honda,Accord,,,,\n").encode()
    )

    assert f"VIN 1HGCM82633A004352 is on file for {customer.name}" in _text(preview)
    assert not Customer.objects.filter(name="Eve Stone").exists()


def test_a_row_that_fails_at_the_confirm_step_undoes_the_whole_import(advisor):
    preview = _upload(advisor, SAMPLE.read_bytes())
    # Between the preview and the confirmation, the Accord is entered for someone else.
    other = Customer.objects.create(name="Sam Other", phone="+13125550111")
    Vehicle.objects.create(customer=other, vin="1HGCM82633A004352", year=2019, make="Honda", model="Accord")

    page = preview.content.decode()
    stored = re.search(r'name="import_file_name" value="([^"]+)"', page).group(1)
    form = {"import_file_name": stored, "original_file_name": "export.csv", "format": "0", "resource": "0"}
    response = advisor.post(CONFIRM, form, follow=True)

    assert "Nothing was imported: some rows no longer pass" in _text(response)
    assert _counts() == (1, 1, 0)  # only what was there before


def test_another_name_on_a_number_on_file_is_added_as_a_second_person(advisor, customer):
    number = customer.phone

    _confirm(advisor, _upload(advisor, f"Name,Phone\nJo Spouse,{number}\n".encode()))

    spouse = Customer.objects.get(name="Jo Spouse")
    assert spouse.secondary_on_phone and customer.name in spouse.review_note
    assert customer_find_by_phone(phone=number) == customer


def test_a_file_without_a_phone_column_is_refused_with_the_reason(advisor):
    response = _upload(advisor, b"Name,Email\nAnn,ann@example.com\n")

    assert response.status_code == 200
    assert "The file has no phone column" in _text(response)
    assert _counts() == (0, 0, 0)


def test_a_file_that_is_not_text_is_refused(advisor):
    response = _upload(advisor, b"\xff\xfe\x00\x00garbage\x00\x01")

    assert response.status_code == 200
    assert "'UnicodeDecodeError' encountered while trying to read file." in _text(response)
    assert _counts() == (0, 0, 0)


def test_a_file_saved_as_excel_csv_utf8_reads_its_first_header(advisor):
    preview = _upload(advisor, "\ufeffName,Phone\nJosé Núñez,(312) 555-0133\n".encode())

    _confirm(advisor, preview)

    assert Customer.objects.get(phone="+13125550133").name == "José Núñez"


def test_an_expired_upload_asks_for_the_file_again(advisor):
    form = {"import_file_name": "gone-123", "original_file_name": "x.csv", "format": "0", "resource": "0"}

    response = advisor.post(CONFIRM, form, follow=True)

    assert response.status_code == 200
    assert "That upload is gone" in _text(response)
    assert _counts() == (0, 0, 0)


def test_staff_without_the_permission_cannot_import(client, shop):
    user = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
    client.force_login(user)

    assert client.get(IMPORT).status_code == 403
    assert _upload(client, SAMPLE.read_bytes()).status_code == 403
    assert _counts() == (0, 0, 0)


def test_the_page_explains_the_columns_and_offers_the_sample_file(advisor):
    from django.contrib.staticfiles import finders

    page = advisor.get(IMPORT).content.decode()

    help_text = html.unescape(page.split('id="import-help"', 1)[1].split("</div>", 1)[0])
    assert "“Cell Phone”" in help_text and "(312) 555-0147" in help_text and "invoice total" in help_text
    assert "This importer will import the following fields" not in page  # the raw field names
    link = re.search(r'id="import-sample" href="([^"]+)"', page).group(1)
    assert link.endswith("crm/sample-shop-export.csv")
    # The file offered is the documented sample (docs/), byte for byte.
    assert Path(finders.find("crm/sample-shop-export.csv")).read_bytes() == SAMPLE.read_bytes()
    assert re.search(r"<button[^>]*>\s*Preview import\s*</button>", page)
    assert ">Submit<" not in page.replace(" ", "")
