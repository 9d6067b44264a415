import pytest

from voice.agent.ear import for_the_ear


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Call (312) 555-0147.", "Call 3 1 2, 5 5 5, 0 1 4 7."),
        ("Our number is +13125550100", "Our number is 3 1 2, 5 5 5, 0 1 0 0"),
        ("An oil change is $59.99.", "An oil change is fifty-nine ninety-nine."),
        ("A battery is $189.00", "A battery is one hundred and eighty-nine dollars"),
        ("It's $5.05 extra", "It's five dollars and five cents extra"),
        ("The inspection is $0.00", "The inspection is no charge"),
        ("Come at 9:00 AM", "Come at nine A M"),
        ("or 10:05 a.m.", "or ten oh five A M"),
        ("at 2:30 PM?", "at two thirty P M?"),
        ("on Tuesday, November 26", "on Tuesday, November twenty-sixth"),
        ("on December 1st", "on December first"),
    ],
)
def test_it_rewrites_for_the_ear(written, spoken):
    assert for_the_ear(written) == spoken


def test_it_leaves_plain_text_and_other_numbers_alone():
    text = "Your 2019 Civic had 42,000 miles. Confirmation number 118."
    assert for_the_ear(text) == text
