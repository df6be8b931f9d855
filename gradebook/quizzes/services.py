"""Answering an item: the one write path every answer goes through (quizzes, API, exercises).

``submit_answer`` grades first (outside any lock: grading is CPU work with its own time
budget), then stores the attempt and the progress it earns in one transaction.

Decisions written down here because other apps rely on them:

- An answer the grader cannot read (outcome ``invalid``: empty, malformed, too long, wrong
  unit dimension...) is **not stored and does not count as a try**. ``submit_answer`` raises
  ``InvalidAnswer`` carrying the grader's message (and the position of the bad character when
  the grader gives one); the API answers 400 with that message, the lesson page shows it.
- ``undecided`` (the grader's time budget was spent) is stored with status ``undecided`` and
  no score; it counts as a try (the student did submit) but is never reported as wrong.
- Free text and exercises are stored as ``pending_review`` with no score until a teacher
  returns them.
- A retry penalty ``p`` multiplies the grader's score by ``(1 - p) ** (number - 1)``.
- The same idempotency key from the same student returns the first attempt, unchanged.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

import graders
from gradebook import hotpath
from gradebook.courses.models import Item
from gradebook.progress.services import (
    ItemState,
    ItemXP,
    may_skip_progress_lock,
    on_attempt_scored,
)
from gradebook.quizzes import run_values
from gradebook.quizzes.models import Attempt, AttemptStatus
from gradebook.quizzes.signals import announce
from gradebook.refusals import Refusal
from gradebook.textsafety import bidi_message, first_bidi_control

log = logging.getLogger(__name__)

#: How many times a submit re-reads the next attempt number after losing a race for it.
_NUMBER_RETRIES = 10
MAX_IDEMPOTENCY_KEY = 100


class SubmitError(Refusal):
    """A submission that was refused; nothing was stored. ``field`` names the bad input."""

    def __init__(self, message: str, *, field: str | None = "response") -> None:
        super().__init__(message, field=field)


class InvalidAnswer(SubmitError):
    """The grader could not read the answer; carries its ``Result`` (as a dict) for the UI."""

    code = "invalid_answer"

    def __init__(self, message: str, *, result: dict[str, Any] | None = None) -> None:
        super().__init__(message, field="response")
        self.result = result or {}


class AttemptLimitReached(SubmitError):
    code = "attempt_limit"
    status = 409

    def __init__(self, limit: int) -> None:
        super().__init__(f"You have used all {limit} attempts at this item.", field=None)
        self.limit = limit


class IdempotencyKeyReused(SubmitError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This idempotency key was already used for a different item.",
            field="idempotency_key",
        )


class NoRunYet(SubmitError):
    """A "your run" item answered before the student has a run to be asked about."""

    code = "no_run"
    status = 409

    def __init__(self, run: run_values.NoRun) -> None:
        super().__init__(
            gettext(
                "This question is about your own run of “%(exercise)s”: run the exercise "
                "first, then answer."
            )
            % {"exercise": run.exercise_title},
            field=None,
        )
        self.url = run.url


def variant_seed(student: Any, item: Item) -> int:
    """A stable seed per (student, item): the same student always sees the same variant.

    Built from the course slug and item key (not database ids) so that re-importing a bank
    keeps every student's variant.
    """
    raw = f"{student.pk}:{item.course.slug}:{item.key}".encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def variant_params(student: Any, item: Item) -> dict[str, Any]:
    """The parameter values of this student's variant of ``item`` ({} when it has none).

    A "your run" item (``from_run``) takes them from the student's own model run instead.
    """
    return params_and_run(student, item)[0]


def params_and_run(
    student: Any, item: Item
) -> tuple[dict[str, Any], run_values.RunValues | run_values.NoRun | None]:
    """The variant's params and, for a "your run" item, the run they come from (one lookup)."""
    if not item.spec.get("params"):
        return {}, None
    params = graders.variant(item.spec, variant_seed(student, item))
    run = run_values.run_for(student, item) if "from_run" in item.spec else None
    if isinstance(run, run_values.RunValues):
        params = run_values.overlay(params, run)
    return params, run


