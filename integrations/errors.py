"""The one error type every provider adapter raises; SDK exceptions never leave `integrations/`."""

from collections.abc import Collection

from dealership import metrics

# Timeouts and rate limits: the request may well succeed a little later.
RETRYABLE_STATUSES = frozenset({408, 429})


class ProviderError(Exception):
    """A provider call failed.

    `permanent` tells the caller whether trying again can help: False for timeouts, dropped sockets,
    5xx and rate limits; True for bad credentials, missing configuration and rejected requests.
    `provider` names the role's vendor ("twilio", "deepgram", "openai") for logs and metrics.
    """

    def __init__(self, message: str, *, permanent: bool, provider: str):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.provider = provider
        # Counted where every provider failure is made (one choke point for all adapters).
        metrics.PROVIDER_ERRORS.labels(
            provider=provider, kind="permanent" if permanent else "transient"
        ).inc()

    def __repr__(self) -> str:
        return f"ProviderError({self.message!r}, permanent={self.permanent}, provider={self.provider!r})"


def status_is_permanent(status: int, *, retryable: Collection[int] = RETRYABLE_STATUSES) -> bool:
    """Whether an HTTP error status means trying again cannot help: a 4xx other than `retryable`."""
    return status < 500 and status not in retryable
