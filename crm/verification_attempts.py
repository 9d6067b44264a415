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
not a valid number) all share one bucket with lower limits, so hiding the number gives no fresh tries:
3 misses per customer a day, and 10 across customers an *hour* (WITHHELD_WINDOW_SECONDS). The shop-wide
hidden bucket is hourly because honest callers share it: a day-long block would shut out every
customer on a phone that hides its number; per customer the daily 3 still bounds guessing.

Counts live in the cache (Redis in production, shared by every process, with the socket timeouts of
settings.CACHES) for a day from the first miss (the shop-wide hidden count: an hour). Numbers are never
stored in a key, a value or a log: keys hold a keyed hash (HMAC with SECRET_KEY, so the small space of
phone numbers cannot be hashed back), logs the last four digits. Per customer, a Redis sorted set holds
the hashes of the numbers that missed on them, scored by the time of their latest miss (kept a day from
the latest; at most MAX_REMEMBERED_CALLERS, the most recent; members whose count is gone are dropped when
read), so that a lift can clear those numbers' counts for that customer. When the cache cannot be read,
verification fails closed (Lock.UNAVAILABLE): the caller is offered a person or a callback instead, and
the pages that show what is stopped say they cannot tell (Lock.UNAVAILABLE again), never "nothing".

Reaching the per-customer limit (someone is probably trying to get into that account) raises a shop
alert, once per pause; so does one number reaching its across-customers limit (working through
customers), and hidden numbers reaching their shared limit (once a day). Staff with
`crm.lift_verification_pause` see on the customer's page what stops callers verifying as them and can
lift it (verification_pause_lift): that clears, for this customer only, the count from every number,
the hidden numbers' count and each number's count; numbers' counts across customers stay (they protect
the other customers). The hidden numbers' shared count is cleared from Today (hidden_numbers_lift).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.crypto import salted_hmac

from crm.models import Customer
from crm.phones import mask_phone, try_normalize_phone
from dealership.core.errors import ApplicationError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 24 * 60 * 60
# The shop-wide count of hidden numbers recovers on its own within the hour (honest callers share it).
WITHHELD_WINDOW_SECONDS = 60 * 60
MAX_FAILED_PER_CALLER_AND_CUSTOMER = 6  # two calls' worth of the per-call limit (3)
MAX_FAILED_PER_CALLER = 15  # one number, across every customer it tries
MAX_FAILED_PER_CUSTOMER = 30  # every number together, for one customer
# Every withheld caller shares these, so they are lower: one call's worth per customer.
MAX_FAILED_WITHHELD_AND_CUSTOMER = 3
MAX_FAILED_WITHHELD = 10
# Numbers remembered per customer for a lift: the most recent ones (more than MAX_FAILED_PER_CUSTOMER,
# so a pause's numbers all fit); the set must not grow with every number that ever missed.
MAX_REMEMBERED_CALLERS = 50

WITHHELD = "withheld"
# What Twilio puts in From when the caller ID is hidden (besides "anonymous"): ANONYMOUS, UNKNOWN,
# RESTRICTED, BLOCKED, UNAVAILABLE on a keypad. They fail number validation anyway; listed to be plain.
TWILIO_WITHHELD_NUMBERS = frozenset({"+266696687", "+86282452253", "+7378742833", "+2562533", "+8656696"})


# What the pages that show what is stopped say when the counters cannot be read.
UNAVAILABLE_MESSAGE = (
    "Can't reach Redis, so we can't tell who is stopped; while it is down, callers not on their own "
    "number can't verify."
)


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


def _caller_and_customer_key(tag: str, customer_id: int) -> str:
    return f"crm:verify-failures:caller:{tag}:customer:{customer_id}"


def _caller_key(tag: str) -> str:
    return f"crm:verify-failures:caller:{tag}"


def _keys(bucket: str, customer_id: int) -> dict[Lock, tuple[str, int]]:
    """Lock -> (cache key, limit) for a caller bucket and a customer."""
    tag = _caller_tag(bucket)
    withheld = bucket == WITHHELD
    return {
        Lock.CALLER_AND_CUSTOMER: (
            _caller_and_customer_key(tag, customer_id),
            MAX_FAILED_WITHHELD_AND_CUSTOMER if withheld else MAX_FAILED_PER_CALLER_AND_CUSTOMER,
        ),
        Lock.CALLER: (_caller_key(tag), MAX_FAILED_WITHHELD if withheld else MAX_FAILED_PER_CALLER),
        Lock.CUSTOMER: (_customer_keys(customer_id)[0], MAX_FAILED_PER_CUSTOMER),
    }


