"""Back office for calls: a read-only record of each call (transcript, tools, latency) and the
messages taken for advisors, which they mark handled."""

import json
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, QuerySet, Value, When
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from unfold.admin import ModelAdmin

from dealership.core.admin_ordering import UsualOrderNote
from dealership.core.badges import Kind, badge
from dealership.core.display import answered_by, phone, shop_when
from dealership.core.parsing import small_int
from insights.list_filters import AskedForAppointmentFilter, CallbackFromTestCallFilter, RangFilter
from scheduling.shop import shop_get
from voice.admin_live import live_board_view, take_over_context, take_over_view
from voice.agent.language import language_name
from voice.browser_calls.views import test_call_view
from voice.models import Call, CallbackRequest
from voice.recordings.player import LISTEN, recording_audio
from voice.recordings.services import recording_playable, recordings_delete_by_hand
from voice.services import callback_request_mark_handled
from voice.summaries import SUMMARY_FIELDS
from voice.takeover import call_is_live

# The theme's link colour (unfold colours its own links in read-only fields, not those we write).
_LINK = "text-primary-600 dark:text-primary-500"


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def call_title(call: Call) -> str:
    """ "Inbound call from (312) 555-0101, Sun Dec 6, 7:42 PM": how the back office names a call (page
    title, breadcrumb, links). Not Call.__str__: that must stay free of the database and of phone
    numbers (it may end up in a log or a traceback, also in the async call path)."""
    number = call.from_number if call.direction == Call.Direction.INBOUND else call.to_number
    side = "from" if call.direction == Call.Direction.INBOUND else "to"
    who = f" {side} {phone(number)}" if number else ""
    when = call.started_at or call.created_at
    return f"{call.get_direction_display()} call{who}" + (f", {shop_when(when)}" if when else "")


# How a call's urgency reads in lists: a safety issue in red, "soon" in amber, routine muted.
_URGENCY: dict[str, tuple[str, Kind]] = {
    Call.Urgency.SAFETY: ("Safety", "danger"),
    Call.Urgency.SOON: ("Soon", "warning"),
    Call.Urgency.ROUTINE: ("Routine", ""),
}


def urgency_badge(urgency: str) -> SafeString | str:
    """The call's urgency as a label ("" when the call has none yet)."""
    if urgency not in _URGENCY:
        return ""
    text, kind = _URGENCY[urgency]
    return badge(text, kind)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


class TestCallFilter(admin.SimpleListFilter):
    """Test calls (placed from the test-call page) are left out of the list unless asked for."""

    title = "test calls"
    parameter_name = "is_test"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Only test calls"), ("all", "Real and test calls")]

    def choices(self, changelist: Any) -> list[dict[str, Any]]:
        choices = list(super().choices(changelist))
        choices[0]["display"] = "Real calls only"  # Django's "All" is, here, the default without tests
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Call]) -> QuerySet[Call]:
        if self.value() == "yes":
            return queryset.test()
        if self.value() == "all":
            return queryset
        return queryset.real()


