"""The one-time stream token: a media stream must claim it to become the call's live session.

The webhooks hand the token out in the stream's <Parameter>s (voice.streams). A stream that presents
it claims it with one conditional UPDATE (token unclaimed, call not ended), so of two streams racing,
even in two processes, exactly one wins; the token is spent from then on, whatever happens to that
session. A reconnect of a live call needs a token issued for it (`call_stream_token_renew`): the new
stream's claim names the old stream, which the new session then ends (voice.session).
"""

import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from voice.models import Call

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamClaim:
    call: Call
    replaces_stream_sid: str  # the session this stream takes over from ("" when none was live)


def call_stream_claim(
    *, call_sid: str, token: str, stream_sid: str, engine: str = "", is_test: bool = False
) -> StreamClaim | None:
    """Claim `call_sid`'s stream token for the stream `stream_sid` and mark the call live.

    None when refused: no such call, a wrong token, a token already claimed (a replay, a second
    socket, a stale reconnect) or a call that has ended. `engine` is the one the stream asked for;
    the call record keeps the one actually running it. `is_test`: the stream is the browser's test
    call, which may claim only test calls (and a phone stream never a test call, whose telephony is
    the page, not Twilio).
    """
    with transaction.atomic():
        calls = Call.objects.test() if is_test else Call.objects.real()
        call = calls.filter(call_sid=call_sid).first()
        if call is None or not hmac.compare_digest(call.stream_token.encode(), token.encode()):
            return None
        if call.stream_claimed_at is not None or call.status in Call.FINAL_STATUSES:
            logger.warning(
                "call=%s stream %s refused: %s",
                call_sid,
                stream_sid[:64],
                "the call has ended" if call.status in Call.FINAL_STATUSES else "token already used",
            )
            return None
        now = timezone.now()
        claimed = (
            Call.objects.filter(pk=call.pk, stream_token=call.stream_token, stream_claimed_at__isnull=True)
            .exclude(status__in=Call.FINAL_STATUSES)
            .update(
                stream_claimed_at=now,
                stream_sid=stream_sid[:64],
                engine=(engine or call.engine or settings.VOICE_ENGINE)[:20],
                status=Case(
                    When(status=Call.Status.RINGING, then=Value(Call.Status.IN_PROGRESS)),
                    default=F("status"),
                ),
                started_at=Coalesce(F("started_at"), Value(now)),
                updated_at=now,
            )
        )
        if not claimed:  # another stream won between the read and the claim
            return None
        replaces = call.stream_sid if call.stream_sid != stream_sid else ""
        call.refresh_from_db()
    return StreamClaim(call, replaces)


def call_stream_token_renew(*, call_id: int) -> Call:
    """Issue a fresh token for a call that is to be connected to a new stream (a reconnect of a
    live call). The stream that claims it replaces the session on the call now; the old token is void."""
    Call.objects.filter(pk=call_id).update(
        stream_token=secrets.token_urlsafe(24), stream_claimed_at=None, updated_at=timezone.now()
    )
    return Call.objects.get(pk=call_id)
