"""What a caller's words say about being recorded: an objection at any time, or the answer to "is that
OK?" when the shop must ask first. Plain patterns, English and Spanish: the decision must not depend
on the model, so it is made here, in code, on the caller's final transcript."""

import re

_OBJECTION = re.compile(
    r"\b(?:"
    # "record" must end the word and not be a record *of* something: "you have no record of my
    # oil change" and "no records for that car" are questions about the shop's files, not objections.
    r"(?:do not|don'?t|dont|please don'?t|stop|quit)\s+(?:be\s+)?record(?:ing|ed)?\b(?!\s+(?:of|for)\b)"
    r"|no\s+recording\b(?!\s+(?:of|for|on|from)\b)"
    r"|(?:not|never)\s+(?:want\s+to\s+)?be\s+recorded"
    r"|(?:turn|switch|shut)\s+off\s+(?:the\s+)?recording"
    r"|(?:turn|switch|shut)\s+(?:the\s+)?recording\s+off"
    r"|(?:i|we)\s+(?:do not|don'?t)\s+(?:consent|agree|want)\s+(?:to\s+)?"
    r"(?:be\s+|being\s+|the\s+|this\s+|a\s+)?record"
    r"|no\s+(?:me\s+)?grab(?:e|en|es|ar)"
    r"|(?:no\s+quiero|no\s+acepto)\s+(?:que\s+)?(?:me\s+)?(?:la\s+)?grab"
    r"|(?:deje|dejen|pare|paren)\s+de\s+grabar"
    r"|sin\s+grabar"
    r")",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\W*(?:no(?!\s+problem|\s+hay\s+(?:ning[uú]n\s+)?problema|\s+me\s+importa)"
    r"|nope|nah|not\s+ok(?:ay)?|i\s+(?:do not|don'?t)\s+(?:agree|consent))\b",
    re.IGNORECASE,
)


def objects_to_recording(text: str) -> bool:
    """The caller asks not to be recorded ("don't record me", "stop recording", "no me grabe")."""
    return bool(_OBJECTION.search(text or ""))


def declines_recording(text: str) -> bool:
    """The answer to "is that OK?" is no: an objection, or a reply that starts with "no"."""
    return objects_to_recording(text) or bool(_NO.match(text or ""))


_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|fine|of\s+course|go\s+ahead|that'?s\s+(?:fine|ok(?:ay)?)"
    r"|no\s+problem|s[ií]|claro|est[aá]\s+bien|de\s+acuerdo|vale"
    # Spanish for "no problem" / "I don't mind" / "of course": a yes that starts with "no".
    r"|no\s+hay\s+(?:ning[uú]n\s+)?problema|no\s+me\s+importa|por\s+supuesto)\b",
    re.IGNORECASE,
)


def agrees_to_recording(text: str) -> bool:
    """An explicit yes to "is that OK?" ("yes", "sure, I need an oil change", "sí"). Anything else
    (a no, or the caller going straight to their question) leaves the call unrecorded."""
    return not declines_recording(text) and bool(_YES.match(text or ""))
