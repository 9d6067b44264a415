"""Access to the singleton Shop row (created with defaults on first use)."""

from scheduling.models import Shop
from scheduling.rules_cache import rules_current, shop_copy


def shop_get() -> Shop:
    """The shop as the database has it now, from the per-process rules copy (see rules_cache). A copy:
    the caller may change and save it."""
    return shop_copy(rules_current())
