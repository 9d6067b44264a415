"""The agent's voice on a realtime call: audio to Twilio, barge-in, and fixed lines.

The model's µ-law goes to Twilio as it arrives (`session.play`, Twilio label = the item id), so the
marks tell how much of each item the caller heard. Barge-in (speech_started while agent audio is
pending, outside an uninterruptible line): Twilio `clear`, the response cancelled (unless the
server's own turn detection already cancels it, which is the case with `interrupt_response` on),
and each cut item truncated to what was heard, clamped to the audio the model generated, so the
model forgets what the caller never heard. A line's `then` (hang up, transfer) runs once its last
item was heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from integrations.errors import ProviderError
from integrations.realtime import AgentTranscriptDelta, AgentTranscriptDone, AudioDelta, RealtimeSession
from voice.engines.realtime.responses import GREETING, Response
from voice.engines.realtime.turns import AgentItem

if TYPE_CHECKING:
    from voice.engines.realtime.call import RealtimeCall
    from voice.engines.realtime.response_queue import ResponseQueue


class AgentVoice:
    """The agent's audio items (by item id, across sessions) and whether the greeting was heard."""

    def __init__(self, call: RealtimeCall, queue: ResponseQueue):
        self._call = call
        self._session = call.session
        self._connection = call.connection
        self._queue = queue
        self._items: dict[str, AgentItem] = {}
        self.greeted = False  # the greeting (its disclosure) was heard

    def _item(self, item_id: str, response: Response) -> AgentItem:
        item = self._items.get(item_id)
        if item is None:
            rt = self._connection.rt
            assert rt is not None
            item = AgentItem(item_id, response, len(response.items), self._session, rt)
            item.wait = self._call.timings.heard_wait + 5.0
            response.items.append(item)
            self._items[item_id] = item
            self._call.turns.add(item)
        return item

    async def audio(self, event: AudioDelta) -> None:
        response = self._queue.response(event.response_id)
        if response is None:
            return  # a late piece of a response already done
        item = self._item(event.item_id, response)
        item.audio_bytes += len(event.audio)
        if item.first_audio_at is None:
            item.first_audio_at = event.received_at
        if response.first_delta_at is None:
            response.first_delta_at = event.received_at
        if response.cut or item.audio_done or self._call.actions.ended:
            return
        played = await self._session.play(event.audio, label=item.item_id, final=False)
        if played and item.first_sent_at is None:
            item.first_sent_at = time.monotonic()

    def text(self, event: AgentTranscriptDelta) -> None:
        item = self._items.get(event.item_id)
        if item is None and self._queue.active is not None:
            item = self._item(event.item_id, self._queue.active)
        if item is None:
            return
        item.parts.append(event.text)
        if item.response.first_delta_at is None:
            item.response.first_delta_at = event.received_at

    def transcript(self, event: AgentTranscriptDone) -> None:
        if (item := self._items.get(event.item_id)) is not None:
            item.text_final(event.text)

    async def audio_done(self, item_id: str) -> None:
        if (item := self._items.get(item_id)) is not None:
            await self._finish_item(item)

    async def finish_response(self, response: Response) -> None:
        """No more of `response` comes (it is done, or its session is gone)."""
        for item in response.items:
            await self._finish_item(item)
            item.text_final()  # the transcript's own done event came first, or never will

    async def _finish_item(self, item: AgentItem) -> None:
        """No more audio comes for `item`: end its utterance and learn (in a task) whether it was heard."""
        if item.audio_done:
            return
        item.audio_done = True
        utterance = self._session.utterance(item.item_id)
        if item.response.cut and (utterance is None or not utterance.final):
            item.heard_is(False)
        elif utterance is None:
            item.heard_is(True)  # no audio: nothing to hear
        else:
            if not utterance.final:
                await self._session.play(b"", label=item.item_id, final=True)
            self._call.tasks.spawn(self._until_heard(item))

    async def _until_heard(self, item: AgentItem) -> None:
        heard_wait = self._call.timings.heard_wait
        item.heard_is(await self._session.wait_until_heard(item.item_id, max_wait=heard_wait))

    # --- barge-in -------------------------------------------------------------------------------------

    async def cut(
        self, rt: RealtimeSession, *, cancel: bool, force: bool = False, barge_in: bool = False
    ) -> None:
        """Stop the agent: the active response (unless it is an uninterruptible line and not
        `force`), Twilio's buffered audio, and the model's memory of what was not heard."""
        response = self._queue.active
        if response is not None and response.protected and not force:
            return
        if response is not None:
            response.cut = True
        cut = await self._session.interrupt(barge_in=barge_in) if self._session.audio_pending else {}
        if cancel and response is not None:
            with contextlib.suppress(ProviderError):
                await rt.cancel_response()  # "not active" is fine: it may have just finished
        heard = {label: utterance.heard_ms for label, utterance in cut.items()}
        for item in response.items if response is not None else ():
            # Audio generated but not (yet) sent when the response was cut was never heard either.
            utterance = self._session.utterance(item.item_id)
            played = utterance.heard_ms if utterance is not None else 0
            if item.item_id not in heard and played < rt.audio_ms(item.item_id):
                heard[item.item_id] = played
        for label, heard_ms in heard.items():
            item = self._items.get(label)
            if item is None or item.rt is not rt:
                continue  # not this session's item (it was replaced after a drop)
            with contextlib.suppress(ProviderError):
                await rt.truncate(label, min(heard_ms, rt.audio_ms(label)))

    # --- fixed lines ----------------------------------------------------------------------------------

    async def after_line(self, response: Response) -> None:
        """A line was said: once it is heard, record the disclosure, lift its protection, run `then`."""
        request = response.request
        assert request is not None and request.line is not None
        heard = bool(response.items) and not response.cut
        if heard:
            heard_wait = self._call.timings.heard_wait
            heard = await self._session.wait_until_heard(response.last_label, max_wait=heard_wait)
        if request.kind == GREETING and heard:
            self.greeted = True
            self._call.recorder.consent("disclosed")
        await self._queue.lift_protection(request)
        if request.line.then is not None and heard:
            await asyncio.shield(self._call.tasks.guard(request.line.then()))
        await self._queue.ask_next()
