"""The set-up check (/admin/setup/): what works and what an owner still has to configure, one row each.

`setup_rows` (selector) asks every provider at the same time, each in its own thread with a short timeout,
and waits for all of them at most PROBE_DEADLINE seconds: a provider that hangs gets a row saying so and
never stalls the page. The server's own parts (database, Redis, Celery heartbeats) come from the one
checks selector, dealership.core.checks. `setup_number_point` (service) sets the Twilio number's webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from dealership.core import checks
from dealership.core.display import phone, shop_when
from dealership.core.errors import ApplicationError
from integrations import account_checks, telephony_setup
from integrations.calendar import calendar_is_configured
from integrations.errors import ProviderError
from voice.models import Call, WebhookReceipt

logger = logging.getLogger(__name__)

OK, TODO, OFF = "ok", "todo", "off"  # green; needs doing; optional and switched off
# Each provider request's own bound, and how long the page waits for all of them together.
PROBE_TIMEOUT = 4.0
PROBE_DEADLINE = 5.0
CHECK_TITLES = {"database": "Database", "redis": "Redis", "worker": "Celery worker", "beat": "Celery beat"}


@dataclass(frozen=True)
class SetupRow:
    key: str
    title: str
    state: str  # OK, TODO or OFF
    message: str  # what works, or one sentence saying what to do
    action: str = ""  # a button the page offers for this row ("point_number")

    @property
    def ok(self) -> bool:
        return self.state != TODO


@dataclass(frozen=True)
class SetupPage:
    rows: list[SetupRow]
    can_point_number: bool  # the number was found and its webhooks are not ours yet

    @property
    def todo(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


def expected_webhooks() -> dict[str, str] | None:
    """The URLs Twilio must call, from PUBLIC_BASE_URL (None when it is not set)."""
    base = settings.PUBLIC_BASE_URL
    if not base:
        return None
    return {
        "voice": base + reverse("voice:inbound"),
        "status": base + reverse("voice:status"),
        "sms": base + reverse("reminders:sms"),
    }


# --- provider rows (run in threads: no database access here) --------------------------------------------


def _twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def _twilio_account(shown_number: str) -> SetupRow:
    title = "Twilio account"
    if not _twilio_configured():
        return SetupRow(
            "twilio",
            title,
            TODO,
            "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio Console → Account info).",
        )
    try:
        status = telephony_setup.account_status(timeout=PROBE_TIMEOUT)
    except ProviderError as error:
        if telephony_setup.refused_credentials(error):
            return SetupRow(
                "twilio",
                title,
                TODO,
                "Twilio refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN: copy both again "
                "from the Twilio Console (Account info).",
            )
        return SetupRow("twilio", title, TODO, f"{error.message}. Try again in a minute.")
    if status != "active":
        return SetupRow(
            "twilio", title, TODO, f"The Twilio account is {status}: reactivate it in the Twilio Console."
        )
    return SetupRow("twilio", title, OK, "Credentials accepted; the account is active.")


def _webhook_problems(number: telephony_setup.NumberWebhooks, expected: dict[str, str]) -> list[str]:
    problems = []
    for what, current, wanted in (
        ("calls go", number.voice_url, expected["voice"]),
        ("call status goes", number.status_callback, expected["status"]),
        ("texts go", number.sms_url, expected["sms"]),
    ):
        if current != wanted:
            problems.append(f"{what} to {current or 'nowhere'}")
    return problems


def _twilio_number(shown_number: str) -> SetupRow:
    title = "The shop's number"
    number = settings.TWILIO_PHONE_NUMBER
    if not number:
        return SetupRow("number", title, TODO, "Set TWILIO_PHONE_NUMBER to the shop's Twilio number (E.164).")
    if not _twilio_configured():
        return SetupRow("number", title, TODO, "Set the Twilio credentials first (row above).")
    try:
        found = telephony_setup.number_find(number, timeout=PROBE_TIMEOUT)
    except ProviderError as error:
        return SetupRow("number", title, TODO, f"Cannot look up {shown_number}: {error.message}.")
    if found is None:
        return SetupRow(
            "number",
            title,
            TODO,
            f"{shown_number} is not a number of this Twilio account: buy it or correct TWILIO_PHONE_NUMBER.",
        )
    expected = expected_webhooks()
    if expected is None:
        return SetupRow(
            "number",
            title,
            TODO,
            "Set PUBLIC_BASE_URL to the https address Twilio reaches this server at "
            "(e.g. https://desk.example.com); then point the number at it here.",
        )
    problems = _webhook_problems(found, expected)
    if problems:
        return SetupRow(
            "number",
            title,
            TODO,
            f"{shown_number}: {'; '.join(problems)}. Press “Point the number at this server”.",
            action="point_number",
        )
    return SetupRow("number", title, OK, f"{shown_number} sends calls, call status and texts here.")


def _is_toll_free(e164: str) -> bool:
    return e164[:5] in {"+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"}


def _texting(shown_number: str) -> SetupRow:
    title = "US texting (A2P 10DLC)"
    number = settings.TWILIO_PHONE_NUMBER
    if not number or not _twilio_configured():
        return SetupRow("a2p", title, TODO, "Set the Twilio credentials and number first (rows above).")
    if not number.startswith("+1"):
        return SetupRow("a2p", title, OFF, "Not needed: the number is not a US or Canadian number.")
    if _is_toll_free(number):
        return SetupRow(
            "a2p",
            title,
            OFF,
            "Toll-free number: texting needs toll-free verification in the Twilio Console "
            "(Messaging → Regulatory compliance), not A2P 10DLC.",
        )
    try:
        registration = telephony_setup.texting_registration(number, timeout=PROBE_TIMEOUT)
    except ProviderError as error:
        return SetupRow("a2p", title, TODO, f"Cannot read the texting registration: {error.message}.")
    if registration.verified:
        return SetupRow("a2p", title, OK, "The A2P 10DLC campaign is verified: texts reach US phones.")
    if registration.messaging_service_sid is None:
        return SetupRow(
            "a2p",
            title,
            TODO,
            "The number is in no Messaging Service: register a brand and a campaign in the "
            "Twilio Console (Messaging → Regulatory compliance) and add the number to the campaign's "
            "Messaging Service; until then US carriers block reminder texts.",
        )
    statuses = ", ".join(registration.campaign_statuses) or "none"
    if not registration.campaign_statuses:
        advice = "register an A2P 10DLC campaign on it in the Twilio Console"
    elif "FAILED" in registration.campaign_statuses:
        advice = "the campaign was rejected: read the reasons in the Twilio Console and submit it again"
    else:
        advice = "the campaign is under review; texts are blocked until it is verified (usually days)"
    return SetupRow(
        "a2p",
        title,
        TODO,
        f"Messaging Service {registration.messaging_service_sid} (campaigns: {statuses}): {advice}.",
    )


def _key_row(key: str, title: str, variable: str, probe: Callable[[], object], *, required: bool) -> SetupRow:
    try:
        probe()
    except ProviderError as error:
        if error.permanent and "not configured" in error.message:
            state = TODO if required else OFF
            return SetupRow(key, title, state, f"Set {variable}" + ("." if required else " to turn it on."))
        if account_checks.refused_key(error):
            return SetupRow(key, title, TODO, f"{title} refused {variable}: create a new key and set it.")
        return SetupRow(key, title, TODO, f"{error.message}. Try again in a minute.")
    return SetupRow(key, title, OK, "Key accepted.")


def _deepgram(shown_number: str) -> SetupRow:
    engines = {settings.VOICE_ENGINE, *(settings.VOICE_ENGINE_BY_NUMBER or {}).values()}
    return _key_row(
        "deepgram",
        "Deepgram",
        "DEEPGRAM_API_KEY",
        lambda: account_checks.deepgram_key_check(timeout=PROBE_TIMEOUT),
        required="cascade" in {engine.strip() for engine in engines},
    )


def _openai(shown_number: str) -> SetupRow:
    return _key_row(
        "openai",
        "OpenAI",
        "OPENAI_API_KEY",
        lambda: account_checks.openai_key_check(timeout=PROBE_TIMEOUT),
        required=True,
    )


def _calendar(shown_number: str) -> SetupRow:
    title = "Google Calendar"
    if not calendar_is_configured():
        return SetupRow(
            "google_calendar",
            title,
            OFF,
            "Off. To mirror appointments, set GOOGLE_CALENDAR_ID and Google "
            "credentials (README, Google Calendar).",
        )
    try:
        account_checks.calendar_check(timeout=PROBE_TIMEOUT)
    except ProviderError as error:
        return SetupRow(
            "google_calendar", title, TODO, f"{error.message}: check the calendar's sharing and keys."
        )
    return SetupRow("google_calendar", title, OK, "The calendar answers with these credentials.")


PROBES: dict[str, tuple[str, Callable[[str], SetupRow]]] = {
    "twilio": ("Twilio account", _twilio_account),
    "number": ("The shop's number", _twilio_number),
    "a2p": ("US texting (A2P 10DLC)", _texting),
    "deepgram": ("Deepgram", _deepgram),
    "openai": ("OpenAI", _openai),
    "google_calendar": ("Google Calendar", _calendar),
}


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
    call = Call.objects.filter(direction=Call.Direction.INBOUND, is_test=False).aggregate(
        at=Max("created_at")
    )["at"]
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
    if probed["twilio"].state == TODO and _twilio_configured():
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
    if not number or not _twilio_configured():
        raise ApplicationError("Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER first.")
    try:
        found = telephony_setup.number_find(number, timeout=PROBE_TIMEOUT)
        if found is None:
            raise ApplicationError(f"{phone(number)} is not a number of this Twilio account.")
        return telephony_setup.number_point(
            found.sid,
            voice_url=expected["voice"],
            status_url=expected["status"],
            sms_url=expected["sms"],
            timeout=PROBE_TIMEOUT,
        )
    except ProviderError as error:
        raise ApplicationError(f"Twilio did not take the change: {error.message}.") from error
