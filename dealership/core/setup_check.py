"""The set-up check (/admin/setup/): what works and what an owner still has to configure, one row each.

`setup_rows` (selector) asks every provider at the same time, each in its own thread with a short timeout,
and waits for all of them at most PROBE_DEADLINE seconds: a provider that hangs gets a row saying so and
never stalls the page. The server's own parts (database, Redis, Celery heartbeats) come from the one
checks selector, dealership.core.checks. `setup_number_point` (service) sets the Twilio number's webhooks.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from dealership.core import checks, setup_probes
from dealership.core.display import phone, shop_when
from dealership.core.errors import ApplicationError
from dealership.core.setup_probes import (
    OFF,
    OK,
    PROBES,
    TODO,
    SetupRow,
    expected_webhooks,
    twilio_configured,
)
from integrations import telephony_setup
from integrations.errors import ProviderError
from voice.models import Call, WebhookReceipt

logger = logging.getLogger(__name__)

# How long the page waits for all the providers together (each request has its own bound as well).
PROBE_DEADLINE = 5.0
CHECK_TITLES = {"database": "Database", "redis": "Redis", "worker": "Celery worker", "beat": "Celery beat"}


@dataclass(frozen=True)
class SetupPage:
    rows: list[SetupRow]
    can_point_number: bool  # the number was found and its webhooks are not ours yet

    @property
    def todo(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


def _probe_all(deadline: float, shown_number: str) -> dict[str, SetupRow]:
    """Every probe at once; one still running at `deadline` seconds is reported, not waited for. The
    probes touch no database (their threads have no test transaction, and the page must not wait on
    a connection each): what they show is worked out before, like the number in national format."""
    pool = ThreadPoolExecutor(max_workers=len(PROBES), thread_name_prefix="setup-check")
    futures = {key: pool.submit(probe, shown_number) for key, (_, probe) in PROBES.items()}
    wait(futures.values(), timeout=deadline)
    pool.shutdown(wait=False, cancel_futures=True)  # a hung request ends on its own timeout
    rows = {}
    for key, future in futures.items():
        title = PROBES[key][0]
        if not future.done():
            logger.warning("set-up check: %s did not answer within %s s", key, deadline)
            rows[key] = SetupRow(key, title, TODO, f"No answer within {deadline:g} s: try again in a minute.")
        elif (error := future.exception()) is not None:
            logger.error("set-up check: %s failed: %r", key, error)
            rows[key] = SetupRow(key, title, TODO, f"The check failed ({type(error).__name__}).")
        else:
            rows[key] = future.result()
    return rows


# --- the server's own rows ------------------------------------------------------------------------------


def _last_webhook(now: datetime) -> SetupRow:
    title = "Last webhook from Twilio"
    receipt = WebhookReceipt.objects.aggregate(at=Max("received_at"))["at"]
    # Only calls that reached us through Twilio: their media stream claimed the call's token. Demo
    # calls (seed_demo) and test calls from the browser never do, so they cannot make this row green.
    call = (
        Call.objects.real()
        .filter(direction=Call.Direction.INBOUND, stream_claimed_at__isnull=False)
        .aggregate(at=Max("created_at"))["at"]
    )
    seen = [(at, what) for at, what in ((receipt, "a status or text"), (call, "an incoming call")) if at]
    if not seen:
        number = phone(settings.TWILIO_PHONE_NUMBER) if settings.TWILIO_PHONE_NUMBER else "the shop's number"
        return SetupRow(
            "webhook",
            title,
            TODO,
            f"None received yet: call {number}. If this stays empty, Twilio cannot reach "
            "PUBLIC_BASE_URL (check the https address and the firewall).",
        )
    at, what = max(seen)
    return SetupRow("webhook", title, OK, f"{what.capitalize()}, {shop_when(at)}.")


def _server_rows() -> list[SetupRow]:
    found = {check.name: check for check in checks.checks_run()}
    rows = []
    for name, title in CHECK_TITLES.items():
        check = found[name]
        state = OK if check.state == checks.OK else OFF if check.ok else TODO
        rows.append(SetupRow(name, title, state, check.message))
    return rows


def setup_rows(*, now: datetime | None = None, deadline: float | None = None) -> SetupPage:
    """Every row of the set-up check, providers asked at the same time (at most `deadline` s, by default
    PROBE_DEADLINE)."""
    now = now or timezone.now()
    deadline = PROBE_DEADLINE if deadline is None else deadline
    with ThreadPoolExecutor(max_workers=1) as pool:
        number = settings.TWILIO_PHONE_NUMBER
        providers = pool.submit(
            _probe_all, deadline, phone(number) if number else ""
        )  # while the database and Redis are checked here
        server = _server_rows()
        webhook = _last_webhook(now)
        probed = providers.result()
    if probed["twilio"].state == TODO and twilio_configured():
        # Wrong credentials fail every Twilio row the same way: say it once, above.
        for key in ("number", "a2p"):
            if probed[key].state == TODO:
                probed[key] = SetupRow(
                    key, probed[key].title, TODO, "Fix the Twilio account first (row above)."
                )
    number_row = probed["number"]
    rows = [probed["twilio"], number_row, webhook, probed["a2p"], probed["deepgram"], probed["openai"]]
    rows += [probed["google_calendar"], *server]
    return SetupPage(rows=rows, can_point_number=number_row.action == "point_number")


def setup_number_point() -> telephony_setup.NumberWebhooks:
    """Point the shop's Twilio number at this server's webhooks. ApplicationError with what to do when
    the number or PUBLIC_BASE_URL is missing or Twilio refuses."""
    expected = expected_webhooks()
    if expected is None:
        raise ApplicationError("Set PUBLIC_BASE_URL first: Twilio needs the https address of this server.")
    number = settings.TWILIO_PHONE_NUMBER
    if not number or not twilio_configured():
        raise ApplicationError("Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER first.")
    try:
        found = telephony_setup.number_find(number, timeout=setup_probes.PROBE_TIMEOUT)
        if found is None:
            raise ApplicationError(f"{phone(number)} is not a number of this Twilio account.")
        return telephony_setup.number_point(
            found.sid,
            voice_url=expected["voice"],
            status_url=expected["status"],
            sms_url=expected["sms"],
            timeout=setup_probes.PROBE_TIMEOUT,
        )
    except ProviderError as error:
        raise ApplicationError(f"Twilio did not take the change: {error.message}.") from error
