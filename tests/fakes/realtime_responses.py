"""What the fake Realtime server says: scripted response parts and the GA event stream of a response.

A response is a list of parts: `Say(text)` (an assistant audio message with its transcript) and
`CallFunction(name, args)` (a function call item). `stream_response` sends the events the real API
sends for them, in its order, and stops early when `response.cancel_reason` is set (a client
`response.cancel` or a barge-in), ending with `response.done` status "cancelled".
"""

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

BYTES_PER_MS = 8  # µ-law, 8 kHz, one byte per sample

Send = Callable[[dict[str, Any]], Awaitable[None]]


def fake_audio(ms: int) -> bytes:
    """`ms` of deterministic fake µ-law (what the fake streams; compare against what a client got)."""
    return bytes(i % 251 for i in range(ms * BYTES_PER_MS))


@dataclass
class Say:
    """An assistant audio message: `ms_per_word` ms of audio per word of `text`, with its transcript."""

    text: str
    item_id: str | None = None
    ms_per_word: int = 200


@dataclass
class CallFunction:
    """A function call item; `arguments` may be a dict (sent as JSON) or a raw string."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None


Part = Say | CallFunction


@dataclass
class Response:
    """One response as the fake produced it; `status` is final once `finished`."""

    id: str
    parts: list[Part]
    item_ids: list[str] = field(default_factory=list)
    status: str = "in_progress"
    reason: str | None = None
    finished: bool = False
    cancel_reason: str | None = None


@dataclass
class ResponseStream:
    """Streams one response. `items_audio_ms` (shared with the session) counts audio sent per item:
    the truncate check reads it."""

    send: Send
    new_id: Callable[[str], str]
    items_audio_ms: dict[str, int]
    chunk_ms: int = 20
    chunk_interval: float = 0.002

    async def run(self, response: Response) -> None:
        output: list[dict[str, Any]] = []
        await self.send({"type": "response.created", "response": response_object(response, [])})
        for index, part in enumerate(response.parts):
            if response.cancel_reason:
                break
            if isinstance(part, Say):
                output.append(await self._say(response, index, part))
            else:
                output.append(await self._function_call(response, index, part))
        if response.cancel_reason:
            response.status, response.reason = "cancelled", response.cancel_reason
        else:
            response.status = "completed"
        await self.send({"type": "response.done", "response": response_object(response, output)})

    async def _say(self, response: Response, index: int, part: Say) -> dict[str, Any]:
        item_id = part.item_id or self.new_id("item")
        response.item_ids.append(item_id)
        self.items_audio_ms[item_id] = 0
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        head = {"response_id": response.id, "output_index": index}
        where = {**head, "item_id": item_id, "content_index": 0}
        await self.send({"type": "response.output_item.added", **head, "item": item})
        said: list[str] = []
        step = self.chunk_ms * BYTES_PER_MS
        for word in part.text.split():
            if response.cancel_reason:
                break
            delta = f" {word}" if said else word
            said.append(word)
            await self.send({"type": "response.output_audio_transcript.delta", **where, "delta": delta})
            audio = fake_audio(part.ms_per_word)
            for offset in range(0, len(audio), step):
                if response.cancel_reason:
                    break
                chunk = audio[offset : offset + step]
                encoded = base64.b64encode(chunk).decode()
                await self.send({"type": "response.output_audio.delta", **where, "delta": encoded})
                self.items_audio_ms[item_id] += len(chunk) // BYTES_PER_MS
                await asyncio.sleep(self.chunk_interval)
        transcript = " ".join(said)
        await self.send({"type": "response.output_audio.done", **where})
        await self.send({"type": "response.output_audio_transcript.done", **where, "transcript": transcript})
        item["status"] = "incomplete" if response.cancel_reason else "completed"
        item["content"] = [{"type": "output_audio", "transcript": transcript}]
        await self.send({"type": "response.output_item.done", **head, "item": item})
        return item

    async def _function_call(self, response: Response, index: int, part: CallFunction) -> dict[str, Any]:
        item_id, call_id = self.new_id("item"), part.call_id or self.new_id("call")
        response.item_ids.append(item_id)
        arguments = part.arguments if isinstance(part.arguments, str) else json.dumps(part.arguments)
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "name": part.name,
            "call_id": call_id,
            "arguments": "",
        }
        head = {"response_id": response.id, "output_index": index}
        where = {**head, "item_id": item_id, "call_id": call_id}
        await self.send({"type": "response.output_item.added", **head, "item": item})
        await self.send({"type": "response.function_call_arguments.delta", **where, "delta": arguments})
        await self.send(
            {
                "type": "response.function_call_arguments.done",
                **where,
                "name": part.name,
                "arguments": arguments,
            }
        )
        item.update(status="completed", arguments=arguments)
        await self.send({"type": "response.output_item.done", **head, "item": item})
        return item


def response_object(response: Response, output: list[dict[str, Any]]) -> dict[str, Any]:
    details: dict[str, Any] | None = None
    if response.status == "cancelled":
        details = {"type": "cancelled", "reason": response.reason}
    elif response.status == "completed":
        details = {"type": "completed", "reason": None}
    return {
        "id": response.id,
        "object": "realtime.response",
        "status": response.status,
        "status_details": details,
        "output": output,
        "output_modalities": ["audio"],
        "usage": None,
    }
