"""Small coloured labels in the theme's style (unfold's label), for list columns and read-only fields.

A word in a badge reads at a glance at the counter; the theme's red cross for "no" read as an error.
"""

from typing import Literal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

Kind = Literal["", "info", "success", "warning", "danger", "primary"]


def badge(text: str, kind: Kind = "") -> SafeString:
    """The theme's label: "" is the muted grey one; warning is amber, danger red."""
    return SafeString(
        render_to_string("unfold/helpers/label.html", {"text": text, "type": kind, "size": "md"})
    )
