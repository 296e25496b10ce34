"""The first item pipeline: every text field of every item is cleaned (:func:`molva.textclean.clean_text`:
NUL bytes, control and zero-width characters) before it is stored or matched against the catalog,
whichever spider produced it (items built elsewhere are cleaned by ``MentionData`` itself)."""

from __future__ import annotations

from typing import Any

from molva.textclean import clean_fields


def clean_item(item: Any) -> Any:
    """The item with its string fields (and lists of strings) cleaned in place."""
    return clean_fields(item)


class CleanTextPipeline:
    def process_item(self, item: Any) -> Any:
        return clean_item(item)