def _window(lock: Lock, bucket: str) -> int:
    return WITHHELD_WINDOW_SECONDS if lock == Lock.CALLER and bucket == WITHHELD else WINDOW_SECONDS


def _customer_keys(customer_id: int) -> tuple[str, str]:
    """The customer's count from every number, and when its window started (a Unix time, kept as long
    as the count) so that the pause's end can be told."""
    key = f"crm:verify-failures:customer:{customer_id}"
    return key, f"{key}:since"


def _callers_key(customer_id: int) -> str:
    """The Redis sorted set of the keyed hashes (never the numbers) of the numbers that missed on the
    customer, scored by the time of their latest miss. (Not `…:callers`, the plain set it replaces: a
    sorted-set command on that would fail until it expires.)"""
    return f"crm:verify-failures:customer:{customer_id}:recent-callers"


def _redis(key: str) -> tuple[Any, str] | None:
    """The cache's own Redis client (its pool and socket timeouts) and `key` as the cache stores it;
    None when the cache is not Redis (development without REDIS_URL, where a plain value stands in)."""
    backend = caches["default"]  # `cache` is a proxy to it: the backend's class tells Redis
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(key, write=True), backend.make_and_validate_key(key)


def _remember_caller(customer_id: int, tag: str) -> None:
    """Add `tag` (scored now) to the customer's numbers that missed, keeping the MAX_REMEMBERED_CALLERS
    most recent; the set lives a day from the latest miss, so it outlives every per-number count it
    names. One round trip (a pipeline)."""
    key = _callers_key(customer_id)
    found = _redis(key)
    now = time.time()
    if found is None:
        tags = {**(cache.get(key) or {}), tag: now}
        recent = sorted(tags.items(), key=lambda item: item[1])[-MAX_REMEMBERED_CALLERS:]
        cache.set(key, dict(recent), timeout=WINDOW_SECONDS)
        return
    client, stored = found
    pipe = client.pipeline(transaction=False)
    pipe.zadd(stored, {tag: now})
    pipe.zremrangebyrank(stored, 0, -(MAX_REMEMBERED_CALLERS + 1))
    pipe.expire(stored, WINDOW_SECONDS)
    pipe.execute()


def _remembered_callers(customer_id: int) -> list[str]:
    """The numbers (keyed hashes) that missed on the customer within the window, at most
    MAX_REMEMBERED_CALLERS. One round trip (a pipeline that first drops members older than the window:
    their counts, which start no later than their latest miss, are gone)."""
    key = _callers_key(customer_id)
    found = _redis(key)
    since = time.time() - WINDOW_SECONDS
    if found is None:
        return sorted(tag for tag, at in (cache.get(key) or {}).items() if at > since)
    client, stored = found
    pipe = client.pipeline(transaction=False)
    pipe.zremrangebyscore(stored, "-inf", since)
    pipe.zrevrange(stored, 0, MAX_REMEMBERED_CALLERS - 1)
    _, members = pipe.execute()
    return sorted(member.decode() for member in members)


def _forget_callers(customer_id: int, tags: list[str]) -> None:
    """Drop from the customer's set the numbers whose count is gone (expired or lifted). One round trip."""
    if not tags:
        return
    key = _callers_key(customer_id)
    found = _redis(key)
    if found is None:
        remembered = cache.get(key) or {}
        kept = {tag: at for tag, at in remembered.items() if tag not in tags}
        if kept != remembered:
            cache.set(key, kept, timeout=WINDOW_SECONDS)
        return
    client, stored = found
    client.zrem(stored, *tags)


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


def _count(key: str, window: int) -> int:
    """Add one to the count at `key`. The window starts at the first miss: later misses do not extend it.
    On Redis: INCR then EXPIRE NX in one round trip, so a count that expires between them starts again
    with a lifetime (Django's cache.incr checks EXISTS first and would leave one without)."""
    found = _redis(key)
    if found is None:  # development without Redis
        if cache.add(key, 1, timeout=window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window)
            return 1
    client, stored = found
    pipe = client.pipeline(transaction=False)
    pipe.incr(stored)
    pipe.expire(stored, window, nx=True)  # Redis >= 7
    count, _ = pipe.execute()
    return int(count)


