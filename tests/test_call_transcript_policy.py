"""A caller who objected to recording: when the call ends, what was said is kept only as the shop's
setting *When a caller objects to recording* allows (voice.recordings.transcript). The call keeps its
metadata, outcome, tool calls and consent state; the call page says the transcript was removed."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from scheduling.models import Shop
from tests.calls import inbound_call
from tests.fakes.fake_openai import ErrorReply, JsonReply
from voice import summaries
from voice.models import Call, Handoff, Turn
from voice.recordings.transcript import (
    SUMMARY_MAX_REQUESTS,
    TRANSCRIPT_KEPT_FOR_SUMMARY,
    call_records_complete,
    call_transcript_policy_apply,
    calls_transcript_sweep,
)
from voice.services import call_set_outcome, tool_call_record, turn_record
from voice.tasks import SUMMARY_MAX_RETRIES, call_summary_retry_window

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]

SAID = "My name is Dana Reyes, my brakes grind on the 2019 Civic. Don't record me."
SUMMARY = {
    "summary": "The caller asked for a brake inspection this week.",
    "reason_for_calling": "brakes grinding",
    "vehicle_mentioned": "2019 Honda Civic",
    "service_wanted": "brake inspection",
    "urgency": "soon",
    "sentiment": "neutral",
    "follow_up_needed": False,
    "follow_up_reason": "",
}


def a_call(shop, *, objected: bool = True) -> Call:
    """An ended call: the agent greeted, the caller spoke (and objected), a tool ran, a booking was made."""
    call = inbound_call()
    turn_record(
        call_id=call.pk, role="agent", text="Lakeside Auto, this call may be recorded.", response_ms=420
    )
    turn_record(call_id=call.pk, role="caller", text=SAID)
    turn_record(
        call_id=call.pk,
        role="agent",
        text="I can book that for Thursday.",
        interrupted=True,
        heard_text="I can book",
    )
    tool_call_record(
        call_id=call.pk,
        name="schedule_appointment",
        arguments={"service_type": "brake_inspection"},
        result={"success": True},
        success=True,
        duration_ms=30,
    )
    Handoff.objects.create(call=call, number="+13125550100", summary="Dana Reyes, brakes grinding")
    call_set_outcome(call_id=call.pk, outcome="booked")
    if objected:
        Call.objects.filter(pk=call.pk).update(recording_consent=Call.RecordingConsent.DECLINED)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.COMPLETED, ended_at=timezone.now())
    return call


def ended(call: Call) -> None:
    """The engine's last write, and the summary it queues run to the end (inline, as a worker would)."""
    call_records_complete(call_id=call.pk)
    summaries._publisher.submit(lambda: None).result(timeout=30)  # one thread: what was queued ran


def keeps(value: str) -> None:
    Shop.objects.update(recording_objection_keeps=value)


def said(call: Call) -> list[str]:
    return [
        text
        for pair in Turn.objects.filter(call=call).values_list("text", "heard_text")
        for text in pair
        if text
    ]


def test_it_keeps_only_the_summary_by_default_summarising_first(shop, fake_openai):
    fake_openai.structured = [JsonReply(SUMMARY)]
    call = a_call(shop)

    ended(call)

    [request] = fake_openai.structured_requests
    assert "Dana Reyes" in request["messages"][-1]["content"]  # summarised from the words...
    assert "never quote" in request["messages"][0]["content"]  # ...told not to carry them over
    call.refresh_from_db()
    assert said(call) == []  # ...then the words went
    assert call.summary == SUMMARY["summary"] and call.service_wanted == "brake inspection"
    assert call.transcript_removed_at is not None
    assert call.transcript_removed_reason.startswith("the caller asked not to be recorded")
    # What the receptionist did stays: outcome, consent, tool calls, each turn's place and latency.
    assert call.outcome == Call.Outcome.BOOKED and call.recording_consent == Call.RecordingConsent.DECLINED
    assert call.tool_calls.get().arguments == {"service_type": "brake_inspection"}
    assert list(call.turns.values_list("role", "response_ms")) == [
        ("agent", 420),
        ("caller", None),
        ("agent", None),
    ]
    assert Handoff.objects.get(call=call).summary == "Dana Reyes, brakes grinding"


