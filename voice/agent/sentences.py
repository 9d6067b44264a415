"""Cut streamed LLM text into sentences so TTS can start speaking the first one at once."""

import re

# A sentence ends at . ! ? (optionally followed by a closing quote) and then whitespace. Periods inside
# numbers ("$59.99"), common abbreviations and initials are not ends.
_END = re.compile(r"[.!?][\"')\]]*\s")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "a.m.", "p.m.", "e.g.", "i.e.", "vs.", "no.", "approx.")
_CLAUSE_SPLIT_AT = 140  # a very long sentence is cut at a comma so the caller isn't kept waiting


class SentenceChunker:
    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        """Add streamed text; return the sentences it completed."""
        self._buffer += delta
        ready: list[str] = []
        search_from = 0
        while match := _END.search(self._buffer, search_from):
            candidate = self._buffer[: match.end()].strip()
            if candidate.lower().endswith(_ABBREVIATIONS) or re.search(r"\b[A-Z]\.$", candidate):
                search_from = match.end()
                continue
            ready.append(candidate)
            self._buffer = self._buffer[match.end() :]
            search_from = 0
        if len(self._buffer) > _CLAUSE_SPLIT_AT and (cut := self._buffer.rfind(", ")) > 40:
            ready.append(self._buffer[: cut + 1].strip())
            self._buffer = self._buffer[cut + 2 :]
        return [s for s in ready if s]

    def flush(self) -> list[str]:
        """The rest of the text once the stream has ended."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []
