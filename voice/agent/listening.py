"""Judging what the caller said: backchannels that must not interrupt, and signs they want a person."""

import re

_BACKCHANNEL_WORDS = frozenset(
    [
        "yeah",
        "yes",
        "yep",
        "yup",
        "uh-huh",
        "uh",
        "huh",
        "mm-hmm",
        "mhm",
        "mm",
        "hmm",
        "okay",
        "ok",
        "right",
        "sure",
        "alright",
        "got",
        "it",
        "i",
        "see",
        "cool",
    ]
)
_ESCALATION = re.compile(
    r"\b(lawyer|attorney|sue|suing|lawsuit|legal action|manager|supervisor|unacceptable|furious|ridiculous"
    r"|complaint|complain|better business bureau|bbb|real person|human being|a human|representative|operator"
    r"|speak to (?:a|an|someone|somebody)|talk to (?:a|an|someone|somebody))\b",
    re.IGNORECASE,
)


def is_backchannel(text: str) -> bool:
    """True for short acknowledgements ("yeah", "uh-huh", "okay sure") that should not stop the agent."""
    words = re.findall(r"[a-z'-]+", text.lower())
    return 0 < len(words) <= 3 and all(word in _BACKCHANNEL_WORDS for word in words)


def wants_escalation(text: str) -> bool:
    """True when the caller asks for a person or sounds like the matter needs one."""
    return bool(_ESCALATION.search(text))
