"""The one error type for business-rule failures. Its message is a sentence a person can read."""

from typing import Any


class ApplicationError(Exception):
    def __init__(self, message: str, *, code: str = "invalid", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class NotFound(ApplicationError):
    def __init__(self, message: str, **kwargs: Any):
        super().__init__(message, code="not_found", **kwargs)


class SlotTaken(ApplicationError):
    """The requested time filled up; `extra["alternatives"]` carries the nearest open slots."""

    def __init__(self, message: str, **kwargs: Any):
        super().__init__(message, code="slot_taken", **kwargs)