def verification_failed(*, caller_phone: str, customer_id: int) -> Lock | None:
    """Count one failed check by the caller on `caller_phone` for `customer_id` (never call it for a
    caller on the customer's own number, nor for a test call). Returns the lock now in force, if any.
    A cache outage loses the miss, and the next verification_lock() then fails closed anyway.
    The miss that pauses the customer, or stops a number across customers, raises a shop alert."""
    bucket = caller_bucket(caller_phone)
    if bucket != WITHHELD:
        # Before the count, so that a lift reading the set between the two still clears this number's
        # count; a failure here must not stop the counting (the limits matter more than the lift).
        try:
            _remember_caller(customer_id, _caller_tag(bucket))
        except Exception:
            logger.warning("verification counters: number not remembered for a lift", exc_info=True)
    tripped: Lock | None = None
    for lock, (key, limit) in _keys(bucket, customer_id).items():
        try:
            count = _count(key, _window(lock, bucket))
            if lock == Lock.CUSTOMER and count == 1:
                # A new window: its start replaces any left over (they expire together).
                cache.set(_customer_keys(customer_id)[1], time.time(), timeout=WINDOW_SECONDS)
        except Exception:  # stop at the first failure: each try would wait out the socket timeout
            logger.warning("verification counters unavailable; miss not counted", exc_info=True)
            return None
        if count == limit:
            logger.warning(
                "verification locked (%s) for caller %s and customer %s after %d misses",
                lock,
                _masked(bucket),
                customer_id,
                count,
            )
            _alert(lock, bucket=bucket, customer_id=customer_id, misses=count)
        if count >= limit and tripped is None:
            tripped = lock
    return tripped


def _alert(lock: Lock, *, bucket: str, customer_id: int, misses: int) -> None:
    """Tell the shop's people: a customer paused (once per pause: the count reaches the limit once), or
    a number stopped across customers, or hidden numbers stopped shop-wide (once a day: honest callers on
    hidden numbers are shut out with them, and staff can clear it)."""
    from dealership.core.alerts.services import (
        alert_verification_caller_stopped,
        alert_verification_hidden_stopped,
        alert_verification_paused,
    )

    try:
        if lock == Lock.CUSTOMER:
            pause = verification_pause(customer_id=customer_id)
            alert_verification_paused(
                customer_id=customer_id,
                misses=misses,
                until=pause.until if isinstance(pause, Pause) else None,
                last_caller_digits=None if bucket == WITHHELD else bucket[-4:],
            )
        elif lock == Lock.CALLER and bucket == WITHHELD:
            alert_verification_hidden_stopped(misses=misses)
        elif lock == Lock.CALLER:
            alert_verification_caller_stopped(
                caller_tag=_caller_tag(bucket), caller_digits=bucket[-4:], misses=misses
            )
    except Exception:  # the lock holds anyway; a failed alert must not fail the caller's turn
        logger.exception("verification alert (%s) for customer %s not raised", lock, customer_id)


@dataclass(frozen=True)
class Pause:
    """What stops callers verifying as a customer right now (callers on their own number never are)."""

    misses: int  # failed checks on them from every number together, this window
    until: datetime | None  # the window's end; None when its start is not known (up to WINDOW_SECONDS)
    hidden_stopped: bool = False  # hidden numbers missed MAX_FAILED_WITHHELD_AND_CUSTOMER times on them
    numbers_stopped: int = 0  # numbers that each missed MAX_FAILED_PER_CALLER_AND_CUSTOMER times on them

    @property
    def paused(self) -> bool:
        """Every number off their own is stopped (MAX_FAILED_PER_CUSTOMER misses together)."""
        return self.misses >= MAX_FAILED_PER_CUSTOMER


def verification_pause(*, customer_id: int) -> Pause | Lock | None:
    """What stops callers verifying as `customer_id` (None: nothing). At most four cache round trips.
    A cache that cannot be read answers Lock.UNAVAILABLE: no one can tell, and meanwhile every caller
    off the customer's own number is refused (verification fails closed)."""
    count_key, since_key = _customer_keys(customer_id)
    hidden_key = _caller_and_customer_key(WITHHELD, customer_id)
    try:
        found = cache.get_many([count_key, since_key, hidden_key])
        tags = _remembered_callers(customer_id)
        number_keys = {_caller_and_customer_key(tag, customer_id): tag for tag in tags}
        numbers = cache.get_many(list(number_keys)) if number_keys else {}
        # Numbers whose count is gone leave the set (a first miss read between its set write and its
        # count is forgotten too; its next miss puts it back, long before it could be stopped).
        _forget_callers(customer_id, [tag for key, tag in number_keys.items() if key not in numbers])
    except Exception:
        logger.warning("verification counters unavailable; pause not shown", exc_info=True)
        return Lock.UNAVAILABLE
    misses = int(found.get(count_key) or 0)
    hidden_stopped = int(found.get(hidden_key) or 0) >= MAX_FAILED_WITHHELD_AND_CUSTOMER
    numbers_stopped = sum(int(count) >= MAX_FAILED_PER_CALLER_AND_CUSTOMER for count in numbers.values())
    if misses < MAX_FAILED_PER_CUSTOMER and not hidden_stopped and not numbers_stopped:
        return None
    since = found.get(since_key)
    until = (
        datetime.fromtimestamp(float(since), tz=UTC) + timedelta(seconds=WINDOW_SECONDS)
        if since is not None
        else None
    )
    return Pause(misses=misses, until=until, hidden_stopped=hidden_stopped, numbers_stopped=numbers_stopped)


