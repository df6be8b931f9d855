"""Help texts, placeholders and hints that give the answer away.

The sample course's symbolic boxes said "e.g. -ln(0.3)" (the cross-entropy answer) and the
timing item's help said "e.g. 4 s" (the answer to its first part). This finds such texts: every
number, expression or quoted example in an item's ``help``, ``placeholder`` and ``hints`` (and
those of its parts) is graded against each numeric or symbolic part, and one the grader accepts
(or calls "right value, wrong form") is reported. Reported as a warning, not an error: an
example can be deliberate, but it should never be an accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gradebook.courses.bank.errors import Path

#: Fields whose text a student sees before answering.
SHOWN_FIELDS = ("help", "placeholder", "hints")
#: At most this many candidates are tried per text (each costs a grading on the fast path).
MAX_CANDIDATES = 40

_CODE = re.compile(r"`([^`]{1,80})`")
_CUE = re.compile(
    r"(?:e\.\s?g\.|for example|for instance|such as|like|예:|예를 들어|예컨대)\s*:?\s*"
    r"([^;,\n]{1,60})",
    re.IGNORECASE,
)
_FUNCTION = re.compile(
    r"[-−+]?\s*(?:\d+(?:\.\d+)?\s*\*?\s*)?(?:ln|log10|log2|log|exp|sqrt|sin|cos|tan)\s*"
    r"\((?:[^()]|\([^()]*\)){0,60}\)"
)
_NUMBER = re.compile(
    r"(?<![\w.])[-−+]?(?:\d+(?:[.,]\d+)?|\.\d+)(?:\s*[*/×^]\s*[-−]?\d+(?:\.\d+)?)*"
    r"(?:\s*(%|[A-Za-zµ가-힣]+(?:/[A-Za-z]+)?))?"
)


def candidates(text: str) -> list[str]:
    """The things in ``text`` a student could type as an answer, most specific first."""
    found: list[str] = []

    def add(value: str) -> None:
        value = value.strip().strip(".:").strip()
        if value and value not in found and len(found) < MAX_CANDIDATES:
            found.append(value)

    for match in _CODE.finditer(text):
        add(match.group(1))
    for match in _CUE.finditer(text):
        phrase = match.group(1)
        for piece in re.split(r"\s+(?:or|and|또는|이나)\s+", phrase):
            add(piece)
    for match in _FUNCTION.finditer(text):
        add(match.group(0))
    for match in _NUMBER.finditer(text):
        add(match.group(0))
        if match.group(1):  # also the bare number, in case the word after it is not a unit
            add(match.group(0)[: match.start(1) - match.start(0)])
    return found


def _texts(spec: dict[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    for name in SHOWN_FIELDS:
        value = spec.get(name)
        if isinstance(value, str):
            yield (*path, name), value
        elif isinstance(value, list):
            for index, hint in enumerate(value):
                if isinstance(hint, str):
                    yield (*path, name, index), hint


def _filler(part: dict[str, Any]) -> Any:
    """An answer for the parts not being probed that the grader can read (any value)."""
    kind = part.get("type")
    if kind == "multiple_choice":
        choices = [c for c in part.get("choices", []) if isinstance(c, dict)]
        first = str(choices[0].get("id", "")) if choices else ""
        return [first] if part.get("multiple") else first
    if kind == "free_text":
        return "x" * max(int(part.get("min_chars") or 1), 1)
    unit = part.get("unit")
    return f"0 {unit}" if unit else "0"


def _gives_away(result: Any) -> bool:
    if result is None:
        return False
    if result.outcome == "correct" and not getattr(result, "carried_forward", False):
        return True
    # Right value in the wrong form ("1.204" for -ln(0.3)), or with too few digits typed: the
    # value is the key's all the same.
    return result.outcome == "incorrect" and (
        result.misconception == "wrong-form" or (result.feedback or "").startswith("Right value")
    )


def _probe(spec: dict[str, Any], part_id: str | None, answer: str, params: Any) -> bool:
    import graders

    try:
        if part_id is None:
            result = graders.grade(spec, answer, params=params)
            return _gives_away(result)
        response = {
            str(p.get("id")): (answer if str(p.get("id")) == part_id else _filler(p))
            for p in spec.get("parts", [])
            if isinstance(p, dict)
        }
        result = graders.grade(spec, response, params=params)
    except (graders.InvalidSpec, ValueError):
        return False
    return any(p.id == part_id and _gives_away(p) for p in result.parts)


def _gradable_parts(spec: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    if spec.get("type") in ("numeric", "symbolic"):
        return [(None, spec)]
    if spec.get("type") == "multipart":
        return [
            (str(p.get("id")), p)
            for p in spec.get("parts", [])
            if isinstance(p, dict) and p.get("type") in ("numeric", "symbolic")
        ]
    return []


def _relaxed(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with a bare number read in the item's unit: "e.g. 4" gives away "4 s" too."""
    out = dict(spec)
    if out.get("unit"):
        out["unit_required"] = False
    if out.get("type") == "multipart":
        out["parts"] = [
            {**p, "unit_required": False} if isinstance(p, dict) and p.get("unit") else p
            for p in out.get("parts", [])
        ]
    return out


def giveaways(spec: dict[str, Any]) -> list[tuple[Path, str]]:
    """(path inside the item, message) for each shown text holding a value the key accepts.

    >>> [path for path, _ in giveaways({"id": "t", "type": "numeric", "text": "?", "answer": 4,
    ...                                  "unit": "s", "help": "Give units, e.g. 4 s."})]
    [('help',)]
    """
    import graders

    parts = _gradable_parts(spec)
    if not parts:
        return []
    relaxed = _relaxed(spec)
    try:
        params = graders.variant(spec, 0) if spec.get("params") else None
    except (graders.InvalidSpec, ValueError):
        return []
    texts: list[tuple[Path, str, list[str | None]]] = [
        (path, text, [pid for pid, _ in parts]) for path, text in _texts(spec, ())
    ]
    if spec.get("type") == "multipart":
        for index, part in enumerate(spec.get("parts", [])):
            if isinstance(part, dict):
                pid = str(part.get("id"))
                texts += [
                    (path, text, [pid] if pid in dict(parts) else [])
                    for path, text in _texts(part, ("parts", index))
                ]
    found: list[tuple[Path, str]] = []
    for path, text, targets in texts:
        shown = graders.render_text({"text": text}, params) if params else text
        hit = next(
            (
                c
                for c in candidates(shown)
                for pid in targets
                if _probe(relaxed, pid, c.replace("−", "-"), params)
            ),
            None,
        )
        if hit is not None:
            what = {"help": "help text", "placeholder": "placeholder", "hints": "hint"}
            field = next(str(p) for p in reversed(path) if isinstance(p, str))
            found.append(
                (
                    path,
                    f"{hit!r} is accepted as the answer: a student reading this "
                    f"{what.get(field, field)} has the answer",
                )
            )
    return found