@admin.register(Call)
class CallAdmin(ModelAdmin):
    # Direction and the number called are filters and on the call page: the list fits 1366 px.
    list_display = (
        "started_at",  # when the call rang, not when its row was written (the demo loads rows at once)
        "caller",
        "language_shown",
        "customer",
        "status_shown",
        "outcome_shown",
        "urgency_shown",
        "follow_up",
        "short_summary",
    )
    # started_at: Today links to "calls in the last hours" (started_at__gte), which needs a filter on it.
    list_filter = (
        TestCallFilter,
        "direction",
        "status",
        "outcome",
        "urgency",
        "follow_up_needed",
        "language",
        "engine",
        ("started_at", admin.DateFieldListFilter),
        # The dashboard's figures link here with these (insights.calls holds the expressions).
        RangFilter,
        AskedForAppointmentFilter,
    )
    list_select_related = ("customer",)
    # When the call rang, newest first (created_at is when the row was written: the demo loads rows at once);
    # a call that never rang (no started_at) last.
    ordering = (F("started_at").desc(nulls_last=True), "-pk")
    search_fields = ("call_sid", "from_number", "to_number", "customer__name", "summary")
    date_hierarchy = "created_at"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "call_sid",
                    "direction",
                    "from_shown",
                    "to_shown",
                    "customer",
                    "language_full",
                    "engine",
                    "test_call_shown",
                )
            },
        ),
        (
            "Summary",
            {"fields": (*SUMMARY_FIELDS, "summarized_at")},
        ),
        (
            "How it went",
            {
                "fields": (
                    "status",
                    "outcome",
                    "answered_by_shown",
                    "recording_consent",
                    "started_shown",
                    "ended_shown",
                    "duration_seconds",
                    "last_error",
                )
            },
        ),
        ("Transcript", {"fields": ("transcript",)}),
        ("Hand-off to an advisor", {"fields": ("handoffs_shown",)}),
        ("Tools used", {"fields": ("tools_used",)}),
        ("Latency per turn (ms)", {"fields": ("latency",)}),
        ("Take-overs", {"fields": ("take_overs",)}),
    )
    readonly_fields = (
        "from_shown",
        "to_shown",
        "test_call_shown",
        "language_full",
        "answered_by_shown",
        "started_shown",
        "ended_shown",
        "transcript",
        "handoffs_shown",
        "tools_used",
        "latency",
        "take_overs",
        "recording",
    )
    actions = ("delete_recordings",)

    def get_fieldsets(self, request: HttpRequest, obj: Call | None = None):  # type: ignore[no-untyped-def]
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.has_perm(LISTEN):
            return fieldsets
        return (fieldsets[0], ("Recording", {"fields": ("recording",)}), *fieldsets[1:])

    def get_urls(self) -> list[URLPattern]:
        board = self.admin_site.admin_view(lambda request: live_board_view(request, model_admin=self))
        test_call = self.admin_site.admin_view(lambda request: test_call_view(request, model_admin=self))
        own = [
            path("live/", board, name="voice_call_live"),
            path("test-call/", test_call, name="voice_call_test_call"),
            path(
                "<path:object_id>/recording/",
                self.admin_site.admin_view(recording_audio),
                name="voice_call_recording",
            ),
            path(
                "<str:object_id>/take-over/",
                self.admin_site.admin_view(
                    lambda request, object_id: take_over_view(request, object_id, model_admin=self)
                ),
                name="voice_call_take_over",
            ),
        ]
        return own + super().get_urls()  # before "<object_id>/", which would swallow "live/" and "test-call/"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> Any:
        # The take-over panel (admin/voice/call/change_form.html) shows while the call is in progress.
        live = object_id.isdigit() and call_is_live(call_id=int(object_id))
        extra = {"call_live": live, **(take_over_context(request) if live else {})}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Call | None:
        call = super().get_object(request, object_id, from_field)
        if call is not None:
            # The page's title and breadcrumb print the object (Call.__str__ reads this when set).
            call.display_title = call_title(call)
        return call

    @admin.display(description="From")
    def from_shown(self, call: Call) -> str:
        return phone(call.from_number) or "—"

    @admin.display(description="To")
    def to_shown(self, call: Call) -> str:
        return phone(call.to_number) or "—"

    @admin.display(description="Test call")
    def test_call_shown(self, call: Call) -> str:
        # Plain words: a red cross on every real call read as an error.
        return "Yes, placed from the test-call page" if call.is_test else "No"

    @admin.display(description="Language")
    def language_full(self, call: Call) -> str:
        return language_name(call.language) if call.language else "—"

    @admin.display(description="Answered by")
    def answered_by_shown(self, call: Call) -> str:
        return answered_by(call.answered_by)

    @admin.display(description="Started at")
    def started_shown(self, call: Call) -> str:
        return shop_when(call.started_at) or "—"

    @admin.display(description="Ended at")
    def ended_shown(self, call: Call) -> str:
        return shop_when(call.ended_at) or "—"

    @admin.display(description="Take-overs")
    def take_overs(self, call: Call) -> SafeString:
        controls = call.controls.select_related("user")
        return render_to_string("voice/admin/take_overs.html", {"controls": controls})

    @admin.display(description="Recording")
    def recording(self, call: Call) -> SafeString:
        playable = recording_playable(call_id=call.pk)
        keep_until = (
            playable.created_at + timedelta(days=shop_get().recording_retention_days) if playable else None
        )
        return render_to_string(
            "voice/admin/recording.html",
            {
                "playable": playable,
                "latest": call.recordings.select_related("deleted_by").first(),
                "audio_url": reverse("admin:voice_call_recording", args=[call.pk]),
                "keep_until": keep_until,
            },
        )

    def has_delete_recording_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("voice.delete_recording")

    @admin.action(description="Delete the recordings of selected calls", permissions=["delete_recording"])
    def delete_recordings(self, request: HttpRequest, queryset: QuerySet[Call]) -> None:
        deleted = recordings_delete_by_hand(
            call_ids=list(queryset.values_list("pk", flat=True)), user=request.user
        )
        self.message_user(request, f"{deleted} recording(s) deleted.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False

    # Capitalised like the labels beside them: "Message taken" next to "Booked", not "message taken".
    @admin.display(description="status", ordering="status")
    def status_shown(self, call: Call) -> str:
        return capfirst(call.get_status_display())

    @admin.display(description="outcome", ordering="outcome")
    def outcome_shown(self, call: Call) -> str:
        return capfirst(call.get_outcome_display())

    @admin.display(description="urgency", ordering="urgency")
    def urgency_shown(self, call: Call) -> SafeString | str:
        return urgency_badge(call.urgency)

    @admin.display(description="follow-up", ordering="follow_up_needed")
    def follow_up(self, call: Call) -> str:
        # A word only where someone must act: a red cross on every other row read as an error.
        return "Yes" if call.follow_up_needed else ""

    @admin.display(description="Summary")
    def short_summary(self, call: Call) -> str:
        return _short(call.summary, 70)

    @admin.display(description="from", ordering="from_number")
    def caller(self, call: Call) -> str:
        return phone(call.from_number)

    @admin.display(description="language", ordering="language")
    def language_shown(self, call: Call) -> str:
        # Only where it is not English: the summary is English either way, the callback may not be.
        return language_name(call.language) if call.language not in ("", "en") else ""

    @admin.display(description="to", ordering="to_number")
    def called(self, call: Call) -> str:
        return phone(call.to_number)

    @admin.display(description="Transcript")
    def transcript(self, call: Call) -> SafeString:
        return render_to_string(
            "voice/admin/transcript.html",
            {
                "turns": call.turns.all(),
                "removed_at": call.transcript_removed_at,
                "removed_reason": call.transcript_removed_reason,
            },
        )

    @admin.display(description="Warm transfers")
    def handoffs_shown(self, call: Call) -> SafeString | str:
        """Each warm transfer: when, to whom, what the advisor heard and how it ended."""
        lines = [
            (
                f"{shop_when(h.created_at)} to {phone(h.number)}: {h.get_result_display()}"
                f'{" (accepted)" if h.accepted_at else ""}. Whisper: "{h.summary}"'
                f"{f' Callback request #{h.callback_request_id}.' if h.callback_request_id else ''}",
            )
            for h in call.handoffs.all()
        ]
        return format_html_join("", "<div>{}</div>", lines) if lines else "None"

    @admin.display(description="Tool calls")
    def tools_used(self, call: Call) -> SafeString:
        tool_calls = list(call.tool_calls.select_related("turn"))
        for tool in tool_calls:
            tool.arguments_json = _pretty(tool.arguments)  # type: ignore[attr-defined]
            tool.result_json = _pretty(tool.result)  # type: ignore[attr-defined]
        return render_to_string("voice/admin/tool_calls.html", {"tool_calls": tool_calls})

    @admin.display(description="Latency")
    def latency(self, call: Call) -> SafeString:
        turns = [
            turn
            for turn in call.turns.all()
            if any(
                v is not None
                for v in (turn.stt_ms, turn.llm_first_token_ms, turn.tts_first_byte_ms, turn.response_ms)
            )
        ]
        return render_to_string("voice/admin/latency.html", {"turns": turns})


@admin.register(CallbackRequest)
class CallbackRequestAdmin(UsualOrderNote, ModelAdmin):
    usual_order = (
        "Open messages first, urgent ones on top, then the longest waiting; handled ones after, newest first."
    )
    sortable_by = ("created_at", "urgent_shown", "caller", "handled_shown")
    list_display = (
        "created_at",
        "urgent_shown",
        "caller",
        "phone_display",
        "short_reason",
        "call_summary",
        "handled_shown",
    )
    list_filter = ("handled", "urgent", CallbackFromTestCallFilter)
    # Open first; among them urgent first, then the longest waiting (as on Today). Handled ones after,
    # the newest first: the one just dealt with is the one looked for.
    ordering = (
        "handled",
        Case(When(handled=False, urgent=True, then=Value(0)), default=Value(1)).asc(),
        Case(When(handled=False, then=F("created_at"))).asc(nulls_last=True),
        F("created_at").desc(),
        "-pk",
    )
    list_select_related = ("customer", "handled_by", "call")
    search_fields = ("name", "phone", "reason", "customer__name")
    fields = (
        "urgent",
        "call_link",
        "call_summary",
        "customer",
        "phone_link",
        "name",
        "reason",
        "created_at",
        "handled_shown",
        "handled_by",
        "handled_at",
    )
    readonly_fields = (
        "call_link",
        "call_summary",
        "customer",
        "phone_link",
        "name",
        "reason",
        "created_at",
        "handled_shown",
        "handled_by",
        "handled_at",
    )
    actions = ("mark_handled",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/mark-handled/",
                self.admin_site.admin_view(self.mark_handled_view),
                name="voice_callbackrequest_mark_handled",
            )
        ]
        return own + super().get_urls()  # before "<path:object_id>/", which would swallow it

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> Any:
        # The page's "Mark handled" button: for those the list action is offered to (change permission).
        extra = {"can_mark_handled": self.has_change_permission(request)}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> CallbackRequest | None:
        message = super().get_object(request, object_id, from_field)
        if message is not None:
            # The page's title and breadcrumb print the object: the number as the advisor dials it.
            who = message.customer.name if message.customer else message.name
            message.display_title = f"Callback for {who or phone(message.phone) or 'unknown caller'}"
        return message

    def mark_handled_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: the page's "Mark handled" button, the list action for one message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        pk = small_int(object_id, max_digits=18)
        if pk is None or not CallbackRequest.objects.filter(pk=pk).exists():
            return HttpResponseNotFound("No such message.")
        changed = callback_request_mark_handled(request_ids=[pk], user=request.user)
        messages.success(request, "Marked handled." if changed else "This message was already handled.")
        # 303: the browser GETs the page again (a reload does not post twice).
        return HttpResponseRedirect(reverse("admin:voice_callbackrequest_change", args=[pk]), status=303)

    @admin.display(description="urgent", ordering="urgent")
    def urgent_shown(self, obj: CallbackRequest) -> SafeString | str:
        # A word only where it is urgent: a red cross on every other row read as an error.
        return badge("Urgent", "danger") if obj.urgent else ""

    @admin.display(description="handled", ordering="handled")
    def handled_shown(self, obj: CallbackRequest) -> SafeString:
        # "Open" in amber (someone still has to call back), "Handled" muted: a red cross read as an error.
        return badge("Handled") if obj.handled else badge("Open", "warning")

    @admin.display(description="Phone to call back")
    def phone_link(self, obj: CallbackRequest) -> SafeString | str:
        if not obj.phone:
            return "—"
        return format_html('<a href="tel:{}" class="{}">{}</a>', obj.phone, _LINK, phone(obj.phone))

    @admin.display(description="Call")
    def call_link(self, obj: CallbackRequest) -> SafeString | str:
        if obj.call is None:
            return "—"
        url = reverse("admin:voice_call_change", args=[obj.call_id])
        return format_html('<a href="{}" class="{}">{}</a>', url, _LINK, call_title(obj.call))

    @admin.display(description="caller", ordering="name")
    def caller(self, obj: CallbackRequest) -> str:
        # The customer on file when known, else the name the caller gave (one column: the list fits),
        # with the language of the call when it was not English (call them back in it).
        name = obj.customer.name if obj.customer else (obj.name or "—")
        language = obj.call.language if obj.call is not None else ""
        return f"{name} ({language_name(language)})" if language not in ("", "en") else name

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, obj: CallbackRequest) -> str:
        return phone(obj.phone)

    @admin.display(description="Message")
    def short_reason(self, obj: CallbackRequest) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description="Call summary")
    def call_summary(self, obj: CallbackRequest) -> SafeString | str:
        """What the call was about (voice.summaries), so the advisor knows before calling back, with the
        call's urgency as a label after it."""
        if obj.call is None or not obj.call.summary:
            return "—"
        return format_html("{} {}", obj.call.summary, urgency_badge(obj.call.urgency))

    @admin.action(description="Mark selected messages handled", permissions=["change"])
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[CallbackRequest]) -> None:
        changed = callback_request_mark_handled(
            request_ids=list(queryset.values_list("pk", flat=True)), user=request.user
        )
        self.message_user(request, f"{changed} message(s) marked handled.", messages.SUCCESS)


# Registers the take-over models' admins and the on-duty rota's.
from voice import admin_duty, admin_takeover  # noqa: E402, F401
