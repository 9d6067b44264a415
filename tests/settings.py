"""The test suite's settings: the project's own, read from the same environment, plus a signing key when
none is set (outside DEBUG the project refuses to start without one). It goes into os.environ so the
processes some tests start (the web server, a Celery worker) inherit it."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-signing-key-" + "not-secret-" * 4)

from dealership.settings import *  # noqa: F403