def verification_pause_lift(*, customer_id: int, user: Any) -> Pause | None:
    """Let callers verify as `customer_id` again (staff know it was the customer, or have dealt with
    whoever it was). Clears, for this customer only: the count from every number, the hidden numbers'
    count, and the count of each number that missed on them (so the phone the real customer used works
    again). Each number's count across customers stays: it protects the other customers. Returns what
    was lifted (None: nothing stopped anyone); a lift is logged with the user and written to the
    customer's admin history."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ApplicationError("No such customer.", code="not_found")
    pause = verification_pause(customer_id=customer_id)
    try:
        if pause == Lock.UNAVAILABLE:
            raise ConnectionError("verification counters unavailable")
        tags = _remembered_callers(customer_id)
        cache.delete_many(
            [
                *_customer_keys(customer_id),
                _caller_and_customer_key(WITHHELD, customer_id),
                *(_caller_and_customer_key(tag, customer_id) for tag in tags),
            ]  # the set stays (it expires): a number that misses between the read and here is kept in it
        )
    except Exception as error:
        logger.warning("verification counters unavailable; pause not lifted", exc_info=True)
        raise ApplicationError(
            "The pause could not be lifted: the counters (Redis) cannot be reached. Try again in a minute.",
            code="unavailable",
        ) from error
    if not isinstance(pause, Pause):
        return None
    logger.warning(
        "verification pause lifted for customer %s by user %s (%s) after %d misses "
        "(hidden numbers stopped: %s; numbers stopped: %d)",
        customer_id,
        user.pk,
        user.get_username(),
        pause.misses,
        pause.hidden_stopped,
        pause.numbers_stopped,
    )
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=Customer.objects.filter(pk=customer_id),
        action_flag=CHANGE,
        change_message=(
            f"Lifted the pause on identity checks ({pause.misses} failed attempts"
            f"{', hidden numbers stopped' if pause.hidden_stopped else ''}"
            f"{_numbers_stopped(pause.numbers_stopped)})."
        ),
        single_object=True,
    )
    return pause


def _numbers_stopped(count: int) -> str:
    return "" if not count else ", 1 number stopped" if count == 1 else f", {count} numbers stopped"


# --- hidden numbers, shop-wide ------------------------------------------------------------------------


def hidden_numbers_stopped() -> int | Lock | None:
    """How many checks hidden numbers failed this hour when that stops every hidden number from verifying
    anyone (MAX_FAILED_WITHHELD, for up to WITHHELD_WINDOW_SECONDS from the first miss), else None.
    One cache round trip; a cache that cannot be read answers Lock.UNAVAILABLE: no one can tell, and
    meanwhile every caller off their own number is refused (verification fails closed)."""
    try:
        misses = int(cache.get(_caller_key(WITHHELD)) or 0)
    except Exception:
        logger.warning("verification counters unavailable; hidden numbers not shown", exc_info=True)
        return Lock.UNAVAILABLE
    return misses if misses >= MAX_FAILED_WITHHELD else None


def hidden_numbers_lift(*, user: Any) -> int | None:
    """Clear the hidden numbers' shared count across customers, so callers on hidden numbers may verify
    again (the per-customer hidden counts stay: each customer's page lifts its own). Returns the misses
    cleared (None: hidden numbers were not stopped); a lift is logged with the user."""
    misses = hidden_numbers_stopped()
    try:
        if misses == Lock.UNAVAILABLE:
            raise ConnectionError("verification counters unavailable")
        cache.delete(_caller_key(WITHHELD))
    except Exception as error:
        logger.warning("verification counters unavailable; hidden numbers not cleared", exc_info=True)
        raise ApplicationError(
            "Hidden numbers could not be cleared: the counters (Redis) cannot be reached. "
            "Try again in a minute.",
            code="unavailable",
        ) from error
    if not isinstance(misses, int):
        return None
    logger.warning(
        "verification of hidden numbers cleared by user %s (%s) after %d misses",
        user.pk,
        user.get_username(),
        misses,
    )
    return misses
