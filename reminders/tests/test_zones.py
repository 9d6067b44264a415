from zoneinfo import ZoneInfo

from reminders.zones import customer_zones

SHOP = ZoneInfo("America/Chicago")


def names(result) -> list[str]:
    return [str(z) for z in result.zones]


def test_it_uses_the_address_state_first():
    result = customer_zones(state="CA", phone="+13125550147", shop_zone=SHOP)
    assert (names(result), result.source) == (["America/Los_Angeles"], "address")


def test_it_reads_full_state_names_and_keeps_every_zone_of_a_split_state():
    result = customer_zones(state=" texas ", phone="", shop_zone=SHOP)
    assert names(result) == ["America/Chicago", "America/Denver"]


def test_without_an_address_it_uses_the_area_code():
    result = customer_zones(state="", phone="+12065550147", shop_zone=SHOP)
    assert (names(result), result.source) == (["America/Los_Angeles"], "area code")


def test_an_unknown_state_falls_back_to_the_area_code():
    assert customer_zones(state="Narnia", phone="+12125550147", shop_zone=SHOP).source == "area code"


def test_a_toll_free_number_says_nothing_so_the_shop_zone_is_used():
    result = customer_zones(state="", phone="+18005550100", shop_zone=SHOP)
    assert (names(result), result.source) == (["America/Chicago"], "shop")
