"""GET /health/: {"status", "database", "redis"}; 503 when the database is down."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "not_configured"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except redis.RedisError:
        return "error"


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = "ok" if _database_ok() else "error"
    redis_state = _redis_state()
    healthy = database == "ok" and redis_state != "error"
    body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis_state}
    return JsonResponse(body, status=200 if database == "ok" else 503)
