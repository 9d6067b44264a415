"""What the system needs and whether it has it: ONE selector for readiness (/health/ready/), the
liveness answer (/health/) and the admin's Today and set-up pages.

Each check is bounded (the database by the pool or connect timeout, Redis by 0.5 s socket timeouts,
run at the same time as the database check), so a check of everything answers within 2 s.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

OK = "ok"
ERROR = "error"
STALE = "stale"  # a heartbeat older than its bound
MISSING = "missing"  # required and not configured, or never seen
NOT_CONFIGURED = "not_configured"  # optional and off
UNKNOWN = "unknown"  # cannot tell (the database holding the heartbeats is down)

REDIS_TIMEOUT = 0.5  # seconds, connect and reply
# A heartbeat counts as alive this long: worker writes every 30 s, beat's task runs every minute.
WORKER_STALE_AFTER = timedelta(minutes=2)
BEAT_STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    required: bool
    message: str  # a sentence for an operator: what is wrong and what to do, or what is fine

    @property
    def ok(self) -> bool:
        return self.state == OK or (self.state == NOT_CONFIGURED and not self.required)

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state, "required": self.required, "ok": self.ok, "message": self.message}


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("check: the database does not answer: %s", error)
        return Check("database", ERROR, True, f"The database does not answer ({_first_line(error)}).")
    return Check("database", OK, True, "The database answers.")


def check_redis() -> Check:
    if not settings.REDIS_URL:
        return Check("redis", NOT_CONFIGURED, False, "No REDIS_URL: in-memory channel layer, local broker.")
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as error:
        logger.error("check: Redis does not answer: %s", error)
        return Check(
            "redis",
            ERROR,
            True,
            f"Redis (REDIS_URL) does not answer ({_first_line(error)}): live-call control messages, "
            "reminder and calendar tasks wait until it is back.",
        )
    finally:
        client.close()
    return Check("redis", OK, True, "Redis answers.")


def _heartbeat(name: str, *, stale_after: timedelta, now: datetime, what: str) -> Check:
    from dealership.core.models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name=name).first()
    except DatabaseError:
        return Check(name, UNKNOWN, True, f"Cannot tell whether {what} runs: the database does not answer.")
    if beat is None:
        return Check(
            name,
            MISSING,
            True,
            f"No {what.removeprefix('a ')} has ever reported: start it (see the Procfile).",
        )
    age = now - beat.at
    if age > stale_after:
        minutes = int(age.total_seconds() // 60)
        return Check(name, STALE, True, f"No sign of {what} for {minutes} min (last: {beat.detail}).")
    return Check(name, OK, True, f"{what.capitalize()} reported {int(age.total_seconds())} s ago.")


def _credentials(name: str, present: bool, *, required: bool, variables: str, why: str) -> Check:
    if present:
        return Check(name, OK, required, f"{variables} set.")
    state = MISSING if required else NOT_CONFIGURED
    return Check(name, state, required, f"{variables} not set: {why}.")


def check_providers() -> list[Check]:
    """Credentials present (not whether the provider answers: that costs a request per check)."""
    from integrations.calendar import calendar_is_configured

    engines = {settings.VOICE_ENGINE, *(settings.VOICE_ENGINE_BY_NUMBER or {}).values()}
    twilio = settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_PHONE_NUMBER
    return [
        _credentials(
            "twilio",
            bool(twilio),
            required=True,
            variables="TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER",
            why="no calls, reminder calls or texts",
        ),
        _credentials(
            "openai",
            bool(settings.OPENAI_API_KEY),
            required=True,
            variables="OPENAI_API_KEY",
            why="the receptionist cannot talk; callers get the apology and transfer",
        ),
        _credentials(
            "deepgram",
            bool(settings.DEEPGRAM_API_KEY),
            required="cascade" in {engine.strip() for engine in engines},
            variables="DEEPGRAM_API_KEY",
            why="the cascade engine cannot hear or speak",
        ),
        _credentials(
            "google_calendar",
            calendar_is_configured(),
            required=False,
            variables="GOOGLE_CALENDAR_ID and Google credentials",
            why="calendar sync is off",
        ),
    ]


def checks_run(*, now: datetime | None = None) -> list[Check]:
    """Every check, in a fixed order: database, redis, worker, beat, then provider credentials."""
    now = now or timezone.now()
    with ThreadPoolExecutor(max_workers=1) as pool:
        redis_check = pool.submit(check_redis)  # at the same time: both may wait on a dead peer
        database = check_database()
        if database.ok:
            heartbeats = [
                _heartbeat("worker", stale_after=WORKER_STALE_AFTER, now=now, what="a Celery worker"),
                _heartbeat("beat", stale_after=BEAT_STALE_AFTER, now=now, what="Celery beat"),
            ]
        else:
            heartbeats = [
                Check(name, UNKNOWN, True, f"Cannot tell whether {name} runs: the database does not answer.")
                for name in ("worker", "beat")
            ]
        checks = [database, redis_check.result(), *heartbeats, *check_providers()]
    return checks


def checks_ready(checks: list[Check]) -> bool:
    """Ready when every required part is there."""
    return all(check.ok for check in checks if check.required)


def checks_liveness() -> tuple[Check, Check]:
    """The balancer's two: database and Redis, checked at the same time."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        redis_check = pool.submit(check_redis)
        database = check_database()
        return database, redis_check.result()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
