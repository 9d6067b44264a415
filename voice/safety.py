"""The safety backstop: phrases (English and Spanish) of a car that is unsafe to drive.

The model reports an unsafe car through the report_safety_concern tool; these phrases catch it even
when the model does not, so the call is flagged for advisors all the same. Run once per caller turn
on the final transcript. A phrase here is a reason to call the customer back first, not a diagnosis:
a false alarm costs an advisor a minute, a missed one can cost a crash.
"""

import re

_PATTERNS: dict[str, str] = {
    # English
    "brakes failing": (
        # Not "grinding" or "squeaking": worn pads, the shop's most common call, are "soon", not "don't
        # drive"; flagging them would bury the real emergencies and text the owner all day.
        r"\b(?:brakes?|braking)\b[^.?!]{0,30}\b(?:fail\w*|gone|went out|going out|not working|don'?t work"
        r"|doesn'?t work|stopped working|went to the floor|to the floor|spongy)\b"
        r"|\bno brakes\b|\bcan'?t stop\b|\bwon'?t stop\b"
        r"|\bpedal (?:goes|went) (?:all the way )?to the floor\b"
    ),
    "smoke or fire": (
        r"\b(?:smok(?:e|ing|y)|on fire|caught fire|flames?|burning smell|smells? (?:like )?burning)\b"
    ),
    "overheating": r"\boverheat\w*|\btemperature (?:gauge|light) (?:is )?(?:in the red|on)\b",
    "steering loss": (
        r"\b(?:lost|losing|no) (?:the )?steering\b|\bcan'?t steer\b|\bsteering\b[^.?!]{0,30}"
        r"\b(?:locked|locking|went out|gone|failed|failing|not working|stiff)\b"
    ),
    "airbag light after a crash": (
        r"\bair ?bag\b[^.?!]{0,60}\b(?:crash|accident|collision|hit)\b"
        r"|\b(?:crash|accident|collision)\b[^.?!]{0,60}\bair ?bag\b"
    ),
    "fuel smell": (
        r"\b(?:smell\w*|odor|odour)\b[^.?!]{0,20}\b(?:gas|gasoline|fuel|petrol)\b"
        r"|\b(?:gas|gasoline|fuel|petrol)\b[^.?!]{0,12}\b(?:smell|odor|odour|leak\w*)\b"
    ),
    # Spanish
    "frenos fallando": (
        r"\bfrenos?\b[^.?!]{0,30}\b(?:fall\w*|no funciona\w*|no sirve\w*|se fue\w*)\b|\bsin frenos\b"
        r"|\bno frena\b|\bno (?:puedo|puede) frenar\b"
    ),
    "humo o fuego": r"\b(?:humo|fuego|incendi\w*|llamas?|se est[aá] quemando|olor a quemado)\b",
    "sobrecalentamiento": r"\bsobrecalent\w*|\bse (?:est[aá] )?calentando (?:mucho|demasiado)\b",
    "pérdida de dirección": (
        r"\b(?:la )?direcci[oó]n\b[^.?!]{0,30}\b(?:no responde|fall\w*|se bloque\w*|se trab\w*)\b"
        r"|\bno (?:puedo|puede) (?:girar|controlar|dar vuelta)\b"
    ),
    "bolsa de aire tras un choque": (
        r"\bbolsas? de aire\b[^.?!]{0,60}\b(?:choque|choqu\w*|accidente)\b"
        r"|\b(?:choque|choqu\w*|accidente)\b[^.?!]{0,60}\bbolsas? de aire\b"
    ),
    "olor a gasolina": r"\bolor a (?:gasolina|combustible)\b|\b(?:gasolina|combustible)\b[^.?!]{0,20}\bfuga\b"
    r"|\bfuga de (?:gasolina|combustible)\b|\bhuele a (?:gasolina|combustible)\b",
}
_COMPILED = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _PATTERNS.items()]
_NEGATED = re.compile(
    r"\b(?:no|not|never|isn'?t|aren'?t|wasn'?t|don'?t|doesn'?t|didn'?t|ningún|ningun)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


def unsafe_car_phrase(text: str) -> str | None:
    """The kind of unsafe-car phrase in `text` ("brakes failing", "humo o fuego"…), or None. A plain
    negation right before it ("no smoke", "not overheating") does not count."""
    for name, pattern in _COMPILED:
        for match in pattern.finditer(text):
            if not _NEGATED.search(text[: match.start()][-30:]):
                return name
    return None
