"""Reads over call records."""

import hmac

from voice.models import Call


def call_get_for_stream(*, call_sid: str, token: str) -> Call | None:
    """The call a media stream claims to belong to, or None when we never answered it or the
    stream's token is not the one we handed out for it (compared in constant time)."""
    call = Call.objects.filter(call_sid=call_sid).first()
    if call is None or not hmac.compare_digest(call.stream_token.encode(), token.encode()):
        return None
    return call