def test_keeping_nothing_sends_nothing_to_the_llm_and_clears_the_summary(shop, fake_openai):
    keeps("nothing")
    call = a_call(shop)

    ended(call)

    assert fake_openai.structured_requests == []
    call.refresh_from_db()
    assert said(call) == [] and call.summary == "" and call.summarized_at is None
    assert "nothing of what was said" in call.transcript_removed_reason
    assert Handoff.objects.get(call=call).summary == ""
    assert call.outcome == Call.Outcome.BOOKED and call.tool_calls.count() == 1


def test_keeping_the_transcript_keeps_every_word(shop, fake_openai):
    keeps("transcript")
    fake_openai.structured = [JsonReply(SUMMARY)]
    call = a_call(shop)

    ended(call)

    call.refresh_from_db()
    assert SAID in said(call) and "I can book" in said(call)
    assert call.summary == SUMMARY["summary"] and call.transcript_removed_at is None
    assert "never quote" not in fake_openai.structured_requests[0]["messages"][0]["content"]


def test_a_caller_who_did_not_object_keeps_the_transcript_whatever_the_setting(shop, fake_openai):
    keeps("nothing")
    fake_openai.structured = [JsonReply(SUMMARY)]
    call = a_call(shop, objected=False)

    ended(call)

    call.refresh_from_db()
    assert SAID in said(call) and call.summary and call.transcript_removed_at is None


def test_test_calls_follow_the_same_policy(shop, fake_openai):
    keeps("nothing")
    call = a_call(shop)
    Call.objects.filter(pk=call.pk).update(is_test=True)

    ended(call)

    call.refresh_from_db()
    assert said(call) == [] and call.transcript_removed_at is not None


def test_an_llm_down_through_every_retry_keeps_the_words_until_a_summary_or_a_day(shop, fake_openai):
    fake_openai.structured = [ErrorReply(500, "down")] * (SUMMARY_MAX_RETRIES + 1)
    call = a_call(shop)

    ended(call)

    assert len(fake_openai.structured_requests) == SUMMARY_MAX_RETRIES + 1
    call.refresh_from_db()
    assert SAID in said(call) and call.transcript_removed_at is None  # kept for a summary still to come

    # Still down an hour on: the sweep asks again, and the words stay.
    fake_openai.structured = [ErrorReply(500, "down")] * (SUMMARY_MAX_RETRIES + 1)
    assert calls_transcript_sweep(now=timezone.now() + timedelta(hours=1)) == 0
    summaries._publisher.submit(lambda: None).result(timeout=30)
    assert len(fake_openai.structured_requests) == 2 * (SUMMARY_MAX_RETRIES + 1)
    assert SAID in said(call)

    # A day after the call they go, summary or not.
    assert (
        calls_transcript_sweep(now=timezone.now() + TRANSCRIPT_KEPT_FOR_SUMMARY + timedelta(minutes=1)) == 1
    )
    call.refresh_from_db()
    assert said(call) == [] and call.transcript_removed_at is not None
    assert len(fake_openai.structured_requests) == 2 * (SUMMARY_MAX_RETRIES + 1)


def test_an_llm_back_within_the_day_summarises_then_removes_the_words(shop, fake_openai):
    fake_openai.structured = [ErrorReply(500, "down")] * (SUMMARY_MAX_RETRIES + 1)
    call = a_call(shop)
    ended(call)

    fake_openai.structured = [JsonReply(SUMMARY)]
    calls_transcript_sweep(now=timezone.now() + timedelta(hours=3))
    summaries._publisher.submit(lambda: None).result(timeout=30)

    call.refresh_from_db()
    assert call.summary == SUMMARY["summary"] and said(call) == []


