"""What the caller actually heard of an agent turn, from how much of its audio Twilio played back."""

from dataclasses import dataclass


@dataclass
class SpokenSentence:
    text: str
    audio_bytes: int = 0
    heard_bytes: int = 0


def heard_text(sentences: list[SpokenSentence]) -> tuple[str, bool]:
    """The heard part of a turn and whether it was cut short.

    Fully played sentences are kept whole; a sentence cut mid-way keeps the share of its words that
    matches the share of its audio that played (speech rate is near constant within a sentence).
    """
    parts: list[str] = []
    for sentence in sentences:
        if sentence.audio_bytes and sentence.heard_bytes >= sentence.audio_bytes:
            parts.append(sentence.text)
            continue
        if sentence.audio_bytes and sentence.heard_bytes > 0:
            words = sentence.text.split()
            keep = int(len(words) * sentence.heard_bytes / sentence.audio_bytes)
            if keep:
                parts.append(" ".join(words[:keep]) + "—")
        return " ".join(parts), True
    return " ".join(parts), False
