"""The events of one provider socket, read by a background task, ending cleanly or with the
ProviderError that ended them. Shared by the Deepgram and OpenAI Realtime adapters."""

import asyncio

from integrations.errors import ProviderError


class End:
    """Queue marker: the socket closed because we asked it to."""


class EventStream[E]:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[E | End | ProviderError] = asyncio.Queue()
        self.terminal: End | ProviderError | None = None

    def put(self, item: "E | End | ProviderError") -> None:
        self._queue.put_nowait(item)

    def discard(self, kind: type) -> None:
        """Drop queued events of `kind` (e.g. audio made stale by a barge-in), keeping the rest in order."""
        kept = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if not isinstance(item, kind):
                kept.append(item)
        for item in kept:
            self._queue.put_nowait(item)

    async def next(self) -> E:
        """The next event; StopAsyncIteration after a clean end, the ProviderError after a failure."""
        if self.terminal is None:
            item = await self._queue.get()
            if not isinstance(item, End | ProviderError):
                return item
            self.terminal = item
        if isinstance(self.terminal, ProviderError):
            raise self.terminal
        raise StopAsyncIteration
