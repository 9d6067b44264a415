"""VIN syntax and the North American check digit (position 9)."""

import re
from dataclasses import dataclass

from dealership.core.errors import ApplicationError

_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class VinCheck:
    vin: str
    check_digit_ok: bool


def check_digit(vin: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(raw: str) -> VinCheck:
    """Normalise a VIN. Bad syntax is refused; a failing check digit is only flagged, since many
    non-North-American VINs carry no check digit."""
    vin = re.sub(r"[\s-]", "", raw or "").upper()
    if not _VIN_RE.fullmatch(vin):
        if len(vin) != 17:
            raise ApplicationError(f"A VIN has 17 characters; '{vin}' has {len(vin)}.")
        raise ApplicationError("A VIN uses digits and capital letters except I, O and Q.")
    return VinCheck(vin=vin, check_digit_ok=check_digit(vin) == vin[8])
