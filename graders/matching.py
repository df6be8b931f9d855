"""Matching items: each prompt is paired with one answer from a shared list, credit per pair.

This is Moodle's ``matching`` (and GIFT's ``{=a -> b}``): the student sees every prompt with a
list of all the answers (plus any distractors) and picks one for each. Each right pair earns
an equal share; a prompt left unmatched earns nothing, but an answer with no pair at all is
unreadable rather than wrong (it has to be a submission, not an empty form).

Spec keys (``docs/item-spec.md``)::

    type: matching
    pairs: [{id: p1, prompt: "SmolLM2", answer: "text"}, {id: p2, prompt: "VAE", answer: "image"}]
    distractors: ["audio"]
    shuffle: true

Response: ``{pair id: chosen answer}``. Pure: no Django; tests in
``tests/graders/test_matching.py``.
"""

from __future__ import annotations

import random
import re
from typing import Any

from graders.results import Interpretation, PartResult, SpecError

TYPE_KEYS = frozenset({"pairs", "distractors", "shuffle"})
PAIR_KEYS = frozenset({"id", "prompt", "answer"})
MAX_PAIRS = 50
_ID = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")


def validate(spec: dict[str, Any], path: str) -> list[SpecError]:
    def j(key: str) -> str:
        return f"{path}.{key}" if path else key

    pairs = spec.get("pairs")
    if not isinstance(pairs, list) or len(pairs) < 2:
        return [SpecError(j("pairs"), "required: at least two {id, prompt, answer} pairs")]
    if len(pairs) > MAX_PAIRS:
        return [SpecError(j("pairs"), f"at most {MAX_PAIRS} pairs")]
    errors: list[SpecError] = []
    seen: set[str] = set()
    for i, pair in enumerate(pairs):
        pp = f"{j('pairs')}[{i}]"
        if not isinstance(pair, dict):
            errors.append(SpecError(pp, "must be {id, prompt, answer}"))
            continue
        pid = pair.get("id")
        if not isinstance(pid, str) or not _ID.match(pid):
            errors.append(SpecError(f"{pp}.id", "required: letters, digits, '-' or '_'"))
        elif pid in seen:
            errors.append(SpecError(f"{pp}.id", f"duplicate pair id '{pid}'"))
        else:
            seen.add(pid)
        for key in ("prompt", "answer"):
            if not isinstance(pair.get(key), str) or not pair[key].strip():
                errors.append(SpecError(f"{pp}.{key}", "required: text"))
        for key in pair:
            if key not in PAIR_KEYS and not str(key).startswith(("x-", "x_")):
                errors.append(SpecError(f"{pp}.{key}", f"unknown key '{key}'"))
    distractors = spec.get("distractors", [])
    if not isinstance(distractors, list) or not all(
        isinstance(d, str) and d.strip() for d in distractors
    ):
        errors.append(SpecError(j("distractors"), "must be a list of texts"))
    if "shuffle" in spec and not isinstance(spec["shuffle"], bool):
        errors.append(SpecError(j("shuffle"), "must be true or false"))
    return errors


def options(spec: dict[str, Any], seed: int = 0) -> list[str]:
    """Every answer a student may pick (each text once), shuffled per student unless
    ``shuffle`` is false."""
    texts = [p["answer"] for p in spec["pairs"]] + list(spec.get("distractors", []))
    unique = list(dict.fromkeys(texts))
    if spec.get("shuffle", True):
        random.Random(seed).shuffle(unique)
    return unique


def grade(
    spec: dict[str, Any], response: Any, *, part_id: str = "", weight: float = 1.0
) -> PartResult:
    """Grade ``{pair id: answer}``; each right pair is an equal share of the credit.

    >>> spec = {"pairs": [{"id": "a", "prompt": "A", "answer": "1"},
    ...                   {"id": "b", "prompt": "B", "answer": "2"}]}
    >>> grade(spec, {"a": "1", "b": "1"}).score
    0.5
    """
    if not isinstance(response, dict):
        return PartResult(
            part_id, "invalid", None, "match each item: expected {item: answer}", weight=weight
        )
    pairs = spec["pairs"]
    allowed = set(options(spec))
    chosen = {
        p["id"]: response.get(p["id"])
        for p in pairs
        if isinstance(response.get(p["id"]), str) and response.get(p["id"])
    }
    if not chosen:
        return PartResult(part_id, "invalid", None, "match at least one item", weight=weight)
    unknown = [v for v in chosen.values() if v not in allowed]
    if unknown:
        return PartResult(
            part_id, "invalid", None, f"'{unknown[0]}' is not one of the options", weight=weight
        )
    right = sum(1 for p in pairs if chosen.get(p["id"]) == p["answer"])
    score = right / len(pairs)
    outcome = (
        "correct" if right == len(pairs) else "incorrect" if right == 0 else ("partially_correct")
    )
    canonical = ", ".join(f"{p['prompt']} → {chosen.get(p['id'], '—')}" for p in pairs)
    return PartResult(
        part_id,
        outcome,
        score,
        f"{right} of {len(pairs)} pairs right.",
        Interpretation(True, canonical, ""),
        weight=weight,
    )
