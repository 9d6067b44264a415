"""How long a media stream may take to start, how long a call may last, when a caller is idle."""

from dataclasses import dataclass

from django.conf import settings

# setting name -> (SessionLimits field, default seconds)
_LIMIT_SETTINGS = {
    "VOICE_STREAM_START_TIMEOUT": ("start_timeout", 5.0),
    "VOICE_MAX_CALL_SECONDS": ("max_call_seconds", 15 * 60.0),
    "VOICE_TIME_LIMIT_GRACE_SECONDS": ("time_limit_grace", 30.0),
    "VOICE_IDLE_SECONDS": ("idle_seconds", 12.0),
}


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Seconds. Each can be overridden by the optional setting named in _LIMIT_SETTINGS."""

    start_timeout: float = 5.0
    max_call_seconds: float = 15 * 60.0
    time_limit_grace: float = 30.0
    idle_seconds: float = 12.0
    tick: float = 0.5

    @classmethod
    def from_settings(cls) -> "SessionLimits":
        values = {
            field: float(getattr(settings, name, default))
            for name, (field, default) in _LIMIT_SETTINGS.items()
        }
        # The watchdog checks often enough to keep every limit within a fifth of its length.
        return cls(**values, tick=min(0.5, *(value / 5 for value in values.values())))