def test_the_hourly_sweep_summarises_then_removes_what_a_lost_summary_task_left(shop, fake_openai):
    call = a_call(shop)  # its summary task was never run (a broker that lost it)
    fake_openai.structured = [JsonReply(SUMMARY)]
    assert calls_transcript_sweep(now=timezone.now() + timedelta(hours=2)) == 0
    summaries._publisher.submit(lambda: None).result(timeout=30)

    call.refresh_from_db()
    assert call.summary == SUMMARY["summary"]  # the summary was asked for again, and written first
    assert said(call) == [] and call.transcript_removed_at is not None


def test_the_sweep_leaves_a_call_still_going_alone(shop, fake_openai, settings):
    call = a_call(shop)
    # As long as a call may last, and the summary task's retry window on top.
    started = (
        timezone.now() - timedelta(seconds=settings.VOICE_MAX_CALL_SECONDS) - call_summary_retry_window()
    )
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.IN_PROGRESS, ended_at=None, created_at=started + timedelta(minutes=1)
    )

    assert calls_transcript_sweep() == 0

    call.refresh_from_db()
    assert SAID in said(call) and call.transcript_removed_at is None
    assert fake_openai.structured_requests == []


def test_the_sweep_waits_out_the_summary_tasks_retries_after_a_long_call(shop, fake_openai):
    """A long call (or a queue backlog): created hours ago, ended just now, its summary task not yet run."""
    call = a_call(shop)
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - timedelta(hours=3))
    window = call_summary_retry_window()
    assert window >= timedelta(minutes=15)  # the task's backoffs alone: 30 s, 1, 2, 4, 8 min

    assert calls_transcript_sweep(now=timezone.now() + window - timedelta(minutes=1)) == 0
    summaries._publisher.submit(lambda: None).result(timeout=30)

    assert fake_openai.structured_requests == []  # not even asked again: the first task may still come
    assert SAID in said(call)


def sweep(*, after: timedelta) -> int:
    """The hourly sweep, `after` from now, and whatever it queued run to the end."""
    removed = calls_transcript_sweep(now=timezone.now() + after)
    summaries._publisher.submit(lambda: None).result(timeout=30)
    return removed


def test_the_sweep_asks_again_only_a_few_times_then_waits_for_the_day(shop, fake_openai):
    per_request = SUMMARY_MAX_RETRIES + 1  # the task's own attempts
    fake_openai.structured = [ErrorReply(500, "down")] * 100
    call = a_call(shop)
    ended(call)  # the first request, at hang-up
    assert len(fake_openai.structured_requests) == per_request

    for hour in range(1, 6):
        sweep(after=timedelta(hours=hour))

    assert len(fake_openai.structured_requests) == SUMMARY_MAX_REQUESTS * per_request
    assert Call.objects.get(pk=call.pk).summary_attempts == SUMMARY_MAX_REQUESTS
    assert SAID in said(call)
    assert sweep(after=TRANSCRIPT_KEPT_FOR_SUMMARY + timedelta(minutes=1)) == 1
    assert said(call) == []
    assert len(fake_openai.structured_requests) == SUMMARY_MAX_REQUESTS * per_request


def test_the_sweep_does_not_ask_again_while_its_last_request_may_still_run(shop, fake_openai):
    fake_openai.structured = [ErrorReply(500, "down")] * 100
    call = a_call(shop)  # its summary task was never run (a broker that lost it)
    Call.objects.filter(pk=call.pk).update(ended_at=timezone.now() - timedelta(hours=2))
    per_request = SUMMARY_MAX_RETRIES + 1
    sweep(after=timedelta(0))
    assert len(fake_openai.structured_requests) == per_request

    # The sweep again within that request's retry window (a second beat, a worker restarted): not asked.
    sweep(after=call_summary_retry_window() - timedelta(minutes=1))
    assert len(fake_openai.structured_requests) == per_request

    # Once the window has passed, asked again.
    sweep(after=call_summary_retry_window() + timedelta(minutes=1))
    assert len(fake_openai.structured_requests) == 2 * per_request
    assert SAID in said(call)


