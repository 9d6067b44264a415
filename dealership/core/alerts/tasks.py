"""Celery tasks for alerts: thin wrappers. Retries are the alert's own (send_after, picked up by beat),
so a worker restart or a long quiet-hours wait never loses or repeats one."""

from celery import shared_task

from dealership.core.alerts.delivery import alert_deliver, alerts_due
from dealership.core.queue import task_enqueue


@shared_task(name="dealership.core.alerts.tasks.alert_send", soft_time_limit=60, time_limit=90)
def alert_send_task(alert_id: int) -> str:
    """Send one alert to everyone not yet told."""
    return alert_deliver(alert_id=alert_id)


@shared_task(name="dealership.core.alerts.tasks.alerts_send_due", soft_time_limit=50, time_limit=55)
def alerts_send_due() -> int:
    """Beat, every minute: queue the alerts whose time has come."""
    due = alerts_due()
    for alert_id in due:
        task_enqueue(alert_send_task, alert_id)
    return len(due)
