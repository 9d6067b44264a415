from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from voice.models import Call, CallbackRequest
from voice.services import callback_request_create, tool_call_record, turn_record

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def call_with_transcript(db, customer) -> Call:
    call = Call.objects.create(
        call_sid="CA" + "5" * 32,
        from_number=customer.phone,
        customer=customer,
        status=Call.Status.COMPLETED,
        outcome=Call.Outcome.BOOKED,
        duration_seconds=95,
    )
    turn_record(call_id=call.pk, role="agent", text="Thanks for calling Lakeside Auto.", started_at=T0)
    caller = turn_record(
        call_id=call.pk,
        role="caller",
        text="Can I get an oil change Tuesday?",
        started_at=T0,
        stt_ms=231,
    )
    turn_record(
        call_id=call.pk,
        role="agent",
        text="Tuesday at nine works. Shall I also rotate the tires while it is in?",
        started_at=T0,
        interrupted=True,
        heard_text="Tuesday at nine works.",
        llm_first_token_ms=412,
        tts_first_byte_ms=187,
        response_ms=1034,
    )
    tool_call_record(
        call_id=call.pk,
        turn_id=caller.pk,
        name="check_availability",
        arguments={"service_type": "oil_change", "preferred_date": "2026-11-24"},
        result={"available": True},
        success=True,
        duration_ms=48,
    )
    return call