def retry_factor(penalty: float, number: int) -> float:
    """What remains of full credit on try ``number`` (1-based) with penalty ``p`` per retry."""
    return (1.0 - penalty) ** max(number - 1, 0)


@dataclass(frozen=True)
class _Graded:
    status: str
    auto_score: float | None
    correct: bool
    feedback: str
    result: dict[str, Any]
    interpreted_as: str
    misconception: str
    grader_version: str


def _interpreted_as(result: Any) -> str:
    """The canonical reading of the answer; for multipart items, ``part: reading`` pairs."""
    interp = getattr(result, "interpretation", None)
    if interp is not None and interp.ok:
        return str(interp.canonical)
    parts = [
        f"{p.id}: {p.interpretation.canonical}"
        for p in getattr(result, "parts", [])
        if p.interpretation is not None and p.interpretation.ok
    ]
    return "; ".join(parts)


class BrokenItem(SubmitError):
    code = "broken_item"

    def __init__(self) -> None:
        super().__init__(
            "This item cannot be graded right now (its spec is invalid); your answer was not "
            "recorded. Please tell your teacher.",
            field=None,
        )


def _grade(item: Item, response: Any, params: dict[str, Any]) -> _Graded:
    try:
        result = graders.grade(item.spec, response, params=params)
    except (graders.InvalidSpec, ValueError):
        # Imports validate specs, so this is an operator's problem, not the student's: log it
        # loudly and refuse the answer without storing it.
        log.exception("item %s has a spec the grader refuses", item.pk)
        raise BrokenItem() from None
    data = result.to_dict()
    outcome = result.outcome
    feedback = result.feedback or ""
    if outcome == "invalid":
        raise InvalidAnswer(feedback or "This answer could not be read.", result=data)
    wrong_unit = wrong_dimension(item.spec, result)
    if wrong_unit:
        # A unit of another kind (4 kg for a time) says nothing about the value: like a
        # missing unit it is not a try, in every item type (a multipart part included).
        raise InvalidAnswer(wrong_unit, result=data)
    if outcome == "needs_review" or item.is_reviewed:
        status, score, correct = AttemptStatus.PENDING_REVIEW, None, False
    elif outcome == "undecided":
        status, score, correct = AttemptStatus.UNDECIDED, None, False
    else:
        score = float(result.score) if result.score is not None else 0.0
        status, correct = AttemptStatus.GRADED, outcome == "correct"
    misconception = result.misconception or next(
        (p.misconception for p in result.parts if p.misconception), ""
    )
    return _Graded(
        status=status,
        auto_score=score,
        correct=correct,
        feedback=feedback,
        result=data,
        interpreted_as=_interpreted_as(result)[:500],
        misconception=(misconception or "")[:100],
        grader_version=(result.grader_version or graders.GRADER_VERSION)[:40],
    )


WRONG_DIMENSION_TAG = "unit-dimension"


def _other_dimension(spec: dict[str, Any], interp: Any) -> bool:
    """Whether the unit typed is of another kind than the part's unit (kg for a time)."""
    from graders.units import lookup

    wanted, typed = spec.get("unit"), getattr(interp, "unit", None) if interp else None
    if not wanted or not typed:
        return False
    a, b = lookup(str(wanted)), lookup(str(typed))
    return a is not None and b is not None and a.dim != b.dim


def wrong_dimension(spec: dict[str, Any], result: Any) -> str:
    """The grader's message when an answer (or a part of one) has a unit of the wrong kind,
    else ''. The grader calls such an answer incorrect; the app does not count it as a try."""
    if not result.parts:
        if result.misconception == WRONG_DIMENSION_TAG or _other_dimension(
            spec, result.interpretation
        ):
            return result.feedback or "That unit is of the wrong kind for this answer."
        return ""
    parts = {str(p.get("id")): p for p in spec.get("parts", []) or [] if isinstance(p, dict)}
    for part in result.parts:
        part_spec = parts.get(str(part.id), {})
        if part.misconception == WRONG_DIMENSION_TAG or _other_dimension(
            part_spec, part.interpretation
        ):
            label = str(part_spec.get("label") or part.id)
            return f"Check {label}: {part.feedback}"
    return ""


