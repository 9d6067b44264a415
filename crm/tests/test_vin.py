import pytest

from crm.vin import check_digit, validate_vin
from dealership.core.errors import ApplicationError


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP042788", "1G4AH59H45G118341", "11111111111111111"])
def test_it_accepts_vins_whose_check_digit_verifies(vin):
    check = validate_vin(vin)
    assert check.vin == vin
    assert check.check_digit_ok is True


def test_it_computes_x_when_the_remainder_is_ten():
    assert check_digit("1M8GDM9AXKP042788") == "X"


def test_it_flags_rather_than_refuses_a_failing_check_digit():
    check = validate_vin("5YJSA1E26HF000001")
    assert check.vin == "5YJSA1E26HF000001"
    assert check.check_digit_ok is False


def test_it_normalises_case_spaces_and_dashes():
    check = validate_vin(" 1g4ah59h45-g118341 ")
    assert check.vin == "1G4AH59H45G118341"
    assert check.check_digit_ok is True


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1G4AH59H45G11834", "has 16"),
        ("1G4AH59H45G1183411", "has 18"),
        ("", "has 0"),
        ("1G4AH59H45G11834I", "except I, O and Q"),
        ("1G4AH59H45G11834O", "except I, O and Q"),
        ("1G4AH59H45G11834Q", "except I, O and Q"),
        ("1G4AH59H45G11834*", "except I, O and Q"),
    ],
)
def test_it_refuses_bad_syntax_with_a_readable_sentence(raw, fragment):
    with pytest.raises(ApplicationError) as exc:
        validate_vin(raw)
    assert fragment in exc.value.message
