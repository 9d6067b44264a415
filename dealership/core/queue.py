"""Putting a task on the Celery queue with one bounded attempt, for callers that must not fail.

`task.apply_async(retry=False)` is not enough: kombu still re-tries the broker connection for the
broker's connect timeout (4 s, sleeping between tries) before publishing. Here the connection is made
once (Redis: 2 s connect timeout) and a dead broker is reported as False, for the caller to say so.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

POOL_WAIT = 2.0  # seconds to wait for a pooled broker connection


def task_enqueue(task: Any, *args: Any) -> bool:
    """Queue `task(*args)`; False (after logging an error) when the broker cannot take it."""
    app = task.app
    if app.conf.task_always_eager:
        task.apply_async(args=args)
        return True
    try:
        with app.pool.acquire(block=True, timeout=POOL_WAIT) as connection:
            connection.ensure_connection(max_retries=0)  # one attempt, no retry loop
            task.apply_async(args=args, retry=False, connection=connection)
    except Exception as error:  # any broker or transport failure
        logger.error(
            "task %s%r NOT queued: the task queue (broker) does not answer: %r", task.name, args, error
        )
        return False
    return True
