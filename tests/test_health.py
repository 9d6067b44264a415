import pytest
from django.db import OperationalError, connection
from django.test import override_settings


@pytest.mark.django_db
def test_it_reports_database_and_redis_ok(client, settings):
    assert settings.REDIS_URL, "the suite runs with REDIS_URL set"
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
@override_settings(REDIS_URL="")
def test_it_says_redis_is_not_configured_in_the_embedded_setup(client):
    assert client.get("/health/").json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_it_stays_up_but_degraded_when_redis_is_unreachable(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "redis": "error"}


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert response.json()["status"] == "degraded"


@pytest.mark.django_db
def test_it_only_answers_get(client):
    assert client.post("/health/").status_code == 405
