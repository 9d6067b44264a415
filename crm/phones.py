"""Phone numbers: everything we store or compare is E.164, parsed with `phonenumbers`."""

import phonenumbers

from dealership.core.errors import ApplicationError


def normalize_phone(raw: str, *, region: str = "US") -> str:
    """Return `raw` as E.164, reading numbers without a country code in `region`.

    Raises ApplicationError with a sentence the caller can hear when it is not a real number.
    """
    text = (raw or "").strip()
    if not text:
        raise ApplicationError("I need a phone number.")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ApplicationError(f"'{text}' doesn't look like a phone number.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ApplicationError(f"'{text}' isn't a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str, *, region: str = "US") -> str | None:
    try:
        return normalize_phone(raw, region=region)
    except ApplicationError:
        return None


def mask_phone(e164: str) -> str:
    """For logs: keep only the last four digits."""
    return f"***{e164[-4:]}" if e164 and len(e164) > 4 else "***"


def format_phone_for_display(e164: str, *, region: str = "US") -> str:
    """How an advisor reads a stored number: national format within the shop's calling code
    ("(312) 555-0147"), international format for numbers from elsewhere. Anything unparseable
    comes back unchanged."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    # Same calling code (e.g. all of NANP for a US shop) reads naturally without the "+1".
    home = parsed.country_code == phonenumbers.country_code_for_region(region.upper())
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, style)
