"""The first item pipeline: every text field of every item is cleaned (:func:`molva.textclean.clean_text`:
NUL bytes, control and zero-width characters) before it is stored or matched against the catalog,
whichever spider produced it."""

from __future__ import annotations

import dataclasses
from typing import Any

from molva.textclean import clean_text


def clean_item(item: Any) -> Any:
    """The item with its string fields (and lists of strings) cleaned in place."""
    if not dataclasses.is_dataclass(item) or isinstance(item, type):
        return item
    for field in dataclasses.fields(item):
        value = getattr(item, field.name)
        if isinstance(value, str):
            setattr(item, field.name, clean_text(value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            setattr(item, field.name, [clean_text(v) for v in value])
    return item


class CleanTextPipeline:
    def process_item(self, item: Any) -> Any:
        return clean_item(item)