def test_the_call_page_shows_a_readable_transcript(admin_client, call_with_transcript):
    response = admin_client.get(reverse("admin:voice_call_change", args=[call_with_transcript.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Thanks for calling Lakeside Auto." in page
    assert "Can I get an oil change Tuesday?" in page
    assert "Interrupted." in page
    assert "Caller heard: “Tuesday at nine works.”" in page


def test_the_call_page_lists_tool_calls_and_latency(admin_client, call_with_transcript):
    page = admin_client.get(
        reverse("admin:voice_call_change", args=[call_with_transcript.pk])
    ).content.decode()

    assert "check_availability" in page
    assert "&quot;preferred_date&quot;: &quot;2026-11-24&quot;" in page
    for figure in ("231", "412", "187", "1034", "48"):
        assert f"<td>{figure}</td>" in page


def test_the_call_page_reads_like_a_page_for_people(admin_client, call_with_transcript):
    """Titled by who called and when (not the Twilio SID), national numbers, shop times without seconds,
    tables the theme styles, and no red cross for "not a test call"."""
    Call.objects.filter(pk=call_with_transcript.pk).update(started_at=T0, to_number="+13125550100")

    page = admin_client.get(
        reverse("admin:voice_call_change", args=[call_with_transcript.pk])
    ).content.decode()

    title = "Inbound call from (312) 555-0147, Fri Nov 20, 9:00 AM"  # 15:00 UTC in Chicago
    assert f"<title> {title} |" in page
    breadcrumb = page.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert title in breadcrumb and call_with_transcript.call_sid not in breadcrumb
    content = page.split('id="content-main"', 1)[1]
    assert "(312) 555-0100" in content and "+13125550147" not in content
    assert "9:00 AM" in content and "9:00:00" not in content
    for table in ("call-transcript", "call-tool-calls", "call-latency"):
        assert '<table class="desk-table' in content.split(f'id="{table}"')[0][-60:]
    test_call = content.split(">Test call<", 1)[1][:600]
    assert "No" in test_call and "close" not in test_call and "<svg" not in test_call


def test_call_str_stays_free_of_phone_numbers_outside_the_admin(call_with_transcript):
    call = Call.objects.get(pk=call_with_transcript.pk)
    assert str(call) == f"Inbound call {call.call_sid}"


def test_calls_are_read_only(admin_client, call_with_transcript):
    url = reverse("admin:voice_call_change", args=[call_with_transcript.pk])

    admin_client.post(url, {"outcome": "abandoned"})

    assert Call.objects.get(pk=call_with_transcript.pk).outcome == Call.Outcome.BOOKED
    assert admin_client.get(reverse("admin:voice_call_add")).status_code == 403


def test_the_call_list_shows_calls(admin_client, call_with_transcript):
    response = admin_client.get(reverse("admin:voice_call_changelist"))

    assert response.status_code == 200
    assert "Dana Whitfield" in response.content.decode()


def test_the_call_list_shows_the_latest_call_to_ring_first(admin_client, db):
    def call(sid: str, started_at: datetime | None) -> None:
        Call.objects.create(call_sid=sid, from_number="+13125550147", started_at=started_at, summary=sid)

    call("CA-rang-last", T0 + timedelta(hours=2))  # row written first (as the demo loads them)
    call("CA-never-rang", None)
    call("CA-rang-first", T0)

    page = admin_client.get(reverse("admin:voice_call_changelist")).content.decode()

    positions = [page.index(f">{sid}<") for sid in ("CA-rang-last", "CA-rang-first", "CA-never-rang")]
    assert positions == sorted(positions)


def test_advisors_mark_messages_handled(admin_client, admin_user, db):
    message = callback_request_create(phone="+13125550147", name="Dana", reason="Quote for brakes")

    response = admin_client.post(
        reverse("admin:voice_callbackrequest_changelist"),
        {"action": "mark_handled", "_selected_action": [message.pk]},
        follow=True,
    )

    message.refresh_from_db()
    assert response.status_code == 200
    assert message.handled
    assert message.handled_by == admin_user
    assert "1 message(s) marked handled." in response.content.decode()


def test_the_message_page_gives_the_number_to_dial_and_a_mark_handled_button(
    admin_client, admin_user, call_with_transcript
):
    Call.objects.filter(pk=call_with_transcript.pk).update(started_at=T0)
    message = callback_request_create(
        phone="+13125550147", name="Dana", reason="Quote for brakes", call_id=call_with_transcript.pk
    )
    url = reverse("admin:voice_callbackrequest_change", args=[message.pk])
    nameless = callback_request_create(phone="+13125550148", reason="Call me")

    content = admin_client.get(url).content.decode().split('id="content-main"', 1)[1]
    other = admin_client.get(reverse("admin:voice_callbackrequest_change", args=[nameless.pk])).content
    assert "<title> Callback for (312) 555-0148 |" in other.decode()

    assert '<a href="tel:+13125550147"' in content and ">(312) 555-0147</a>" in content
    assert ">Inbound call from (312) 555-0147, Fri Nov 20, 9:00 AM</a>" in content
    assert call_with_transcript.call_sid not in content
    assert "Mark handled" in content

    response = admin_client.post(reverse("admin:voice_callbackrequest_mark_handled", args=[message.pk]))

    message.refresh_from_db()
    assert response.status_code == 303 and response["Location"] == url
    assert message.handled and message.handled_by == admin_user
    page = admin_client.get(url).content.decode()
    assert "Marked handled." in page
    assert 'id="mark-handled"' not in page


def test_only_those_who_may_change_messages_mark_one_handled_from_its_page(client, db):
    from django.contrib.auth.models import Permission, User

    message = callback_request_create(phone="+13125550147", name="Dana", reason="Quote for brakes")
    viewer = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_callbackrequest"))
    client.force_login(viewer)

    page = client.get(reverse("admin:voice_callbackrequest_change", args=[message.pk])).content.decode()
    response = client.post(reverse("admin:voice_callbackrequest_mark_handled", args=[message.pk]))

    assert "Mark handled" not in page
    assert response.status_code == 403
    message.refresh_from_db()
    assert not message.handled


def test_the_message_list_puts_urgent_open_ones_first_and_the_newest_handled_ones_first(admin_client, db):
    names = ["Open old", "Open urgent", "Open new", "Handled old", "Handled new"]
    made = {name: callback_request_create(phone="+13125550147", name=name, reason="r") for name in names}
    CallbackRequest.objects.filter(pk=made["Open urgent"].pk).update(urgent=True)
    for i, name in enumerate(names):
        CallbackRequest.objects.filter(pk=made[name].pk).update(created_at=T0 + timedelta(minutes=i))
    CallbackRequest.objects.filter(name__startswith="Handled").update(handled=True)

    page = admin_client.get(reverse("admin:voice_callbackrequest_changelist")).content.decode()

    order = ["Open urgent", "Open old", "Open new", "Handled new", "Handled old"]
    positions = [page.index(f">{name}<") for name in order]
    assert positions == sorted(positions)
    assert page.count(">Urgent<") == 1  # a word on the urgent one, nothing (no red cross) on the others


def test_messages_can_be_filtered_by_handled(admin_client, db):
    callback_request_create(phone="+13125550147", name="Open One", reason="call me")
    done = callback_request_create(phone="+13125550148", name="Done One", reason="sorted")
    CallbackRequest.objects.filter(pk=done.pk).update(handled=True)

    page = admin_client.get(
        reverse("admin:voice_callbackrequest_changelist") + "?handled__exact=0"
    ).content.decode()

    assert "Open One" in page
    assert "Done One" not in page


@pytest.fixture
def summarised_calls(call_with_transcript) -> tuple[Call, Call]:
    Call.objects.filter(pk=call_with_transcript.pk).update(
        summary="Dana booked an oil change for Tuesday at nine. She declined a tire rotation.",
        reason_for_calling="oil change",
        vehicle_mentioned="2019 Honda Civic",
        urgency=Call.Urgency.ROUTINE,
        sentiment=Call.Sentiment.POSITIVE,
    )
    urgent = Call.objects.create(
        call_sid="CA" + "6" * 32,
        from_number="+13125550188",
        status=Call.Status.COMPLETED,
        summary="The caller's brakes failed on the highway. He wants a tow and a call back.",
        urgency=Call.Urgency.SAFETY,
        follow_up_needed=True,
        follow_up_reason="Brakes failed; arrange a tow.",
    )
    return call_with_transcript, urgent


def test_the_call_list_shows_summaries_and_filters_on_urgency_and_follow_up(admin_client, summarised_calls):
    listing = reverse("admin:voice_call_changelist")

    page = admin_client.get(listing).content.decode()
    assert "Dana booked an oil change for Tuesday at nine." in page
    assert "brakes failed on the highway" in page

    urgent_only = admin_client.get(listing, {"urgency__exact": "safety"}).content.decode()
    assert "brakes failed on the highway" in urgent_only
    assert "Dana booked an oil change" not in urgent_only

    to_follow_up = admin_client.get(listing, {"follow_up_needed__exact": "1"}).content.decode()
    assert "brakes failed on the highway" in to_follow_up
    assert "Dana booked an oil change" not in to_follow_up


def test_the_call_page_shows_the_summary_fields(admin_client, summarised_calls):
    _, urgent = summarised_calls
    page = admin_client.get(reverse("admin:voice_call_change", args=[urgent.pk])).content.decode()
    assert "The caller&#x27;s brakes failed on the highway." in page
    assert "Brakes failed; arrange a tow." in page
    assert "safety issue" in page


def test_a_callback_request_shows_its_calls_summary(admin_client, summarised_calls):
    _, urgent = summarised_calls
    message = callback_request_create(phone="+13125550188", reason="Call me back", call_id=urgent.pk)

    listing = admin_client.get(reverse("admin:voice_callbackrequest_changelist")).content.decode()
    # The urgency is a red label after the summary, not a bracket tag ("[safety issue]").
    assert (
        'brakes failed on the highway. He wants a tow and a call back. <span class="' in listing
        and 'data-badge="danger">Safety</span>' in listing
    )
    assert "[safety issue]" not in listing and "[Safety" not in listing
    page = admin_client.get(reverse("admin:voice_callbackrequest_change", args=[message.pk])).content.decode()
    assert "brakes failed on the highway" in page


def test_advisors_see_the_language_of_a_call_that_was_not_in_english(admin_client, summarised_calls):
    spanish, english = summarised_calls
    Call.objects.filter(pk=spanish.pk).update(language="es")
    english_message = callback_request_create(phone="+13125550188", reason="Call me back", call_id=english.pk)
    spanish_message = callback_request_create(
        phone=spanish.from_number, name="Dana Whitfield", reason="Llámeme", call_id=spanish.pk
    )
    listing = reverse("admin:voice_call_changelist")

    spanish_only = admin_client.get(listing, {"language": "es"}).content.decode()
    assert "Dana booked an oil change" in spanish_only and "Spanish" in spanish_only
    assert "brakes failed on the highway" not in spanish_only

    messages = admin_client.get(reverse("admin:voice_callbackrequest_changelist")).content.decode()
    assert "Dana Whitfield (Spanish)" in messages
    assert english_message.pk and spanish_message.pk and "(English)" not in messages


def test_open_and_handled_messages_read_as_words_not_a_red_cross(admin_client, db):
    callback_request_create(phone="+13125550147", name="Still open", reason="call me")
    done = callback_request_create(phone="+13125550148", name="Done already", reason="sorted")
    CallbackRequest.objects.filter(pk=done.pk).update(handled=True)

    page = admin_client.get(reverse("admin:voice_callbackrequest_changelist")).content.decode()

    assert 'data-badge="warning">Open</span>' in page
    assert 'data-badge="muted">Handled</span>' in page
    assert "close_small" not in page  # the theme's red cross for "no"
    # The usual order is said in words above the list, and no column claims it with a sort arrow.
    assert "Open messages first, urgent ones on top" in page
    assert " sorted " not in page and 'sorted"' not in page


def test_the_call_list_shows_urgency_as_a_label(admin_client, summarised_calls):
    page = admin_client.get(reverse("admin:voice_call_changelist")).content.decode()

    assert 'data-badge="danger">Safety</span>' in page
    assert 'data-badge="muted">Routine</span>' in page


def test_the_call_page_speaks_shop_words_not_engineering(admin_client, call_with_transcript):
    Call.objects.filter(pk=call_with_transcript.pk).update(answered_by="machine_end_beep")

    page = admin_client.get(
        reverse("admin:voice_call_change", args=[call_with_transcript.pk])
    ).content.decode()
    text = page.split('id="content-main"', 1)[1]

    assert "Answering machine (left after the beep)" in text
    assert "written by the AI after the call" in text
    assert "Calls and callbacks" in page  # the breadcrumb's app name, not "Voice"
    for jargon in ("LLM", "AMD", "TTS", "STT", "E.164", "machine_end_beep", "Call sid", ">Voice<"):
        assert jargon not in text, jargon
