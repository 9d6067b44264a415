"""The set-up check's provider rows: one cheap authenticated request per provider through its adapter
(integrations.telephony_setup, integrations.account_checks), turned into a row that is green or says what
to do. Each runs in a worker thread of dealership.core.setup_check, so none touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from integrations import account_checks, telephony_setup
from integrations.calendar import calendar_is_configured
from integrations.errors import ProviderError

OK, TODO, OFF = "ok", "todo", "off"  # green; needs doing; optional and switched off
# Each provider request's own bound (no retry).
PROBE_TIMEOUT = 4.0


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


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def _twilio_account(shown_number: str) -> SetupRow:
    title = "Twilio account"
    if not twilio_configured():
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
    if not twilio_configured():
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
    if not number or not twilio_configured():
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
