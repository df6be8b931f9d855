"""Status words and marks, written once for every page (and the lesson script's strings).

Honest status: an answer waiting for a teacher is shown neutral ("Awaiting review", a clock),
never as a red cross; an undecided answer is never "wrong"; a grade a teacher changed says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

OUTCOME_LABELS: dict[str, Callable[[], str]] = {
    "correct": lambda: _("Correct"),
    "partially_correct": lambda: _("Partly correct"),
    "incorrect": lambda: _("Not quite"),
    "undecided": lambda: _("Not decided"),
    "needs_review": lambda: _("Awaiting review"),
    "not_graded": lambda: _("Not graded"),
    "invalid": lambda: _("Could not be read"),
}


def outcome_label(outcome: str) -> str:
    label = OUTCOME_LABELS.get(outcome)
    return label() if label else outcome


@dataclass(frozen=True)
class Mark:
    code: str  # correct | partial | incorrect | pending | undecided | reviewed
    label: str
    icon: str
    tone: str  # ok | warn | bad | wait


def student_mark(attempt: Any) -> Mark:
    """The verdict on one stored attempt, as its student sees it."""
    status = attempt.status
    if status == "pending_review":
        return Mark("pending", _("Awaiting review"), "clock", "wait")
    if status == "undecided":
        return Mark("undecided", _("Not decided"), "alert", "warn")
    if status == "reviewed":
        return Mark("reviewed", _("Reviewed"), "check-circle", "ok")
    if attempt.correct:
        return Mark("correct", _("Correct"), "check", "ok")
    outcome = (attempt.result or {}).get("outcome", "")
    score = attempt.score
    if outcome == "partially_correct" or (score is not None and 0 < score < 1):
        return Mark("partial", _("Partly correct"), "partial", "warn")
    if score is not None and score >= 1:
        return Mark("correct", _("Correct"), "check", "ok")
    return Mark("incorrect", _("Not quite"), "x", "bad")


def part_mark(part: dict[str, Any]) -> str:
    """The class a part's line gets in a verdict: ok, partial, no, review (neutral) or skip."""
    outcome = part.get("outcome")
    if part.get("carried_forward") and (part.get("score") or 0) > 0 and outcome != "correct":
        return "partial"
    if outcome == "correct" or part.get("correct"):
        return "ok"
    if outcome == "needs_review":
        return "review"
    if outcome in ("not_graded", "invalid", "undecided"):
        return "skip"
    if outcome == "partially_correct":
        return "partial"
    return "no"


#: Where an attempt stands for a teacher (``grades.selectors.attempt_state``).
TEACHER_STATE_LABELS: dict[str, Callable[[], str]] = {
    "pending": lambda: _("awaiting review"),
    "draft": lambda: _("draft"),
    "returned": lambda: _("returned"),
    "graded": lambda: _("auto-graded"),
    "overridden": lambda: _("overridden"),
    "regraded": lambda: _("regraded"),
    "undecided": lambda: _("undecided"),
}


ITEM_TYPE_LABELS: dict[str, Callable[[], str]] = {
    "numeric": lambda: _("number"),
    "symbolic": lambda: _("expression"),
    "multiple_choice": lambda: _("multiple choice"),
    "multipart": lambda: _("multipart"),
    "free_text": lambda: _("free text"),
    "exercise": lambda: _("exercise"),
    "short_text": lambda: _("short text"),
    "matching": lambda: _("matching"),
}


def item_type_label(kind: str) -> str:
    label = ITEM_TYPE_LABELS.get(kind)
    return label() if label else kind


GRADE_SOURCE_LABELS: dict[str, Callable[[], str]] = {
    "auto": lambda: _("graded automatically"),
    "review": lambda: _("teacher's review"),
    "override": lambda: _("override"),
    "regrade": lambda: _("regrade"),
}


def grade_source_label(source: str) -> str:
    label = GRADE_SOURCE_LABELS.get(source)
    return label() if label else source


def teacher_state(attempt: Any) -> str:
    from gradebook.grades.selectors import attempt_state

    return attempt_state(attempt)
