"""The counters behind the verification locks: which numbers count as one caller, and that no phone
number is ever written into a cache key or a log line. (What callers notice: voice/tests/
test_tools_verification_locks.py.)"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches

from crm.verification_attempts import (
    MAX_FAILED_PER_CALLER_AND_CUSTOMER,
    MAX_REMEMBERED_CALLERS,
    WINDOW_SECONDS,
    WITHHELD,
    Lock,
    _caller_and_customer_key,
    _caller_tag,
    _callers_key,
    _customer_keys,
    caller_bucket,
    verification_failed,
    verification_lock,
    verification_pause,
)

ATTACKER = "+13125550999"


@pytest.mark.parametrize(
    "phone", ["", "   ", "anonymous", "client:web", "+266696687", "+86282452253", "+7378742833", "+2562533"]
)
def test_every_hidden_or_unusable_caller_id_is_one_bucket(phone):
    assert caller_bucket(phone) == WITHHELD


def test_a_real_number_is_its_own_bucket():
    assert caller_bucket(ATTACKER) == ATTACKER
    assert caller_bucket("+13125550148") != caller_bucket(ATTACKER)


def test_the_lock_trips_at_the_limit_for_that_number_and_customer_only():
    for _ in range(MAX_FAILED_PER_CALLER_AND_CUSTOMER - 1):
        assert verification_failed(caller_phone=ATTACKER, customer_id=7) is None
    assert verification_lock(caller_phone=ATTACKER, customer_id=7) is None

    assert verification_failed(caller_phone=ATTACKER, customer_id=7) == Lock.CALLER_AND_CUSTOMER

    assert verification_lock(caller_phone=ATTACKER, customer_id=7) == Lock.CALLER_AND_CUSTOMER
    assert verification_lock(caller_phone="+13125550148", customer_id=7) is None
    assert verification_lock(caller_phone=ATTACKER, customer_id=8) is None


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL) to read the stored keys")
def test_no_phone_number_is_stored_in_a_key_or_logged(caplog):
    caplog.set_level(logging.DEBUG)
    for _ in range(MAX_FAILED_PER_CALLER_AND_CUSTOMER):
        verification_failed(caller_phone=ATTACKER, customer_id=7)

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        keys = [key.decode() for key in client.scan_iter(match="*:crm:verify-failures:*", count=1000)]
    finally:
        client.close()
    # number and customer, number, customer (and when its count started), the customer's set of numbers
    assert len(keys) == 5
    callers = [key for key in keys if key.endswith(":customer:7:recent-callers")]
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        members = [member.decode() for member in client.zrange(callers[0], 0, -1)]
    finally:
        client.close()
    assert len(members) == 1  # a keyed hash of the number, not the number
    for digits in ("13125550999", "3125550999", "5550999"):
        assert not any(digits in key for key in keys) and not any(digits in m for m in members)
    assert "locked" in caplog.text and "***0999" in caplog.text
    assert "5550999" not in caplog.text


needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL) to read the keys")


@contextmanager
def raw_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        yield client
    finally:
        client.close()


def stored(key: str) -> str:
    """`key` as the cache stores it in Redis (with its prefix and version)."""
    return caches["default"].make_and_validate_key(key)


@needs_redis
@pytest.mark.django_db
def test_the_customers_numbers_are_capped_and_a_number_whose_count_is_gone_is_dropped(shop):
    numbers = [f"+131255503{n:02d}" for n in range(MAX_REMEMBERED_CALLERS + 10)]
    assert WITHHELD not in {caller_bucket(number) for number in numbers}
    for number in numbers:
        verification_failed(caller_phone=number, customer_id=7)
    callers = stored(_callers_key(7))

    with raw_redis() as client:
        assert client.zcard(callers) == MAX_REMEMBERED_CALLERS  # the most recent ones
        # One number's count expires (here: deleted); reading the pause forgets it.
        tag = _caller_tag(numbers[-1])
        assert client.zscore(callers, tag) is not None
        client.delete(stored(_caller_and_customer_key(tag, 7)))

        verification_pause(customer_id=7)

        assert client.zscore(callers, tag) is None
        assert client.zcard(callers) == MAX_REMEMBERED_CALLERS - 1


def test_a_failed_write_of_the_customers_numbers_still_counts_the_miss_everywhere():
    cache.set(_callers_key(7), "not a set")  # every write to it fails (WRONGTYPE in Redis)

    verification_failed(caller_phone=ATTACKER, customer_id=7)

    # The customer's count from every number (the last of the three) was still counted.
    assert cache.get(_customer_keys(7)[0]) == 1


@needs_redis
def test_a_count_without_a_lifetime_gets_one_on_the_next_miss_and_a_window_is_never_extended():
    key = stored(_customer_keys(7)[0])
    with raw_redis() as client:
        client.set(key, 3)  # as left by an INCR just after the count expired: no lifetime

        verification_failed(caller_phone=ATTACKER, customer_id=7)

        assert int(client.get(key)) == 4
        assert 0 < client.ttl(key) <= WINDOW_SECONDS
        client.expire(key, 100)

        verification_failed(caller_phone=ATTACKER, customer_id=7)

        assert int(client.get(key)) == 5 and 0 < client.ttl(key) <= 100
