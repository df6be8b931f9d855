"""Short text items: a word or a phrase compared with a list of accepted answers.

This is what Moodle calls ``shortanswer`` (and GIFT writes ``{=a =b}``): each accepted answer
may carry partial credit and its own feedback, ``*`` stands for any run of characters (``\\*``
is a literal star), and matching ignores case unless the item says otherwise. Whitespace is
normalised on both sides (runs of spaces are one space, the ends are trimmed) because a
student who types two spaces has not written a different word. The first answer in the list
that matches decides, as in Moodle, so an author can put a specific wrong answer with its
feedback before a broad wildcard.

Spec keys (``docs/item-spec.md``)::

    type: short_text
    answers: [{text: "denoising", credit: 1, feedback: "..."}, {text: "de-nois*", credit: 0.5}]
    case_sensitive: false

Pure: no Django; table-tested in ``tests/graders/test_short_text.py``.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from graders.results import Interpretation, PartResult, SpecError

TYPE_KEYS = frozenset({"answers", "case_sensitive"})
ANSWER_KEYS = frozenset({"text", "credit", "feedback"})
#: A longer answer is not a short answer; it also bounds the regex work per try.
MAX_RESPONSE_CHARS = 500
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Accepted:
    text: str
    credit: float
    feedback: str
    pattern: tuple[str, ...]
    case_sensitive: bool


def normalise(text: str) -> str:
    """NFC, runs of whitespace as one space, ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


@functools.lru_cache(maxsize=4096)
def compile_pattern(text: str, case_sensitive: bool) -> tuple[str, ...]:
    """The answer as literal pieces between stars: ``de*ing`` -> ``("de", "ing")``; ``\\*``
    is a literal star. Case-folded unless ``case_sensitive``.

    >>> compile_pattern("De*ing", False)
    ('de', 'ing')
    """
    pieces, current, i, src = [], [], 0, normalise(text)
    while i < len(src):
        ch = src[i]
        if ch == "\\" and src[i + 1 : i + 2] == "*":
            current.append("*")
            i += 2
            continue
        if ch == "*":
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    pieces.append("".join(current))
    if not case_sensitive:
        pieces = [p.casefold() for p in pieces]
    return tuple(pieces)


def matches(pieces: tuple[str, ...], typed: str) -> bool:
    """Whether ``typed`` matches the pattern: the first piece is a prefix, the last a suffix,
    the middle ones found left to right (greedy-leftmost is exact for ``*`` wildcards). Linear
    in the answer's length, unlike a backtracking regex: ``*a*a*a*a*b`` against 500 letters
    ``a`` must not take minutes."""
    if len(pieces) == 1:
        return typed == pieces[0]
    first, *middle, last = pieces
    if len(typed) < len(first) + len(last) or not typed.startswith(first):
        return False
    if not typed.endswith(last):
        return False
    position, end = len(first), len(typed) - len(last)
    for piece in middle:
        found = typed.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def validate(spec: dict[str, Any], path: str) -> list[SpecError]:
    """Problems in a short-text item or part (``path`` is the part's prefix, ``""`` for an item)."""

    def j(key: str) -> str:
        return f"{path}.{key}" if path else key

    errors: list[SpecError] = []
    answers = spec.get("answers")
    if not isinstance(answers, list) or not answers:
        return [SpecError(j("answers"), "required: a list of accepted answers {text, credit}")]
    full = 0
    for i, answer in enumerate(answers):
        ap = f"{j('answers')}[{i}]"
        if not isinstance(answer, dict):
            errors.append(SpecError(ap, "must be {text, credit, feedback}"))
            continue
        text = answer.get("text")
        if not isinstance(text, str) or not normalise(text):
            errors.append(SpecError(f"{ap}.text", "required: the accepted text"))
        elif len(text) > MAX_RESPONSE_CHARS:
            errors.append(SpecError(f"{ap}.text", f"at most {MAX_RESPONSE_CHARS} characters"))
        credit = answer.get("credit", 1)
        if not _is_num(credit) or not 0 <= credit <= 1:
            errors.append(SpecError(f"{ap}.credit", "must be a number from 0 to 1"))
        elif credit == 1:
            full += 1
        if "feedback" in answer and not isinstance(answer["feedback"], str):
            errors.append(SpecError(f"{ap}.feedback", "must be text"))
        for key in answer:
            if key not in ANSWER_KEYS and not str(key).startswith(("x-", "x_")):
                errors.append(SpecError(f"{ap}.{key}", f"unknown key '{key}'"))
    if not errors and full == 0:
        errors.append(SpecError(j("answers"), "at least one answer must have credit 1"))
    if "case_sensitive" in spec and not isinstance(spec["case_sensitive"], bool):
        errors.append(SpecError(j("case_sensitive"), "must be true or false"))
    return errors


def accepted(spec: dict[str, Any]) -> tuple[Accepted, ...]:
    """The compiled answers of a valid spec, in the author's order."""
    case = bool(spec.get("case_sensitive", False))
    return tuple(
        Accepted(
            text=a["text"],
            credit=float(a.get("credit", 1)),
            feedback=str(a.get("feedback") or ""),
            pattern=compile_pattern(a["text"], case),
            case_sensitive=case,
        )
        for a in spec["answers"]
    )


def grade(
    spec: dict[str, Any], response: Any, *, part_id: str = "", weight: float = 1.0
) -> PartResult:
    """Grade one typed answer against a valid short-text spec.

    >>> spec = {"answers": [{"text": "denois*"}]}
    >>> grade(spec, "  Denoising ").outcome
    'correct'
    """
    if not isinstance(response, str):
        return PartResult(part_id, "invalid", None, "write your answer as text", weight=weight)
    typed = normalise(response)
    if not typed:
        return PartResult(part_id, "invalid", None, "the answer is empty", weight=weight)
    if len(typed) > MAX_RESPONSE_CHARS:
        return PartResult(
            part_id,
            "invalid",
            None,
            f"write at most {MAX_RESPONSE_CHARS} characters (you wrote {len(typed)})",
            weight=weight,
        )
    interp = Interpretation(True, typed, "")
    folded = typed.casefold()
    for answer in accepted(spec):
        if matches(answer.pattern, typed if answer.case_sensitive else folded):
            score = answer.credit
            outcome = (
                "correct" if score == 1 else "incorrect" if score == 0 else "partially_correct"
            )
            default = "Correct." if score == 1 else "Partly right." if score > 0 else "Incorrect."
            return PartResult(
                part_id, outcome, score, answer.feedback or default, interp, weight=weight
            )
    return PartResult(part_id, "incorrect", 0.0, "Incorrect.", interp, weight=weight)


def key_texts(spec: dict[str, Any]) -> list[str]:
    """The full-credit answers, for teachers' pages and the giveaway check."""
    return [a["text"] for a in spec.get("answers", []) if a.get("credit", 1) == 1]
