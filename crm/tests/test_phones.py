import pytest

from crm.models import Customer
from crm.phones import format_phone_for_display, mask_phone, normalize_phone, try_normalize_phone
from crm.selectors import customer_find_by_phone
from dealership.core.errors import ApplicationError


@pytest.mark.parametrize(
    "raw",
    [
        "(312) 555-0147",
        "312.555.0147",
        "312-555-0147",
        "312 555 0147",
        "3125550147",
        "13125550147",
        "1-312-555-0147",
        "+1 312 555 0147",
        "+1 (312) 555-0147",
        "+13125550147",
        "  (312)555-0147  ",
    ],
)
def test_it_normalises_every_us_format_to_e164(raw):
    assert normalize_phone(raw) == "+13125550147"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("555-0147", "isn't a valid phone number"),
        ("123", "isn't a valid phone number"),
        ("+1 555 555 5555", "isn't a valid phone number"),
        ("(312) 055-0147", "isn't a valid phone number"),
        ("call me maybe", "doesn't look like a phone number"),
        ("", "I need a phone number"),
        ("   ", "I need a phone number"),
    ],
)
def test_it_refuses_invalid_numbers_with_a_readable_sentence(raw, fragment):
    with pytest.raises(ApplicationError) as exc:
        normalize_phone(raw)
    assert fragment in exc.value.message


def test_it_reads_numbers_without_country_code_in_the_given_region():
    assert normalize_phone("020 7946 0018", region="GB") == "+442079460018"
    assert normalize_phone("+44 20 7946 0018") == "+442079460018"
    assert try_normalize_phone("020 7946 0018") is None


def test_it_returns_none_instead_of_raising_from_try_normalize():
    assert try_normalize_phone("nope") is None
    assert try_normalize_phone("312.555.0147") == "+13125550147"


def test_it_defaults_lookups_to_the_shops_region(shop):
    shop.phone_region = "GB"
    shop.save()
    londoner = Customer.objects.create(name="Ada Price", phone="+442079460018")

    assert customer_find_by_phone(phone="020 7946 0018") == londoner
    assert customer_find_by_phone(phone="020 7946 0018", region="US") is None


def test_it_follows_the_shops_region_at_once(shop, customer, django_assert_num_queries):
    customer_find_by_phone(phone="(312) 555-0147")
    with django_assert_num_queries(2):  # the rules' version token, the customer
        assert customer_find_by_phone(phone="(312) 555-0147") == customer

    shop.phone_region = "GB"
    shop.save()
    assert customer_find_by_phone(phone="(312) 555-0147") is None


def test_it_formats_home_numbers_nationally_and_foreign_ones_internationally():
    assert format_phone_for_display("+13125550147") == "(312) 555-0147"
    assert format_phone_for_display("+14165550123") == "(416) 555-0123"
    assert format_phone_for_display("+442079460018") == "+44 20 7946 0018"
    assert format_phone_for_display("+442079460018", region="GB") == "020 7946 0018"
    assert format_phone_for_display("not a number") == "not a number"
    assert format_phone_for_display("") == ""


def test_it_masks_all_but_the_last_four_digits_for_logs():
    assert mask_phone("+13125550147") == "***0147"
    assert "555" not in mask_phone("+13125550147")
    assert mask_phone("") == "***"
