from importlib import import_module

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from dealership.celery import app

SCHEDULES = [
    ("Reminders: dispatch due reminders", 1, 55),
    ("Calendar: pull Google Calendar changes", 5, 240),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "minutes", "expire_seconds"), SCHEDULES)
def test_migrating_puts_the_periodic_tasks_in_the_database_schedule(name, minutes, expire_seconds):
    task = PeriodicTask.objects.get(name=name)

    assert task.enabled
    assert (task.interval.every, task.interval.period) == (minutes, "minutes")
    assert task.expire_seconds == expire_seconds
    app.loader.import_default_modules()
    assert task.task in app.tasks


@pytest.mark.django_db
def test_migrating_again_keeps_what_an_advisor_changed():
    PeriodicTask.objects.filter(name=SCHEDULES[0][0]).update(enabled=False)

    [operation] = import_module("reminders.migrations.0002_dispatch_schedule").Migration.operations
    operation.code(apps, None)

    assert PeriodicTask.objects.filter(name=SCHEDULES[0][0]).get().enabled is False
