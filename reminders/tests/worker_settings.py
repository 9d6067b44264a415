"""Settings for a Celery worker the tests start as a subprocess: the project's own settings (read from
the same environment), with the clock moved to WORKER_FROZEN_AT (ISO 8601) and ticking from there, so
the worker sees the weekday and hour the test chose (reminder calls never go out on a Sunday)."""

import os
from datetime import datetime

import time_machine

from dealership.settings import *  # noqa: F403

if _frozen_at := os.environ.get("WORKER_FROZEN_AT"):
    time_machine.travel(datetime.fromisoformat(_frozen_at), tick=True).start()