def _existing_for_key(student: Any, item: Item, key: str) -> Attempt | None:
    attempt = Attempt.objects.filter(student=student, idempotency_key=key).first()
    if attempt is not None and attempt.item_id != item.pk:
        raise IdempotencyKeyReused()
    return attempt


def _replayed(facts: hotpath.AnswerFacts, item: Item) -> Attempt | None:
    """The attempt this answer's idempotency key already made, if it made one."""
    if facts.replay_id is None:
        return None
    existing = Attempt.objects.get(pk=facts.replay_id)
    if existing.item_id != item.pk:
        raise IdempotencyKeyReused()
    existing.replayed = True
    return existing


def _nul_position(value: Any) -> int | None:
    """Where the first U+0000 is in a response (strings, list items, dict keys and values)."""
    if isinstance(value, str):
        index = value.find("\x00")
        return None if index < 0 else index
    if isinstance(value, dict):
        for k, v in value.items():
            for part in (k, v):
                found = _nul_position(part)
                if found is not None:
                    return found
    if isinstance(value, list):
        for v in value:
            found = _nul_position(v)
            if found is not None:
                return found
    return None


def submit_answer(
    *,
    student: Any,
    item: Item,
    response: Any,
    idempotency_key: str | None = None,
) -> Attempt:
    """Grade ``response`` to ``item`` for ``student``, store the attempt, award progress.

    Access is the caller's job (``access.item_for_student``). Raises ``SubmitError``
    subclasses for refusals (nothing stored). Safe to call inside the caller's own
    transaction: the writes use a savepoint, so a lost race on the attempt number or the
    idempotency key is retried without breaking the outer transaction.

    >>> attempt = submit_answer(student=alice, item=item, response="-ln(0.3)")
    >>> attempt.correct, attempt.number
    (True, 1)
    """
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise SubmitError(
            f"The idempotency key is {len(key)} characters long; at most "
            f"{MAX_IDEMPOTENCY_KEY} are allowed.",
            field="idempotency_key",
        )

    nul = _nul_position(response)
    if nul is not None:
        # PostgreSQL cannot store U+0000 in text or jsonb; no real answer contains it.
        raise InvalidAnswer(
            f"The answer contains an invisible NUL character (U+0000) at position {nul + 1}; "
            "remove it and submit again."
        )
    bidi = first_bidi_control(response)
    if bidi is not None:
        raise InvalidAnswer(bidi_message(gettext("The answer"), *bidi))

    # Grading is pure CPU with its own time budget: do it before taking any lock. A replayed
    # key is graded again for nothing, which is rare and cheaper than a query on every answer.
    params, run = params_and_run(student, item)
    if isinstance(run, run_values.NoRun):
        raise NoRunYet(run)
    graded = _grade(item, response, params)
    revision_id = hotpath.revision_id(item)

    submitted_at = timezone.now()
    answer = _Answer(
        student=student,
        item=item,
        key=key,
        response=response,
        params=params,
        graded=graded,
        revision_id=revision_id,
        submitted_at=submitted_at,
    )
    unlocked = not graded.correct  # earns no XP: see _store_unlocked
    for _ in range(_NUMBER_RETRIES):
        try:
            if unlocked:
                attempt = _store_unlocked(answer)
                if attempt is not None:
                    return attempt
            with transaction.atomic():
                # One writer per student at a time (a row lock on PostgreSQL, held until the
                # outermost transaction commits): the next number, the attempt limit and the
                # progress totals are read and written without a race. SQLite has no row
                # locks; there the unique constraints and this retry loop do the same job.
                progress, facts = hotpath.lock_progress_and_read_facts(student.pk, item.pk, key)
                replayed = _replayed(facts, item)
                if replayed is not None:
                    return replayed
                attempt = answer.store(facts)
                attempt.awards = on_attempt_scored(
                    attempt, progress=progress, item_xp=ItemXP(facts.award_id, facts.award_xp)
                )
                return attempt
        except IntegrityError:
            # Either a concurrent submit took this number (try the next one) or a concurrent
            # double submit with the same key won (return its attempt). Answers racing at the
            # same item queue up on the lock from now on.
            unlocked = False
            if key is not None:
                existing = _existing_for_key(student, item, key)
                if existing is not None:
                    existing.replayed = True
                    return existing
    raise SubmitError("Too many answers at once for this item; please submit again.", field=None)


