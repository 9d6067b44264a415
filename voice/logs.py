"""Loggers that put the call SID on every line (as text and as `extra`, for structured handlers)."""

import logging
from collections.abc import MutableMapping
from typing import Any


class CallLog(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**self.extra, **kwargs.get("extra", {})}  # type: ignore[dict-item]
        return f"call={self.extra['call_sid']} {msg}", kwargs  # type: ignore[index]


def call_log(name: str, call_sid: str) -> CallLog:
    """A logger for `name` whose lines start with `call=<sid>`. Never pass it full phone numbers."""
    return CallLog(logging.getLogger(name), {"call_sid": call_sid or "-"})
