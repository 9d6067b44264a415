"""Failed identity checks across calls, counted so that guessing is stopped without letting a stranger
lock a real customer out.

The per-call limit (voice.tools.context) stops one call from guessing; these counters stop many calls
from guessing one customer's ZIP code a few tries at a time. They used to be per customer only, which
let anyone lock a customer out for a day with ten wrong answers. Now they count:

- per calling number and customer (MAX_FAILED_PER_CALLER_AND_CUSTOMER): the number that guessed is
  stopped for that customer; the customer, calling from anywhere else, is not;
- per calling number across customers (MAX_FAILED_PER_CALLER): one number working through many
  customers is stopped;
- per customer from every number (MAX_FAILED_PER_CUSTOMER, much higher): guessing spread over many
  (spoofed) numbers still ends. It only pauses verification of callers *not* on the customer's own
  number: a caller on that number never needs verification and is never checked against or counted
  in any of these.

Withheld caller IDs ("anonymous", Twilio's pseudo-numbers such as +266696687, empty, anything that is
not a valid number) all share one bucket with lower limits, so hiding the number gives no fresh tries.

Counts live in the cache (Redis in production, shared by every process, with the socket timeouts of
settings.CACHES) for a day from the first miss. Numbers are never stored in a key or written to a log:
keys hold a keyed hash (HMAC with SECRET_KEY, so the small space of phone numbers cannot be hashed
back), logs the last four digits. When the cache cannot be read, verification fails closed
(Lock.UNAVAILABLE): the caller is offered a person or a callback instead.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from crm.phones import mask_phone, try_normalize_phone

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 24 * 60 * 60
MAX_FAILED_PER_CALLER_AND_CUSTOMER = 6  # two calls' worth of the per-call limit (3)
MAX_FAILED_PER_CALLER = 15  # one number, across every customer it tries
MAX_FAILED_PER_CUSTOMER = 30  # every number together, for one customer
# Every withheld caller shares these, so they are lower: one call's worth per customer.
MAX_FAILED_WITHHELD_AND_CUSTOMER = 3
MAX_FAILED_WITHHELD = 10

WITHHELD = "withheld"
# What Twilio puts in From when the caller ID is hidden (besides "anonymous"): ANONYMOUS, UNKNOWN,
# RESTRICTED, BLOCKED, UNAVAILABLE on a keypad. They fail number validation anyway; listed to be plain.
TWILIO_WITHHELD_NUMBERS = frozenset({"+266696687", "+86282452253", "+7378742833", "+2562533", "+8656696"})


class Lock(StrEnum):
    """Why a caller may not verify a customer right now."""

    CALLER_AND_CUSTOMER = "caller_and_customer"  # this number missed too often for this customer
    CALLER = "caller"  # this number missed too often across customers
    CUSTOMER = "customer"  # this customer's checks missed too often from every number together
    UNAVAILABLE = "unavailable"  # the counters cannot be read: fail closed


def caller_bucket(caller_phone: str) -> str:
    """The calling number as counted: its E.164 form, or WITHHELD for every hidden or unusable one."""
    phone = (caller_phone or "").strip()
    if not phone.startswith("+") or phone in TWILIO_WITHHELD_NUMBERS:
        return WITHHELD
    return phone if try_normalize_phone(phone) == phone else WITHHELD


def _caller_tag(bucket: str) -> str:
    if bucket == WITHHELD:
        return WITHHELD
    return salted_hmac("crm.verification_attempts", bucket, algorithm="sha256").hexdigest()[:24]


def _keys(bucket: str, customer_id: int) -> dict[Lock, tuple[str, int]]:
    """Lock -> (cache key, limit) for a caller bucket and a customer."""
    tag = _caller_tag(bucket)
    withheld = bucket == WITHHELD
    return {
        Lock.CALLER_AND_CUSTOMER: (
            f"crm:verify-failures:caller:{tag}:customer:{customer_id}",
            MAX_FAILED_WITHHELD_AND_CUSTOMER if withheld else MAX_FAILED_PER_CALLER_AND_CUSTOMER,
        ),
        Lock.CALLER: (
            f"crm:verify-failures:caller:{tag}",
            MAX_FAILED_WITHHELD if withheld else MAX_FAILED_PER_CALLER,
        ),
        Lock.CUSTOMER: (f"crm:verify-failures:customer:{customer_id}", MAX_FAILED_PER_CUSTOMER),
    }


def _masked(bucket: str) -> str:
    return WITHHELD if bucket == WITHHELD else mask_phone(bucket)


def verification_lock(*, caller_phone: str, customer_id: int) -> Lock | None:
    """Whether the caller on `caller_phone` may try to verify `customer_id` now: None when they may,
    else why not. Callers on the customer's own number must not be asked (they need no verification).
    One cache round trip; a cache that fails answers Lock.UNAVAILABLE (fail closed)."""
    keys = _keys(caller_bucket(caller_phone), customer_id)
    try:
        counts = cache.get_many([key for key, _ in keys.values()])
    except Exception:
        logger.warning("verification counters unavailable; verification refused", exc_info=True)
        return Lock.UNAVAILABLE
    for lock, (key, limit) in keys.items():
        if int(counts.get(key) or 0) >= limit:
            return lock
    return None


def _count(key: str) -> int:
    # add() starts the window only on the first miss, so later misses do not extend it.
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return 1


def verification_failed(*, caller_phone: str, customer_id: int) -> Lock | None:
    """Count one failed check by the caller on `caller_phone` for `customer_id` (never call it for a
    caller on the customer's own number, nor for a test call). Returns the lock now in force, if any.
    A cache outage loses the miss, and the next verification_lock() then fails closed anyway."""
    bucket = caller_bucket(caller_phone)
    tripped: Lock | None = None
    for lock, (key, limit) in _keys(bucket, customer_id).items():
        try:
            count = _count(key)
        except Exception:  # stop at the first failure: each try would wait out the socket timeout
            logger.warning("verification counters unavailable; miss not counted", exc_info=True)
            return None
        if count == limit:
            logger.warning(
                "verification locked (%s) for caller %s and customer %s after %d misses today",
                lock,
                _masked(bucket),
                customer_id,
                count,
            )
        if count >= limit and tripped is None:
            tripped = lock
    return tripped
