"""Celery tasks: thin interfaces onto reminders.services (an id in, one service call).

`reminders_dispatch` runs every minute from django-celery-beat's database schedule (created by
migration 0002, editable in the admin). Each due reminder becomes one `reminder_deliver_task`; a
reminder queued twice (two ticks, two dispatchers) is still delivered once: delivery claims it first.
"""

import logging

from celery import shared_task
from django.utils import timezone

from dealership import metrics
from reminders.selectors import reminder_list_due
from reminders.services import (
    DeliveryRetry,
    opt_out_spool_apply,
    reminder_deliver,
    reminder_release_stale,
    reminder_release_waiting,
    reminder_retime_for_closures,
)
from reminders.services.queue import reminder_queue_delivery_on_commit

logger = logging.getLogger(__name__)

DISPATCH_TASK = "reminders.tasks.reminders_dispatch"
DELIVER_TASK = "reminders.tasks.reminder_deliver_task"
SPOOL_TASK = "reminders.tasks.opt_out_spool_apply_task"


@shared_task(name=DISPATCH_TASK, soft_time_limit=50, time_limit=60, ignore_result=True)
def reminders_dispatch() -> int:
    """Release stuck claims, move calls off holidays added since they were timed, then queue every
    reminder that is due. Returns how many were queued."""
    now = timezone.now()
    reminder_release_stale(now=now)
    reminder_release_waiting(now=now)  # held for telephony: out once it is configured
    try:
        reminder_retime_for_closures(now=now)
    except Exception:
        # Re-timing is a refinement; a failure in it must not hold back every due reminder.
        logger.exception("reminders: re-timing around new closures failed; dispatching anyway")
    due = reminder_list_due(now=now)
    metrics.REMINDERS_QUEUED.inc(len(due))
    for reminder_id in due:
        reminder_queue_delivery_on_commit(reminder_id)
    if due:
        logger.info("reminders: %s due, queued for delivery", len(due))
    return len(due)


@shared_task(
    bind=True, name=DELIVER_TASK, soft_time_limit=30, time_limit=45, max_retries=3, ignore_result=True
)
def reminder_deliver_task(self, reminder_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver one reminder. Only a transient provider failure is retried, with backoff; the
    reminder itself is pending again by then, so the dispatcher would also pick it up."""
    try:
        return reminder_deliver(reminder_id=reminder_id)
    except DeliveryRetry as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc


@shared_task(name=SPOOL_TASK, soft_time_limit=50, time_limit=60, ignore_result=True)
def opt_out_spool_apply_task() -> int:
    """Opt-outs received while the database was down, from this host's spool into the database."""
    return opt_out_spool_apply()
