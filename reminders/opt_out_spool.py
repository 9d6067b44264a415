"""A durable local record of every opt-out received, kept on disk beside the database.

A STOP texted while PostgreSQL (or the whole network) is down must not be lost, and Twilio cannot help:
its webhook budget is 15 s in all, retries included. So every opt-out is appended to a file first —
one JSON line, fsynced before the webhook answers — and applied to the database when it is back
(`reminders.services.opt_out_spool_apply`, idempotent). The file is append-only evidence; a second
file holds the byte offset up to which every entry has been applied.

`OPT_OUT_SPOOL_DIR` (settings) must be on persistent disk that the web process can write.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

SPOOL_NAME = "opt-outs.jsonl"
OFFSET_NAME = "opt-outs.applied"
LOCK_NAME = "opt-outs.lock"
_EPOCH = datetime.fromtimestamp(0, tz=UTC)


@dataclass(frozen=True)
class SpooledOptOut:
    phone: str
    word: str  # the keyword or words used
    message_sid: str
    at: datetime
    source: str
    end: int  # byte offset just after this entry's line
    channel: str = "sms"  # what they asked to stop: "sms" (a text) or "calls" (on a call)
    call_id: int | None = None
    customer_id: int | None = None


def spool_dir() -> Path:
    return Path(settings.OPT_OUT_SPOOL_DIR)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spool_append(
    *,
    phone: str,
    word: str,
    message_sid: str,
    at: datetime,
    source: str,
    channel: str = "sms",
    call_id: int | None = None,
    customer_id: int | None = None,
) -> None:
    """Append one opt-out and fsync it. Raises OSError when the disk refuses (the caller says so)."""
    folder = spool_dir()
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SPOOL_NAME
    entry: dict[str, object] = {
        "phone": phone,
        "word": word,
        "message_sid": message_sid,
        "at": at.isoformat(),
        "source": source,
    }
    if channel != "sms":
        entry["channel"] = channel
    if call_id is not None:
        entry["call_id"] = call_id
    if customer_id is not None:
        entry["customer_id"] = customer_id
    line = json.dumps(entry, separators=(",", ":"))
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = "\n" + line  # a writer died mid-line: never glue our entry onto its fragment
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
        if created or size == 0:
            _fsync_dir(folder)  # the new file's name must survive a crash too
    finally:
        os.close(fd)


def _applied_offset(folder: Path) -> int:
    try:
        return int((folder / OFFSET_NAME).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def spool_has_pending() -> bool:
    """Cheap (two stat calls): are there entries not yet applied?"""
    folder = spool_dir()
    try:
        size = (folder / SPOOL_NAME).stat().st_size
    except OSError:
        return False
    return size > _applied_offset(folder)


def spool_mark_applied(end: int) -> None:
    """Record that every entry before byte `end` is in the database (atomically: temp file + rename)."""
    folder = spool_dir()
    temporary = folder / (OFFSET_NAME + ".tmp")
    with open(temporary, "w") as handle:
        handle.write(str(end))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / OFFSET_NAME)
    _fsync_dir(folder)


def spool_pending() -> Iterator[SpooledOptOut]:
    """Entries after the applied offset, oldest first; a line cut short by a crash is skipped."""
    folder = spool_dir()
    start = _applied_offset(folder)
    try:
        with open(folder / SPOOL_NAME, "rb") as handle:
            handle.seek(start)
            data = handle.read()
    except FileNotFoundError:
        return
    position = start
    for raw in data.splitlines(keepends=True):
        position += len(raw)
        if not raw.endswith(b"\n"):
            return  # being written right now; the next pass takes it
        try:
            entry = json.loads(raw)
            yield SpooledOptOut(
                phone=entry["phone"],
                word=entry["word"],
                message_sid=entry.get("message_sid", ""),
                at=datetime.fromisoformat(entry["at"]),
                source=entry.get("source", "sms_keyword"),
                end=position,
                channel=entry.get("channel", "sms"),
                call_id=entry.get("call_id"),
                customer_id=entry.get("customer_id"),
            )
        except (ValueError, KeyError, TypeError):
            if raw.strip():
                logger.error("opt-out spool: unreadable line at byte %s skipped", position - len(raw))
            # An empty phone: nothing to apply, but the applied offset moves past it.
            yield SpooledOptOut(phone="", word="", message_sid="", at=_EPOCH, source="", end=position)


@contextlib.contextmanager
def spool_applying() -> Iterator[bool]:
    """Exclusive right to apply the spool (True), or False when another process is applying it."""
    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
