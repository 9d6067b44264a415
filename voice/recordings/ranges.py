"""HTTP byte ranges (RFC 9110 §14) for the recording player: one range per request, as browsers ask."""

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$", re.IGNORECASE)


class UnsatisfiableRange(Exception):
    """The Range header asks for bytes the file does not have (answer 416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The range asked for in `header` for a file of `size` bytes; None to send the whole file (no
    header, or one we don't serve: several ranges or another unit, which a server may ignore).
    UnsatisfiableRange for a well-formed range outside the file, or one that ends before it starts."""
    if not header:
        return None
    if "," in header:
        return None
    match = _RANGE.match(header)
    if match is None:
        if header.strip().lower().startswith("bytes"):
            raise UnsatisfiableRange(header[:60])
        return None
    first, last = match.groups()
    if not first and not last:
        raise UnsatisfiableRange(header[:60])
    if not first:  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange(header[:60])
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise UnsatisfiableRange(header[:60])
    return ByteRange(start, min(end, size - 1))
