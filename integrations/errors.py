"""The one error type every provider adapter raises; SDK exceptions never leave `integrations/`."""


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

    def __repr__(self) -> str:
        return f"ProviderError({self.message!r}, permanent={self.permanent}, provider={self.provider!r})"
