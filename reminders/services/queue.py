"""Putting a reminder's delivery on the task queue, without ever failing the caller.

A reminder that could not be queued (the broker — Redis, or the local filesystem queue — is down)
stays pending and due, so the every-minute dispatcher sends it with its next run once the queue is
back; nothing is lost, and an advisor's "Send now" or a Twilio webhook never answers 500 for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from dealership.core.queue import task_enqueue

logger = logging.getLogger(__name__)

# What an advisor is told when "Send now" could not reach the task queue.
SEND_NOW_WITHOUT_QUEUE = (
    "{count} reminder(s) could not be queued right now (the task queue is not answering); they will go "
    "out with the next dispatch, which picks up due reminders every minute."
)


def reminder_queue_delivery(reminder_id: int) -> bool:
    """Queue one delivery now. False (logged as an error) when the broker refused it."""
    from reminders.tasks import reminder_deliver_task  # tasks import services

    if task_enqueue(reminder_deliver_task, reminder_id):
        return True
    logger.error(
        "reminder %s stays due: the dispatcher sends it with its next run once the queue is back", reminder_id
    )
    return False


def reminder_queue_delivery_on_commit(reminder_id: int) -> Callable[[], bool | None]:
    """Queue the delivery once the current transaction commits (at once outside one). Returns a
    function telling the outcome: True queued, False refused, None not known yet (still waiting for
    an outer transaction's commit)."""
    outcome: list[bool] = []
    transaction.on_commit(lambda: outcome.append(reminder_queue_delivery(reminder_id)))
    return lambda: outcome[0] if outcome else None
