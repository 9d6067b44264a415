"""TwiML documents as strings. Every attribute and text node is XML-escaped; no SDK needed.

A <Connect><Stream> holds the call until our WebSocket closes; whatever follows it in the document
then runs. So the stream document ends with a spoken apology and a transfer or hang-up: if the live
session fails, or closes without hanging up, the caller still hears something.
"""

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
# Characters XML 1.0 forbids even escaped: control characters other than tab, newline and carriage
# return, lone surrogates, U+FFFE and U+FFFF. One in a caller ID would make the whole document unreadable
# to Twilio, and the caller would hear its "application error" instead of us.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

FALLBACK_MESSAGE = "Sorry, I'm having trouble on this line."
TRANSFER_MESSAGE = "Let me connect you with someone at the shop."
CALL_BACK_MESSAGE = "Please call us back in a few minutes. Goodbye."


def xml_text(value: object) -> str:
    """`value` as text XML can carry: the characters it forbids are dropped (escape it as well)."""
    return _NOT_XML.sub("", str(value))


def _attr(value: object) -> str:
    return quoteattr(xml_text(value))


def _attrs(values: Mapping[str, str]) -> str:
    return "".join(f" {name}={_attr(value)}" for name, value in values.items() if value)


def _response(*verbs: str) -> str:
    return f"{_PROLOG}<Response>{''.join(verbs)}</Response>"


# The <Say language> Twilio reads each of our languages in (data: a new language adds its locale).
SAY_LANGUAGES = {"en": "en-US", "es": "es-MX"}


def say(text: str, language: str = "") -> str:
    """`language`: one of our codes ("es"); the default is Twilio's (English)."""
    locale = SAY_LANGUAGES.get(language, "") if language and language != "en" else ""
    return f"<Say{_attrs({'language': locale})}>{escape(xml_text(text))}</Say>"


def dial_verb(number: str, *, caller_id: str = "") -> str:
    return f"<Dial{_attrs({'callerId': caller_id})}><Number>{escape(xml_text(number))}</Number></Dial>"


def hangup_verb() -> str:
    return "<Hangup/>"


def fallback_verbs(*, transfer_number: str = "", caller_id: str = "", message: str = FALLBACK_MESSAGE) -> str:
    """Apologise, then transfer to a person when there is a number, else ask for a call back and hang up."""
    if transfer_number:
        return say(f"{message} {TRANSFER_MESSAGE}") + dial_verb(transfer_number, caller_id=caller_id)
    return say(f"{message} {CALL_BACK_MESSAGE}") + hangup_verb()


def connect_stream(
    stream_url: str,
    parameters: Mapping[str, object],
    *,
    transfer_number: str = "",
    caller_id: str = "",
) -> str:
    """A bidirectional media stream to `stream_url` (wss, no query string) carrying `parameters`.

    They arrive in the stream's `start.customParameters`. Empty values are sent as empty strings so
    the session sees every name. The fallback after the stream is described in the module docstring.
    """
    params = "".join(
        f"<Parameter name={_attr(name)} value={_attr('' if value is None else value)}/>"
        for name, value in parameters.items()
    )
    stream = f"<Connect><Stream url={_attr(stream_url)}>{params}</Stream></Connect>"
    return _response(stream, fallback_verbs(transfer_number=transfer_number, caller_id=caller_id))


def dial(number: str, *, caller_id: str = "", message: str = "", language: str = "") -> str:
    """Transfer the call to `number`, optionally saying `message` (in `language`) first."""
    return _response(say(message, language) if message else "", dial_verb(number, caller_id=caller_id))


def fallback(*, transfer_number: str = "", message: str = FALLBACK_MESSAGE) -> str:
    """The whole apology document: transfer to a person when there is a number, else ask for a call back."""
    return _response(fallback_verbs(transfer_number=transfer_number, message=message))


def say_and_hangup(message: str, language: str = "") -> str:
    return _response(say(message, language), hangup_verb())


def empty() -> str:
    """An acknowledgement that asks Twilio to do nothing (status callbacks)."""
    return _response()


# --- warm hand-off (voice.handoffs) --------------------------------------------------------------------

# Twilio <Say> voices per caller language; others fall back to Twilio's default (English).
SAY_LANGUAGES = {"es": "es-MX"}


def say_in(text: str, language: str = "") -> str:
    lang = SAY_LANGUAGES.get(language, "")
    return f"<Say{_attrs({'language': lang})}>{escape(xml_text(text))}</Say>"


def warm_dial(number: str, *, action: str, whisper_url: str, caller_id: str = "", timeout: int = 20) -> str:
    """Ring `number` for `timeout` seconds; the called party first gets the TwiML at `whisper_url`
    (the caller keeps hearing ringing), and when the dial ends Twilio asks `action` what the caller
    hears next."""
    dial = _attrs({"action": action, "method": "POST", "timeout": str(timeout), "callerId": caller_id})
    number_attrs = _attrs({"url": whisper_url, "method": "POST"})
    number_verb = f"<Number{number_attrs}>{escape(xml_text(number))}</Number>"
    return _response(f"<Dial{dial}>{number_verb}</Dial>")


def whisper(summary: str, *, accept_url: str, prompt: str, not_taken: str, seconds: int = 8) -> str:
    """For the advisor only: the summary and a one-key prompt. A key goes to `accept_url`; no key
    within `seconds` says `not_taken` and hangs up the advisor's leg (the caller's dial then ends)."""
    gather = _attrs({"numDigits": "1", "timeout": str(seconds), "action": accept_url, "method": "POST"})
    return _response(f"<Gather{gather}>{say(f'{summary} {prompt}')}</Gather>", say(not_taken), hangup_verb())


def say_then_connect(message: str) -> str:
    """Ends the advisor's whisper with a word: Twilio then bridges the two parties."""
    return _response(say(message))


def say_and_hangup_in(message: str, language: str = "") -> str:
    return _response(say_in(message, language), hangup_verb())


def hangup() -> str:
    return _response(hangup_verb())
