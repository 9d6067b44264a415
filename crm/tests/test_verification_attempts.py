"""The counters behind the verification locks: which numbers count as one caller, and that no phone
number is ever written into a cache key or a log line. (What callers notice: voice/tests/
test_tools_verification_locks.py.)"""

import logging

import pytest
import redis
from django.conf import settings

from crm.verification_attempts import (
    MAX_FAILED_PER_CALLER_AND_CUSTOMER,
    WITHHELD,
    Lock,
    caller_bucket,
    verification_failed,
    verification_lock,
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
    callers = [key for key in keys if key.endswith(":customer:7:callers")]
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        members = [member.decode() for member in client.smembers(callers[0])]
    finally:
        client.close()
    assert len(members) == 1  # a keyed hash of the number, not the number
    for digits in ("13125550999", "3125550999", "5550999"):
        assert not any(digits in key for key in keys) and not any(digits in m for m in members)
    assert "locked" in caplog.text and "***0999" in caplog.text
    assert "5550999" not in caplog.text