@dataclass(frozen=True)
class _Answer:
    """A graded answer on its way to becoming an ``Attempt``."""

    student: Any
    item: Item
    key: str | None
    response: Any
    params: dict[str, Any]
    graded: _Graded
    revision_id: int
    submitted_at: datetime.datetime

    def store(self, facts: hotpath.AnswerFacts) -> Attempt:
        """Insert the attempt that comes after ``facts``; refuse one past the item's limit."""
        item, graded, number = self.item, self.graded, facts.number
        if item.max_attempts and number > item.max_attempts:
            raise AttemptLimitReached(item.max_attempts)
        score = graded.auto_score
        if score is not None and item.retry_penalty:
            score = score * retry_factor(item.retry_penalty, number)
        attempt = hotpath.insert_attempt(
            student=self.student,
            item=item,
            revision_id=self.revision_id,
            number=number,
            idempotency_key=self.key,
            response=self.response,
            params=self.params,
            status=graded.status,
            auto_score=graded.auto_score,
            score=score,
            correct=graded.correct,
            feedback=graded.feedback,
            result=graded.result,
            grader_version=graded.grader_version,
            interpreted_as=graded.interpreted_as,
            misconception=graded.misconception,
            submitted_at=self.submitted_at,
        )
        announce(Attempt, [(attempt.student_id, attempt.item_id)])
        attempt.awards = []
        attempt.replayed = False
        attempt.item_state = ItemState(
            attempts=number,
            correct=facts.had_correct or attempt.correct,
            pending_review=facts.had_pending or attempt.status == AttemptStatus.PENDING_REVIEW,
        )
        return attempt


def _store_unlocked(answer: _Answer) -> Attempt | None:
    """Store an answer without the student's progress lock where progress says it may skip
    it (``progress.services.may_skip_progress_lock``); None (nothing stored) where not.

    Such an answer only adds its row: its number and idempotency key are kept unique by the
    table's unique constraints, so a concurrent answer at the same item makes one of the two
    fail, and the caller's retry reads the next number. Two round trips instead of five.
    """
    facts = hotpath.answer_facts(answer.student.pk, answer.item.pk, answer.key)
    replayed = _replayed(facts, answer.item)
    if replayed is not None:
        return replayed
    if not may_skip_progress_lock(
        correct=answer.graded.correct,
        number=facts.number,
        max_attempts=answer.item.max_attempts,
        last_active_on=facts.last_active_on,
        day=timezone.localdate(answer.submitted_at),
    ):
        return None
    # Inside a caller's transaction, a savepoint keeps a lost race from breaking it; outside
    # one, the INSERT commits on its own.
    with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
        return answer.store(facts)


def interpret_answer(
    *, student: Any, item: Item, text: str, part: str | None = None
) -> dict[str, Any]:
    """What the grader reads ``text`` as, for the live preview: nothing is stored.

    Returns the ``Interpretation`` as a dict whose ``mathml`` went through the same sanitiser
    as lesson text, so the page may insert it as HTML.
    """
    from gradebook.courses.rendering import render_math

    if part and not any(
        isinstance(p, dict) and str(p.get("id")) == part for p in item.spec.get("parts", []) or []
    ):
        raise SubmitError(f"This item has no part “{part}”.", field="part")
    try:
        interp = graders.interpret(
            item.spec, text, part=part or None, params=variant_params(student, item)
        )
    except (graders.InvalidSpec, ValueError):
        log.exception("item %s has a spec the grader refuses", item.pk)
        raise BrokenItem() from None
    data = interp.to_dict()
    data["mathml"] = str(render_math(interp.latex)) if interp.ok and interp.latex else ""
    return data
