import pytest
from django_celery_beat.models import PeriodicTask

from dealership.celery import app


@pytest.mark.django_db
def test_migrating_puts_the_every_minute_dispatcher_in_the_database_schedule():
    task = PeriodicTask.objects.get(name="Reminders: dispatch due reminders")

    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")
    assert task.expire_seconds == 55
    app.loader.import_default_modules()
    assert task.task in app.tasks
