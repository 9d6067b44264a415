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
        # Spanish
        "sí",
        "si",
        "ajá",
        "aja",
        "claro",
        "vale",
        "bueno",
        "okey",
        "ándale",
        "órale",
        "entiendo",
    ]
)
_ESCALATION = re.compile(
    r"\b(lawyer|attorney|sue|suing|lawsuit|legal action|manager|supervisor|unacceptable|furious|ridiculous"
    r"|complaint|complain|better business bureau|bbb|real person|human being|a human|representative|operator"
    r"|speak to (?:a|an|someone|somebody)|talk to (?:a|an|someone|somebody)"
    # Spanish
    r"|abogado|demanda|gerente|supervisora?|encargad[oa]|queja|inaceptable|representante|un humano"
    r"|una persona (?:real|de verdad)|hablar con (?:alguien|una persona|un asesor|una asesora))\b",
    re.IGNORECASE,
)


def is_backchannel(text: str) -> bool:
    """True for short acknowledgements ("yeah", "uh-huh", "okay sure") that should not stop the agent."""
    words = re.findall(r"[^\W\d_]+(?:['-][^\W\d_]+)*", text.lower())
    return 0 < len(words) <= 3 and all(word in _BACKCHANNEL_WORDS for word in words)


def wants_escalation(text: str) -> bool:
    """True when the caller asks for a person or sounds like the matter needs one."""
    return bool(_ESCALATION.search(text))
