"""A bare comparative (issue 9): "По итогу МКБ выгоднее и честнее" in a post about two brands.

A sentence that names one brand alone (other sentences may name both) and calls it better or worse ("лучше", "выгоднее", "дороже", ... — the
lexicons of ``classifier.structure_rules``) without saying than what (no "чем", "в отличие от", "по сравнению
с", no "раньше / стал / теперь", which compare the brand with its own past) compares it with the other brand
of the post: the brand named takes the comparative's side and the other brand the opposite. Only when the
sentences of one brand alone hold such comparatives and they agree; not negated ("не лучше"), not in a question,
not conceded ("Y дешевле, но ..." : no sentence with "а/но/зато"); the other brand is not made negative when
the post denies it ("Не скажу, что X плохой; Y просто дешевле").

No brand names here: the brands are the catalog spans the caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.structure_relations import hedged_not_negative
from classifier.structure_rules import _BETTER as BETTER
from classifier.structure_rules import _WORSE as WORSE
from classifier.structure_text import ADVERSATIVE, MAX_SENTENCE, MAX_SPANS, Span, sentence_at, words_in

_OWN_PAST = re.compile(r"\b(?:чем|нежели|в\s+отличие|по\s+сравнению|раньше|прежде|стал\w*|теперь|после|всё|все"
                       r"|еще|ещё|гораздо\s+\w+\s+чем)\b", re.IGNORECASE)


def _sides(text: str, target: Sequence[Span], others: Sequence[Span]) -> set[str]:
    sentences = [(b, e) for b, e in sorted({sentence_at(text, t[0]) for t in target})
                 if e - b <= MAX_SENTENCE and not any(b <= o[0] < e for o in others)]
    sides: set[str] = set()
    for begin, end in sentences:
        if text[end:end + 1] == "?" or _OWN_PAST.search(text, begin, end) or ADVERSATIVE.search(text, begin, end):
            continue
        words = [w for w, _, _ in words_in(text, begin, end)]
        for k, w in enumerate(words):
            if (w in BETTER or w in WORSE) and not (k > 0 and words[k - 1] == "не"):
                sides.add("positive" if w in BETTER else "negative")
    return sides


def bare_comparative_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The target's side from a bare comparative of one brand (see the module's text), or None."""
    if not target or not others or len(target) + len(others) > MAX_SPANS:
        return None
    own, theirs = _sides(text, target, others), _sides(text, others, target)
    if len(own) == 1 and not theirs:
        return own.pop()
    if len(theirs) == 1 and not own:
        side = "negative" if theirs.pop() == "positive" else "positive"
        return None if side == "negative" and hedged_not_negative(text, target, others) else side
    return None
