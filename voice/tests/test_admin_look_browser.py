"""The call pages as an advisor sees them in a real browser: tables with room between columns, a quiet
way back from the live board, and no microphone warning where the browser gives the microphone."""

from datetime import UTC, datetime

from django.urls import reverse

from tests.browser import admin_page  # noqa: F401
from voice.models import Call
from voice.services import tool_call_record, turn_record

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_the_call_pages_look_right(admin_page, customer):  # noqa: F811
    call = Call.objects.create(call_sid="CA" + "7" * 32, from_number=customer.phone, started_at=T0)
    turn = turn_record(call_id=call.pk, role="caller", text="Oil change Tuesday?", started_at=T0, stt_ms=231)
    tool_call_record(
        call_id=call.pk, turn_id=turn.pk, name="check_availability", arguments={}, result={}, success=True
    )

    admin_page.goto(reverse("admin:voice_call_change", args=[call.pk]))
    for table in ("#call-transcript", "#call-tool-calls", "#call-latency"):
        padding = admin_page.eval_on_selector(f"{table} th", "th => getComputedStyle(th).paddingLeft")
        assert padding != "0px", f"{table}: header cells run together"

    admin_page.goto(reverse("admin:voice_call_live"))
    link, muted = (
        admin_page.eval_on_selector(selector, "e => getComputedStyle(e).color")
        for selector in ("a.live-all-calls", "#live-status")
    )
    assert link == muted  # grey like the status beside it, not the theme's purple of a selected tab

    admin_page.goto(reverse("admin:voice_call_test_call"))
    assert admin_page.is_hidden("#test-call-insecure")  # localhost: the browser gives the microphone
