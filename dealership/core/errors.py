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


class VerificationRequired(ApplicationError):
    """The caller must prove they are customer `customer_id` (date of birth or ZIP) before this; None
    when the refusal must not name the account (the caller first says which phone it is under)."""

    def __init__(self, message: str, *, customer_id: int | None, **kwargs: Any):
        extra = {"verification_required": True, "customer_id": customer_id}
        super().__init__(message, code="verification_required", extra=extra, **kwargs)
