"""Health answers for load balancers and monitoring (both answer within 2 s whatever is down).

- GET /health/        liveness, the balancer's: {"status", "database", "redis"}; 200 while the
                      database answers ("degraded" when Redis does not), 503 when it does not.
- GET /health/ready/  strict readiness: 503 unless every required part is there (database, Redis when
                      configured, a Celery worker and beat by their heartbeats, provider credentials);
                      {"status": "ready" | "not_ready", "checks": {name: {state, required, ok, message}}}.

Both come from dealership.core.checks. The liveness poll also applies opt-outs this process kept in its
local spool while the database was down: it is the one request every web process gets regularly.
"""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from dealership.core.checks import checks_liveness, checks_ready, checks_run
from reminders.services import opt_out_spool_apply

logger = logging.getLogger(__name__)


def _apply_spooled_opt_outs() -> None:
    try:
        opt_out_spool_apply()
    except Exception:  # liveness must answer whatever the spool holds
        logger.exception("health: spooled opt-outs could not be applied yet")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database, redis_check = checks_liveness()
    if database.ok:
        _apply_spooled_opt_outs()
    body = {
        "status": "ok" if database.ok and redis_check.ok else "degraded",
        "database": database.state,
        "redis": redis_check.state,
    }
    return JsonResponse(body, status=200 if database.ok else 503)


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = checks_run()
    is_ready = checks_ready(checks)
    body = {
        "status": "ready" if is_ready else "not_ready",
        "checks": {check.name: check.as_dict() for check in checks},
    }
    return JsonResponse(body, status=200 if is_ready else 503)
