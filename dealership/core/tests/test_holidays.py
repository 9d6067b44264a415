from datetime import date

from dealership.core.demo.holidays import holidays_between, training_day, us_shop_holidays


def test_it_knows_the_floating_holidays():
    days = dict((name, day) for day, name in us_shop_holidays(2026))
    assert days["Thanksgiving"] == date(2026, 11, 26)
    assert days["Memorial Day"] == date(2026, 5, 25)
    assert days["Labor Day"] == date(2026, 9, 7)


def test_it_moves_a_sunday_holiday_to_the_monday():
    assert (date(2022, 12, 26), "Christmas Day (observed)") in us_shop_holidays(2022)
    july_2027 = [(day, name) for day, name in us_shop_holidays(2027) if day.month == 7]
    assert july_2027 == [(date(2027, 7, 5), "Independence Day (observed)")]
    assert (date(2026, 7, 4), "Independence Day") in us_shop_holidays(2026)  # a Saturday stays put


def test_it_finds_holidays_across_new_year():
    assert holidays_between(date(2026, 12, 20), date(2027, 1, 19)) == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2027, 1, 1), "New Year's Day"),
    ]


def test_it_puts_a_training_day_on_a_weekday_two_weeks_out():
    assert training_day(date(2027, 2, 10)) == date(2027, 2, 24)  # Wednesday → Wednesday
    assert training_day(date(2027, 2, 13)) == date(2027, 3, 1)  # Saturday → the Monday after
