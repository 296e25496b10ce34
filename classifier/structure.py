"""Structural corrections of per-brand sentiment in posts naming two brands (issue 9).

The model scores each brand separately, and in a two-brand post one brand often takes the other's feeling.
A small rule layer corrects the label where the post says plainly which brand is on which side: the
two-brand constructions of ``classifier.structure_rules`` (switching, comparison, verbal comparison,
compensation, emoji rating, contrast by reference, neutral bystander) and the verdicts of a brand's own part
in ``classifier.structure_verdicts`` (superlatives and advice, numbers, complaint questions, news-style
mentions, alternative questions), the word-level cues of ``classifier.structure_lexicon`` (slang verdicts and set
phrases, negated problems, elliptical or parallel parts that lean on the other brand, a brand named as a place)
and ironic praise or mock boredom (``classifier.structure_irony``), a switch across sentences or "закрыла X,
оформила Y" (``classifier.structure_switch``), "Y хотя бы ..." (the lesser evil, ``classifier.structure_relations``)
and a bare comparative of one brand (``classifier.structure_compare``), over the text plumbing of
``classifier.structure_text``. A hedged denial ("Не скажу, что X плохой") turns a negative reading of X that no
rule decided into neutral (``hedged_not_negative``).
This module puts them together: ``adjust`` applies them to the model's scores, ``predict_brands`` adds what
needs the model. A rule that states a brand's side relative to the other brand's ("opposite", "same") takes
the other brand's side from the rules when they give one, else from the model.

Before the rules, for a model with ``own_part_split`` (the fast one), each brand's **own part** of the post
(``own_segment``: its sentences up to the next brand's, or its clauses when the brands share a sentence; not an
enumeration, the compared side of a comparison, a post that talks to a brand with "вы/вам", or a brand a switch
leaves or reaches) is scored alone (one extra model request per brand); that part decides how the brand's
positive/negative mass is split, the whole post how neutral it is.

Two brands **contrasted across "а/но/зато"** that the model gave one feeling: each brand's own clause is scored
alone (``contrast_sides``) and the more positive clause's brand gets positive.

Before all of them, the register of ``classifier.structure_register``: a post written as a report (news,
press release) makes every brand neutral, a brand named only as a place or a channel ("у банкомата X",
"через X") is neutral, and brands listed together as one subject share one feeling.

No brand names in the rules: the brands are the catalog spans the caller passes.
``predict_brands`` is the one entry point that ``molva analyze`` and ``molva classify`` share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from classifier.arch import LABELS
from classifier.inference import SentimentModel, Targets
from classifier.intent import thanked_for_trouble
from classifier.structure_compare import bare_comparative_label
from classifier.structure_figures import figure_label
from classifier.structure_irony import ironic_praise, mock_boredom
from classifier.structure_lexicon import slang_label
from classifier.structure_register import register_label, shared_scores, voiced_sentences
from classifier.structure_relations import (
    ellipsis_relation,
    hedged_not_negative,
    lesser_evil_label,
    place_neutral,
)
from classifier.structure_rules import bystander_neutral, reference_contrast, structural_label, switch_party
from classifier.structure_switch import switch_across
from classifier.structure_text import Span, adversative_split, own_segment, sentence_at
from classifier.structure_verdicts import (
    alternative_question,
    complaint_question_label,
    conclusion_label,
    news_neutral,
    numeric_label,
    verdict_label,
)


def with_label(scores: dict[str, float], label: str) -> dict[str, float]:
    """``scores`` with ``label`` on top: its value and the top value swap (still a distribution)."""
    top = max(LABELS, key=lambda k: scores[k])
    if top == label:
        return scores
    out = dict(scores)
    out[top], out[label] = scores[label], scores[top]
    tied = [k for k in LABELS if k != label and out[k] >= out[label]]
    for k in tied:  # a tie at the top: the label must win it (label_of takes the first of equals)
        out[k] -= 1e-6
        out[label] += 1e-6
    return out


def _key(text: str, spans: Sequence[Span]) -> tuple[str, tuple[Span, ...]]:
    return text, tuple(sorted((int(s), int(e)) for s, e in spans))


_OPPOSITE = {"negative": "positive", "positive": "negative"}


def _top(scores: dict[str, float]) -> str:
    return max(LABELS, key=lambda k: scores[k])


def _clause(text: str, spans: Sequence[Span], split: int) -> tuple[str, tuple[Span, ...]]:
    """The side of ``split`` holding ``spans``, within their sentence(s), with the spans shifted into it."""
    if spans[0][0] < split:
        begin, end = sentence_at(text, spans[0][0])[0], split
    else:
        begin, end = split, sentence_at(text, spans[-1][0])[1]
    return text[begin:end], tuple((s - begin, e - begin) for s, e in spans)


def contrast_sides(model: SentimentModel, texts: Sequence[str], targets: Targets, others: Targets,
                   groups: Sequence[str | None] | None, items: list[tuple[int, int]]) -> dict[int, str]:
    """For contrasted pairs (request i, the other brand's request j) that the model gave one feeling: each
    brand's own clause scored alone decides who is on which side (the clause that reads more positive is the
    positive brand). Returns {request: label}."""
    reqs: list[tuple[str, tuple[Span, ...], str | None]] = []
    items = [(i, j) for i, j in items if adversative_split(texts[i], targets[i], others[i]) is not None]
    for i, _ in items:
        split = adversative_split(texts[i], targets[i], others[i])
        if split is None:  # filtered above
            continue
        for spans in (targets[i], others[i]):
            text, shifted = _clause(texts[i], sorted(spans or ()), split)
            reqs.append((text, shifted, groups[i] if groups is not None else None))
    if not reqs:
        return {}
    scored = model.predict([r[0] for r in reqs], [r[1] for r in reqs], others=[() for _ in reqs],
                           groups=[r[2] for r in reqs])
    out: dict[int, str] = {}
    for k, (i, _) in enumerate(items):
        own, other = scored[2 * k], scored[2 * k + 1]
        lean = (own["positive"] - own["negative"]) - (other["positive"] - other["negative"])
        if lean != 0:
            out[i] = "positive" if lean > 0 else "negative"
    return out


def adjust(texts: Sequence[str], targets: Targets, others: Targets | None, scores: list[dict[str, float]],
           other_scores: Callable[[int], dict[str, float] | None] | None = None,
           contrast: dict[int, str] | None = None) -> list[dict[str, float]]:
    """Model ``scores`` corrected where a construction decides the brand's side (see the module's text).
    ``other_scores(i)``: the model's scores of request ``i``'s other brand (contrast by reference, adversative
    contrast); without it, those of the request in the same call whose target spans are request ``i``'s
    other spans. ``contrast``: labels that ``contrast_sides`` decided for contrasted brands that the model
    gave one feeling (``predict_brands`` computes them; it needs the model)."""
    if others is None:
        return scores
    scores = shared_scores(texts, targets, others, scores)
    index = {_key(t, tg): j for j, (t, tg) in enumerate(zip(texts, targets, strict=True)) if tg}

    def in_call(i: int) -> dict[str, float] | None:
        oth = others[i] if others is not None else None
        j = index.get(_key(texts[i], oth)) if oth else None
        return None if j is None else scores[j]

    lookup = other_scores or in_call
    out = []
    for i, (text, tgt, oth, sc) in enumerate(zip(texts, targets, others, scores, strict=True)):
        label = direct_label(text, tgt, oth)
        ruled = label is not None
        relation = None if label is not None else relative_to_other(text, tgt, oth)
        if relation is not None:
            other = lookup(i)
            side = (direct_label(text, oth, tgt) or _top(other)) if other is not None else None
            if side in _OPPOSITE:  # a neutral (or unknown) other brand says nothing of this one
                label = side if relation == "same" else _OPPOSITE[side]
        if label is None and (bystander_neutral(text, tgt, oth)
                              or news_neutral(text, tgt, oth) and not voiced_sentences(text, tgt or ())
                              or alternative_question(text, tgt, oth) or place_neutral(text, tgt, oth)):
            label = "neutral"
        if label is None and contrast is not None:
            label = contrast.get(i)
        if (label or _top(sc)) == "negative" and not ruled and hedged_not_negative(text, tgt, oth):
            label = "neutral"  # "не скажу, что X плохой": the negative verdict is denied
        if label is None and not oth and _top(sc) == "positive" and thanked_for_trouble(text):
            label = "negative"  # one brand (or none) thanked for the trouble itself: "спасибо за связь, которой нет"
        out.append(with_label(sc, label) if label is not None else sc)
    return out


def direct_label(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """The label a rule gives the brand at ``target`` from the post alone (a construction or a verdict of its
    own part), or None."""
    register = register_label(text, target, others)  # a report, a place or channel, a listed subject
    if register is not None:
        return register
    conclusion = conclusion_label(text, target, others)  # "Итог: с X больше не свяжусь, Y спасибо"
    if conclusion is not None:
        return conclusion
    if ironic_praise(text, target, others):
        return "negative"
    if mock_boredom(text, target, others):
        return "positive"
    return structural_label(text, target, others) or switch_across(text, target, others) \
        or lesser_evil_label(text, target, others) or verdict_label(text, target, others) \
        or complaint_question_label(text, target, others) or slang_label(text, target, others) \
        or figure_label(text, target, others) or numeric_label(text, target, others) \
        or bare_comparative_label(text, target, others)


def relative_to_other(text: str, target: Sequence[Span] | None, others: Sequence[Span] | None) -> str | None:
    """"opposite" or "same" when the target's side is stated relative to the other brand's (contrast by
    reference, an elliptical part), else None."""
    if reference_contrast(text, target, others):
        return "opposite"
    return ellipsis_relation(text, target, others)


def _with_own_segments(model: SentimentModel, texts: Sequence[str], targets: Targets, others: Targets,
                       groups: Sequence[str | None] | None,
                       scores: list[dict[str, float]]) -> list[dict[str, float]]:
    """Each brand's side from its own part of the post: where ``own_segment`` finds the part that speaks of
    the brand alone, that part is scored alone (one extra request) and decides the split between positive
    and negative; the whole post still decides how neutral the brand is (a short part alone reads neutral
    too often). Not for a brand that a switch leaves or reaches (the switch rule reads those). Only for a
    model that says it gains from it (``own_part_split``: the fast model; the accurate one lost labels on
    the held-back halves with it, see BENCHMARKS.md)."""
    if not getattr(model, "own_part_split", False):
        return scores
    todo: list[tuple[int, Span]] = []
    for i, (t, tg, oth) in enumerate(zip(texts, targets, others, strict=True)):
        seg = own_segment(t, tg, oth)
        if seg is not None and not switch_party(t, tg or ()):
            todo.append((i, seg))
    if not todo:
        return scores
    reqs = [(texts[i][b:e], tuple((s - b, s_end - b) for s, s_end in (targets[i] or ()))) for i, (b, e) in todo]
    got = model.predict([r[0] for r in reqs], [r[1] for r in reqs], others=[() for _ in reqs],
                        groups=[groups[i] for i, _ in todo] if groups is not None else None)
    out = list(scores)
    for (i, _), own in zip(todo, got, strict=True):
        full = scores[i]
        if own["positive"] == own["negative"]:  # the part alone leans nowhere: nothing to say
            continue
        polar = full["positive"] + full["negative"]
        share = own["positive"] / max(own["positive"] + own["negative"], 1e-9)
        out[i] = {"negative": polar * (1 - share), "neutral": full["neutral"], "positive": polar * share}
    return out


def predict_brands(model: SentimentModel, texts: Sequence[str], targets: Targets, *, others: Targets | None,
                   groups: Sequence[str | None] | None = None) -> list[dict[str, float]]:
    """``model.predict`` plus the structural correction: what ``molva analyze`` and ``molva classify`` use.
    A contrast whose other brand (one mention) was not scored in this call scores it (one extra request);
    with more other mentions than the call's requests account for, the contrast rules need the call's own."""
    scores = list(model.predict(texts, targets, others=others, groups=groups))
    if others is None:
        return scores
    index = {_key(t, tg): j for j, (t, tg) in enumerate(zip(texts, targets, strict=True)) if tg}
    scores = _with_own_segments(model, texts, targets, others, groups, scores)
    extra: dict[int, dict[str, float]] = {}
    missing = [i for i, (t, tg, oth) in enumerate(zip(texts, targets, others, strict=True))
               if oth is not None and len(oth) == 1 and _key(t, oth) not in index
               and (relative_to_other(t, tg, oth) is not None or adversative_split(t, tg, oth) is not None)]
    if missing:
        more = model.predict([texts[i] for i in missing], [others[i] for i in missing],
                             others=[targets[i] for i in missing],
                             groups=[groups[i] for i in missing] if groups is not None else None)
        extra = dict(zip(missing, more, strict=True))

    def other_scores(i: int) -> dict[str, float] | None:
        if i in extra:
            return extra[i]
        oth = others[i] if others is not None else None
        j = index.get(_key(texts[i], oth)) if oth else None
        return None if j is None else scores[j]

    # contrasted across "а"/"но" yet one feeling for both: each brand's own clause decides
    same = []
    for i, (t, tg, oth, sc) in enumerate(zip(texts, targets, others, scores, strict=True)):
        other = other_scores(i) if adversative_split(t, tg, oth) is not None else None
        if other is not None and _top(sc) != "neutral" and _top(sc) == _top(other) \
                and structural_label(t, tg, oth) is None:
            same.append((i, 0))
    contrast = contrast_sides(model, texts, targets, others, groups, same) if same else {}
    return adjust(texts, targets, others, scores, other_scores, contrast)
