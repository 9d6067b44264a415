"""The Celery broker of this (test) process, reached through a proxy a test can cut."""

from urllib.parse import urlsplit

import pytest

from dealership.celery import app as celery_app
from tests.faults.proxy import TcpProxy


@pytest.fixture
def broker(settings):
    """Celery in this process publishes to Redis through a proxy the test cuts."""
    url = urlsplit(settings.REDIS_URL)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 6379)
    previous = celery_app.conf.broker_url

    def point_at(broker_url: str) -> None:
        celery_app.conf.broker_url = broker_url
        # Drop the cached connection and producer pools so the next publish uses the new URL.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at(f"redis://{proxy.address}{url.path or '/0'}")
    yield proxy
    point_at(previous)
    proxy.close()
