"""Small coloured labels in the theme's style (the classes of unfold's helpers/label.html), for list
columns and read-only fields.

A word in a badge reads at a glance at the counter; the theme's red cross for "no" read as an error.
"""

from typing import Literal

from django.utils.html import format_html
from django.utils.safestring import SafeString

Kind = Literal["", "info", "success", "warning", "danger"]

_BASE = (
    "inline-block font-semibold rounded-default text-[11px] uppercase whitespace-nowrap h-5 leading-5 px-1.5"
)
_COLOURS: dict[str, str] = {
    "": "bg-base-500/8 text-base-700 dark:bg-base-500/20 dark:text-base-200",
    "info": "bg-blue-100 text-blue-700 dark:bg-blue-500/20 dark:text-blue-400",
    "success": "bg-green-100 text-green-700 dark:bg-green-500/20 dark:text-green-400",
    "warning": "bg-orange-100 text-orange-700 dark:bg-orange-500/20 dark:text-orange-400",
    "danger": "bg-red-100 text-red-700 dark:bg-red-500/20 dark:text-red-400",
}


def badge(text: str, kind: Kind = "") -> SafeString:
    """The theme's label: "" is the muted grey one, warning amber, danger red. `data-badge` names the
    kind for tests and for anyone reading the page's source."""
    return format_html(
        '<span class="{} {}" data-badge="{}">{}</span>', _BASE, _COLOURS[kind], kind or "muted", text
    )