def test_the_sweep_does_not_ask_again_for_a_summary_the_llm_refused_for_good(shop, fake_openai):
    fake_openai.structured = [ErrorReply(401, "Incorrect API key", error_type="invalid_request_error")] * 10
    call = a_call(shop)
    ended(call)
    assert len(fake_openai.structured_requests) == 1  # a 401 is not retried

    assert sweep(after=timedelta(hours=1)) == 0
    assert sweep(after=timedelta(hours=2)) == 0

    assert len(fake_openai.structured_requests) == 1
    assert SAID in said(call)
    assert sweep(after=TRANSCRIPT_KEPT_FOR_SUMMARY + timedelta(minutes=1)) == 1
    assert said(call) == [] and Call.objects.get(pk=call.pk).summarized_at is None


def test_the_sweep_asks_for_the_summary_of_a_call_twilio_never_closed(shop, fake_openai, settings):
    """Twilio's final status never came (`ended_at` empty) and the summary task was lost: once the call
    is older than any call can last plus the task's retry window, the summary is asked for again."""
    fake_openai.structured = [JsonReply(SUMMARY)]
    call = a_call(shop)
    started = (
        timezone.now() - timedelta(seconds=settings.VOICE_MAX_CALL_SECONDS) - call_summary_retry_window()
    )
    Call.objects.filter(pk=call.pk).update(ended_at=None, created_at=started - timedelta(minutes=1))

    assert sweep(after=timedelta(0)) == 0

    call.refresh_from_db()
    assert call.summary == SUMMARY["summary"] and said(call) == []
    assert len(fake_openai.structured_requests) == 1


def test_the_sweep_removes_the_words_a_summarised_call_still_has_at_once(shop, fake_openai):
    call = a_call(shop)
    Call.objects.filter(pk=call.pk).update(summary="Brakes.", summarized_at=timezone.now())

    assert calls_transcript_sweep() == 1

    call.refresh_from_db()
    assert said(call) == [] and call.summary == "Brakes."


def test_words_written_after_the_removal_go_too(shop, fake_openai):
    fake_openai.structured = [JsonReply(SUMMARY)]
    call = a_call(shop)
    ended(call)
    turn_record(call_id=call.pk, role="caller", text="And my name is Dana Reyes.")  # a late write

    assert call_transcript_policy_apply(call_id=call.pk) is True

    assert said(call) == []


def test_the_call_page_says_the_transcript_was_removed(shop, fake_openai):
    keeps("nothing")
    call = a_call(shop)
    ended(call)
    client = Client()
    client.force_login(User.objects.create_superuser("owner", "owner@example.com", "pw-12345678"))

    page = client.get(f"/admin/voice/call/{call.pk}/change/").content.decode()

    assert "Transcript removed: the caller asked not to be recorded" in page
    assert 'id="call-transcript"' not in page and "Dana Reyes" not in page


def test_the_call_page_of_an_ordinary_call_shows_the_transcript(shop, fake_openai):
    fake_openai.structured = [JsonReply(SUMMARY)]
    call = a_call(shop, objected=False)
    ended(call)
    client = Client()
    client.force_login(User.objects.create_superuser("owner", "owner@example.com", "pw-12345678"))

    page = client.get(f"/admin/voice/call/{call.pk}/change/").content.decode()

    assert 'id="call-transcript"' in page and "Dana Reyes" in page and "Transcript removed" not in page


def test_the_owner_sets_the_policy_on_the_shop_page(shop):
    client = Client()
    client.force_login(User.objects.create_superuser("owner", "owner@example.com", "pw-12345678"))
    page = client.get(f"/admin/scheduling/shop/{shop.pk}/change/").content.decode()

    assert "When a caller objects to recording" in page
    assert "keep only the summary and outcome" in page and "keep nothing of what was said" in page
