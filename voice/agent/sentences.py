"""Cut streamed LLM text into sentences so TTS can start speaking the first one at once.

With `first_clause=True` the first piece of a reply is released as soon as its first clause is
complete ("Sure," / "Claro," / "I can check that for you,") rather than its first sentence, so the
caller hears the reply start one sentence's worth of tokens sooner. A dangling fragment is not a
clause: a piece that ends on an article, preposition or conjunction ("I'd book you for the,"), that
opens a dependent clause ("If you like," / "Si quiere,"), or a short phrase that is not an
acknowledgement ("On Monday,") waits for the sentence. Spanish punctuation works the same way
(¿…? ¡…! and «…»); the opening marks stay with their sentence.
"""

import re

# A sentence ends at . ! ? (optionally followed by a closing quote) and then whitespace. Periods inside
# numbers ("$59.99"), common abbreviations and initials are not ends.
_END = re.compile(r"[.!?…][\"'”’»)\]]*\s")
_CLAUSE_END = re.compile(r"[,;:—–][\"'”’»)\]]*\s")
_ABBREVIATIONS = (
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "st.",
    "a.m.",
    "p.m.",
    "e.g.",
    "i.e.",
    "vs.",
    "no.",
    "approx.",
    # Spanish
    "sr.",
    "sra.",
    "srta.",
    "dra.",
    "ud.",
    "uds.",
    "núm.",
    "ej.",
)
_CLAUSE_SPLIT_AT = 140  # a very long sentence is cut at a comma so the caller isn't kept waiting

# Openers that are a whole clause by themselves ("Sure," "Of course," "Claro," "Por supuesto,").
_ACKNOWLEDGEMENTS = frozenset(
    phrase.strip()
    for phrase in [
        "sure",
        "okay",
        "ok",
        "yes",
        "yeah",
        "no",
        "great",
        "perfect",
        "alright",
        "all right",
        "absolutely",
        "certainly",
        "thanks",
        "thank you",
        "hello",
        "hi",
        "hey",
        "well",
        "got it",
        "of course",
        "no problem",
        "sounds good",
        "understood",
        "right",
        "claro",
        "sí",
        "vale",
        "bueno",
        "perfecto",
        "gracias",
        "muchas gracias",
        "hola",
        "de acuerdo",
        "por supuesto",
        "muy bien",
        "entendido",
        "listo",
        "excelente",
        "genial",
        "con gusto",
        "desde luego",
    ]
)
# Words a clause does not end on, and words that open a clause that needs another one.
_DANGLING = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "nor",
        "so",
        "to",
        "of",
        "for",
        "with",
        "at",
        "on",
        "in",
        "by",
        "from",
        "into",
        "about",
        "as",
        "than",
        "that",
        "which",
        "who",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
        "this",
        "these",
        "those",
        "some",
        "any",
        "every",
        "y",
        "o",
        "u",
        "e",
        "pero",
        "ni",
        "que",
        "de",
        "del",
        "a",
        "al",
        "en",
        "con",
        "por",
        "para",
        "sin",
        "sobre",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "unos",
        "unas",
        "mi",
        "su",
        "sus",
        "nuestro",
        "nuestra",
        "este",
        "esta",
        "estos",
        "estas",
        "ese",
        "esa",
    ]
)
_SUBORDINATORS = frozenset(
    [
        "if",
        "when",
        "because",
        "although",
        "though",
        "since",
        "unless",
        "while",
        "after",
        "before",
        "as",
        "once",
        "whether",
        "si",
        "cuando",
        "porque",
        "aunque",
        "mientras",
        "como",
        "pues",
        "antes",
        "después",
    ]
)
_STRIP = "¿¡\"'“”‘’«»()[]"
_MIN_CLAUSE_WORDS = 4


def _words(text: str) -> list[str]:
    return [w.strip(_STRIP + ",;:—–.!?").lower() for w in text.split()]


def is_clause(piece: str) -> bool:
    """Whether `piece` (text up to a comma, semicolon, colon or dash) can be spoken on its own."""
    words = [w for w in _words(piece) if w]
    if not words or words[-1] in _DANGLING or words[0] in _SUBORDINATORS:
        return False
    if " ".join(words) in _ACKNOWLEDGEMENTS:
        return True
    return len(words) >= _MIN_CLAUSE_WORDS


class SentenceChunker:
    def __init__(self, *, first_clause: bool = False) -> None:
        self._buffer = ""
        self._clause_first = first_clause  # still looking for the reply's first clause

    def feed(self, delta: str) -> list[str]:
        """Add streamed text; return the sentences (or first clause) it completed."""
        self._buffer += delta
        ready: list[str] = []
        if self._clause_first and (clause := self._first_clause()):
            ready.append(clause)
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
        ready = [s for s in ready if s]
        if ready:
            self._clause_first = False
        return ready

    def _first_clause(self) -> str | None:
        match = _CLAUSE_END.search(self._buffer)
        if match is None:
            return None
        sentence_end = _END.search(self._buffer)
        piece = self._buffer[: match.end()].strip()
        self._clause_first = False  # only the first pause mark is a candidate ("We have Monday, Tuesday,")
        if (sentence_end is not None and sentence_end.start() < match.start()) or not is_clause(piece):
            return None
        self._buffer = self._buffer[match.end() :]
        return piece

    def flush(self) -> list[str]:
        """The rest of the text once the stream has ended."""
        rest, self._buffer = self._buffer.strip(), ""
        self._clause_first = False
        return [rest] if rest else []
