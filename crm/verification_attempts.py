"""Failed identity checks per customer across calls.

The per-call limit (voice.tools.context) stops one call from guessing; this stops many calls from
guessing one customer's ZIP code a few tries at a time. Counts live in the cache (Redis in production,
shared by every process) for a day from the first miss.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

MAX_FAILED_PER_DAY = 10
WINDOW_SECONDS = 24 * 60 * 60


def _key(customer_id: int) -> str:
    return f"crm:verify-failures:{customer_id}"


def verification_locked(*, customer_id: int) -> bool:
    """Whether this customer's account has seen too many failed checks today to try another."""
    try:
        return int(cache.get(_key(customer_id)) or 0) >= MAX_FAILED_PER_DAY
    except Exception:  # a cache outage must not stop verification; the per-call limit holds
        logger.warning("verification counter unavailable; per-call limit only", exc_info=True)
        return False


def verification_failed(*, customer_id: int) -> int:
    """Count one failed check for this customer; returns today's count (0 when the cache is down)."""
    key = _key(customer_id)
    try:
        # add() starts the window only on the first miss, so later misses do not extend it.
        if cache.add(key, 1, timeout=WINDOW_SECONDS):
            return 1
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return 1
    except Exception:  # a cache outage only loses the count
        logger.warning("verification counter unavailable; miss not counted", exc_info=True)
        return 0
