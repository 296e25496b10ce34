"""Brand mention patterns for the training corpora (SentiRuEval-2016 banks and telecom).

Training needs the character spans of the target brand and of the other brands in each tweet; the
corpora name the brand as a company, not as the string in the tweet. At run time the spans come from
the core catalog (`molva.catalog`); these patterns are only used to build the training set, and as a
fallback when no catalog is available.
"""

from __future__ import annotations

import re

_B = r"(?<![^\W_])"
BRAND_PATTERNS: dict[str, str] = {
    "sberbank": r"сбер\w*|sber\w*|сб\s?рф|сбрф",
    "vtb": r"втб\w*|vtb\w*|внешторг\w*",
    "alfabank": r"альфа[\s-]?банк\w*|альфа\w*|alfa[\s-]?bank\w*|alfa\w*|alpha[\s-]?bank\w*",
    "rshb": r"россельхоз\w*|рсхб|rshb\w*|рос\s?сель\s?хоз\w*",
    "bankmoskvy": r"банк\w{0,3}\s+москв\w*|bank\s?of\s?moscow|bm\.ru|бм\b",
    "gazprom": r"газпром\s?банк\w*|gazprom\s?bank\w*|газпром\w*|gazprom\w*|гпб\b",
    "raiffeisen": r"райф\w*|раиф\w*|raif\w*|raiff\w*",
    "uralsib": r"урал\s?сиб\w*|uralsib\w*",
    "beeline": r"би\s?лайн\w*|beeline\w*|bee\s?line\w*|вымпелком\w*|vimpelcom\w*",
    "mts": r"мтс\w*|mts\w*|мобильн\w+\s+телесистем\w*",
    "megafon": r"мега\s?фон\w*|megafon\w*|megaf\w*",
    "rostelecom": r"ростелеком\w*|rostelecom\w*|ртк\b",
    "tele2": r"теле\s?2|tele\s?2\w*|теле\s?два",
    "skylink": r"скай\s?линк\w*|sky\s?link\w*",
    "komstar": r"комстар\w*|komstar\w*|comstar\w*",
}

_COMPILED: dict[str, re.Pattern[str]] = {
    bid: re.compile(_B + "(?:" + pat + ")", re.IGNORECASE) for bid, pat in BRAND_PATTERNS.items()
}


def find_brand_spans(text: str, brand_id: str) -> list[tuple[int, int]]:
    """Character spans of one training brand in ``text`` (empty when not found)."""
    pattern = _COMPILED.get(brand_id)
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def find_other_spans(text: str, brand_id: str) -> list[tuple[int, int]]:
    """Spans of every training brand other than ``brand_id``, minus overlaps with the target's spans."""
    own = find_brand_spans(text, brand_id)
    spans: list[tuple[int, int]] = []
    for bid, pattern in _COMPILED.items():
        if bid == brand_id:
            continue
        for m in pattern.finditer(text):
            if not any(m.start() < e and s < m.end() for s, e in own):
                spans.append((m.start(), m.end()))
    return spans
