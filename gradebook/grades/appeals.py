"""Appeals: a student asks for a scored attempt to be looked at again; a teacher answers.

The rules a grade dispute needs, and nothing else:
- only the attempt's student appeals, only once the grade is theirs to see (graded, or a
  review returned), with a reason, one open appeal at a time and at most ``MAX_PER_ATTEMPT``;
- a teacher of the course answers with a reply, keeping the grade or changing it; a change
  goes through ``Attempt.change_score`` (an override for auto-graded answers, a review score for
  reviewed ones), so the history, XP and the LMS passback follow the usual path;
- the answer reaches the student as new feedback on the attempt.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gradebook.grades.models import Appeal, AppealState
from gradebook.grades.services import _after_scored, needs_teacher, score_from_points
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeSource
from gradebook.refusals import Refusal
from gradebook.textsafety import bidi_message, first_bidi_control

#: Refusals that say "not in a state for this" (409), not "your input is wrong" (400).
_CONFLICTS = {"not_graded", "appeal_open", "too_many_appeals", "already_answered", "not_yours"}


class AppealRefused(Refusal):
    """A refused appeal action; nothing was stored."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message, field=field, code=code, status=409 if code in _CONFLICTS else 400)


MAX_PER_ATTEMPT = 2
MAX_TEXT = 2000
_EPS = 1e-9


def _text(value: Any, field: str, what: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise AppealRefused(_("%(what)s: write a few words.") % {"what": what}, field=field)
    if len(text) > MAX_TEXT:
        raise AppealRefused(
            _("%(what)s: at most %(n)s characters (this one has %(m)s).")
            % {"what": what, "n": MAX_TEXT, "m": len(text)},
            field=field,
        )
    found = first_bidi_control(text)
    if found is not None:
        raise AppealRefused(bidi_message(what, *found), field=field)
    return text


def can_appeal(attempt: Attempt) -> bool:
    """Whether the student may open an appeal on ``attempt`` now (for showing the form)."""
    return _refusal(attempt) is None


def _refusal(attempt: Attempt) -> AppealRefused | None:
    if attempt.score is None or attempt.status not in (
        AttemptStatus.GRADED,
        AttemptStatus.REVIEWED,
    ):
        return AppealRefused(
            _("This answer has no grade yet: appeal once it is graded."), code="not_graded"
        )
    appeals = list(attempt.appeals.values_list("state", flat=True))
    if AppealState.OPEN in appeals:
        return AppealRefused(
            _("Your appeal on this answer is waiting for a teacher."), code="appeal_open"
        )
    if len(appeals) >= MAX_PER_ATTEMPT:
        return AppealRefused(
            _("This answer has been appealed %(n)s times; ask your teacher directly.")
            % {"n": MAX_PER_ATTEMPT},
            code="too_many_appeals",
        )
    return None


def appeal_open(*, attempt: Attempt, student: Any, comment: Any) -> Appeal:
    """The student's appeal on their own ``attempt`` (the caller checked it is theirs)."""
    if attempt.student_id != getattr(student, "pk", None):
        raise AppealRefused(_("Only the student who answered can appeal."), code="not_yours")
    text = _text(comment, "comment", _("Your reason"))
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        refusal = _refusal(locked)
        if refusal is not None:
            raise refusal
        try:
            with transaction.atomic():
                return Appeal.objects.create(
                    attempt=locked, student=student, comment=text, score_at_appeal=locked.score
                )
        except IntegrityError:  # a double submit that raced past the lock
            raise AppealRefused(
                _("Your appeal on this answer is waiting for a teacher."), code="appeal_open"
            ) from None


def appeal_answer(
    *, appeal: Appeal, by: Any, decision: str, reply: Any, points: Any = None
) -> Appeal:
    """A teacher's answer: ``decision`` is "keep" or "change" (then ``points`` is the new grade)."""
    if decision not in ("keep", "change"):
        raise AppealRefused(
            _("Decision: choose keep or change (got '%(d)s').") % {"d": decision},
            field="decision",
        )
    text = _text(reply, "reply", _("The reply"))
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if not locked.is_open:
            raise AppealRefused(_("This appeal was already answered."), code="already_answered")
        attempt = (
            Attempt.objects.select_for_update().select_related("item").get(pk=locked.attempt_id)
        )
        if decision == "change":
            score = score_from_points(attempt.item, points)
            if attempt.score is not None and abs(score - attempt.score) < _EPS:
                raise AppealRefused(
                    _("That is the grade it has: choose keep, or give other points."),
                    field="points",
                )
            reviewed = needs_teacher(attempt)
            locked.change = attempt.change_score(
                score,
                by=by,
                reason=_("Appeal: %(reply)s") % {"reply": text},
                source=GradeSource.REVIEW if reviewed else GradeSource.OVERRIDE,
                status=None if reviewed else AttemptStatus.GRADED,
                correct=None if reviewed else score >= 1 - _EPS,
            )
            locked.state = AppealState.CHANGED
        else:
            locked.state = AppealState.KEPT
        locked.reply = text
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.save(update_fields=["state", "reply", "answered_by", "answered_at", "change"])
        if decision == "change":
            _after_scored([attempt])
    return locked


def appeals_for_teacher(attempts: QuerySet[Attempt], *, state: str = "open") -> QuerySet[Appeal]:
    """Appeals on ``attempts`` (the teacher's own, from ``access``), oldest open first."""
    appeals = Appeal.objects.filter(attempt__in=attempts).select_related(
        "attempt", "attempt__item", "attempt__item__course", "student", "answered_by"
    )
    if state != "all":
        appeals = appeals.filter(state=state)
    return appeals.order_by("created_at", "id")


def appeal_data(appeal: Appeal) -> dict[str, Any]:
    points = float(appeal.attempt.item.points)

    def pts(score: float | None) -> float | None:
        return None if score is None else round(score * points, 2)

    return {
        "id": appeal.pk,
        "attempt": appeal.attempt_id,
        "student": appeal.student.get_username(),
        "comment": appeal.comment,
        "state": appeal.state,
        "created_at": appeal.created_at.isoformat(),
        "points_at_appeal": pts(appeal.score_at_appeal),
        "points_now": pts(appeal.attempt.score),
        "max_points": points,
        "reply": appeal.reply,
        "answered_by": appeal.answered_by.get_username() if appeal.answered_by else None,
        "answered_at": appeal.answered_at.isoformat() if appeal.answered_at else None,
    }
