"""Reading numbers and text from outside input (webhook forms, query strings) without a 500."""

from __future__ import annotations


def small_int(raw: str | None, *, max_digits: int = 9) -> int | None:
    """`raw` as a non-negative int when it is 1 to `max_digits` ASCII digits (spaces around allowed),
    else None. `str.isdigit()` alone lets "²" through (int() then raises) and int() refuses strings
    of more than 4,300 digits, so a bare `int(x) if x.isdigit()` is a 500 waiting for odd input."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


def clean_text(raw: str | None, *, limit: int | None = None) -> str:
    """`raw` without NUL characters (PostgreSQL refuses them in text columns; nobody means them),
    stripped, and cut to `limit` characters when given."""
    text = (raw or "").replace("\x00", "").strip()
    return text[:limit] if limit is not None else text
