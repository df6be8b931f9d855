"""Teachers' side of grading: reviews of hand-graded answers and regrade runs after a key fix.

A ``Review`` holds a teacher's rubric scores and comment for one free-text or exercise attempt;
it stays a draft (invisible to the student) until it is returned, which is when the score goes
through ``Attempt.change_score`` and the student sees it.

A ``RegradeRun`` is computed in the background as a *preview*: one ``RegradeChange`` row per
attempt whose score would change. Applying it applies exactly those rows, skipping any attempt
whose grade moved since the preview, so a teacher never confirms one thing and gets another.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _


class ReviewState(models.TextChoices):
    DRAFT = "draft"
    RETURNED = "returned"


class RubricError(ValueError):
    """Rubric scores that do not fit the item's rubric; the message names the criterion."""

    def __init__(self, message: str, *, field: str = "rubric_scores") -> None:
        super().__init__(message)
        self.field = field


def rubric_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's own rubric criteria as ``[{id, criterion, points, description}]``."""
    from gradebook.grades.rubric import criteria_of

    return criteria_of(spec.get("rubric"))


def rubric_steps(points: float) -> list[float]:
    """The values a teacher can click for a criterion worth ``points``: 0, 1, ..., points.

    Half points are offered when the criterion is worth a fractional number of points.
    """
    step = 1.0 if float(points).is_integer() else 0.5
    values: list[float] = []
    value = 0.0
    while value <= points + 1e-9:
        values.append(round(value, 2))
        value += step
    if values[-1] != points:
        values.append(points)
    return values


class Review(models.Model):
    attempt = models.OneToOneField(
        "quizzes.Attempt", on_delete=models.CASCADE, related_name="review"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews_written",
    )
    state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.DRAFT)
    # {criterion id: points awarded}; empty when the item has no rubric.
    rubric_scores = models.JSONField(default=dict, blank=True)
    # Points out of the item's points, used only when the item has no rubric.
    points = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"review of {self.attempt_id} ({self.state})"

    @property
    def is_returned(self) -> bool:
        return self.state == ReviewState.RETURNED

    def set_scores(
        self,
        *,
        criteria: list[dict[str, Any]],
        max_points: float,
        rubric_scores: dict[str, Any] | None,
        points: Any = None,
    ) -> None:
        """Check and store the scores; raise ``RubricError`` naming the bad criterion.

        With a rubric every criterion must be scored between 0 and its points (a draft may
        leave some out); without one, ``points`` is checked against the item's points.
        """
        if criteria:
            known = {c["id"]: c for c in criteria}
            clean: dict[str, float] = {}
            for key, raw in (rubric_scores or {}).items():
                if key not in known:
                    raise RubricError(
                        _("Unknown rubric criterion '%(key)s'.") % {"key": key},
                        field=f"rubric_scores.{key}",
                    )
                if raw is None or raw == "":
                    continue
                value = _number(raw, f"rubric_scores.{key}")
                if value < 0 or value > known[key]["points"]:
                    raise RubricError(
                        _("%(criterion)s: %(raw)s is outside 0 to %(max)s points.")
                        % {
                            "criterion": known[key]["criterion"],
                            "raw": raw,
                            "max": _fmt(known[key]["points"]),
                        },
                        field=f"rubric_scores.{key}",
                    )
                clean[key] = value
            self.rubric_scores = clean
            self.points = None
        else:
            self.rubric_scores = {}
            if points is None or points == "":
                self.points = None
            else:
                value = _number(points, "points")
                if value < 0 or value > max_points:
                    raise RubricError(
                        _("Points: %(points)s is outside 0 to %(max)s.")
                        % {"points": points, "max": _fmt(max_points)},
                        field="points",
                    )
                self.points = value

    def missing_criteria(self, criteria: list[dict[str, Any]]) -> list[str]:
        return [c["criterion"] for c in criteria if c["id"] not in self.rubric_scores]

    def score_fraction(self, *, plan: Any, max_points: float) -> float | None:
        """The score in [0, 1] this review gives (see ``rubric.ReviewPlan``), or None while
        it is incomplete."""
        if not plan.uses_points:
            return plan.score(self.rubric_scores)
        if self.points is None:
            return None
        return self.points / max_points if max_points else 0.0


def _number(raw: Any, field: str) -> float:
    if isinstance(raw, bool):
        raise RubricError(
            _("%(field)s: '%(raw)s' is not a number.") % {"field": field, "raw": raw}, field=field
        )
    try:
        value = float(Decimal(str(raw).strip()))
    except Exception:
        raise RubricError(
            _("%(field)s: '%(raw)s' is not a number.") % {"field": field, "raw": raw}, field=field
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise RubricError(
            _("%(field)s: '%(raw)s' is not a number.") % {"field": field, "raw": raw}, field=field
        )
    return value


def _fmt(value: float) -> str:
    return f"{value:g}"


class RegradeStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    PREVIEWED = "previewed"  # waiting for the teacher to apply (or discard) it
    APPLIED = "applied"
    FAILED = "failed"
    DISCARDED = "discarded"


#: States in which a run is still being worked on: at most one per item.
ACTIVE_REGRADE_STATUSES = (RegradeStatus.QUEUED, RegradeStatus.RUNNING)


class RegradeRun(models.Model):
    item = models.ForeignKey("courses.Item", on_delete=models.CASCADE, related_name="regrade_runs")
    # The key the preview was computed against: applying refuses if the item moved on since.
    revision = models.ForeignKey(
        "courses.ItemRevision", on_delete=models.PROTECT, related_name="regrade_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="regrade_runs",
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=12, choices=RegradeStatus.choices, default=RegradeStatus.QUEUED, db_index=True
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Counts: total, changed, raised, lowered, unchanged, kept_override, kept_review, undecided;
    # after applying also applied and skipped_stale.
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(
        default=0, help_text="How many times a worker claimed it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    previewed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # When students' XP caught up with the applied grades (a task after the apply commits).
    progress_synced_at = models.DateTimeField(null=True, blank=True)

    #: A running claim whose heartbeat is older than this may be taken over by another worker.
    STALE_AFTER = timedelta(minutes=10)
    MAX_ATTEMPTS = 3

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"regrade {self.pk} of {self.item_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REGRADE_STATUSES

    @property
    def percent_done(self) -> int:
        if not self.progress_total:
            return 100 if self.status not in ACTIVE_REGRADE_STATUSES else 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    def is_stale(self, now: Any = None) -> bool:
        now = now or timezone.now()
        beat = self.heartbeat_at or self.started_at
        return self.status == RegradeStatus.RUNNING and (
            beat is None or now - beat > self.STALE_AFTER
        )


class RegradeOutcome(models.Model):
    """One distinct grading result in a preview, shared by every attempt that got it.

    A class gives the same few answers over and over: storing the grader's result once per
    distinct answer (not per attempt) keeps a 100,000-answer preview small and fast to write.
    """

    run = models.ForeignKey(RegradeRun, on_delete=models.CASCADE, related_name="outcomes")
    outcome = models.CharField(max_length=20)
    # The grader's own score before the retry penalty (becomes ``Attempt.auto_score``).
    auto_score = models.FloatField(null=True, blank=True)
    correct = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True)
    interpreted_as = models.CharField(max_length=500, blank=True)
    misconception = models.CharField(max_length=100, blank=True)
    feedback = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.outcome} {self.interpreted_as!r}"


class RegradeChange(models.Model):
    """One attempt whose score the previewed regrade would change, and to what."""

    run = models.ForeignKey(RegradeRun, on_delete=models.CASCADE, related_name="changes")
    attempt = models.ForeignKey("quizzes.Attempt", on_delete=models.CASCADE, related_name="+")
    outcome = models.ForeignKey(RegradeOutcome, on_delete=models.CASCADE, related_name="+")
    old_score = models.FloatField(null=True, blank=True)
    new_score = models.FloatField(null=True, blank=True)
    old_correct = models.BooleanField(default=False)
    new_correct = models.BooleanField(default=False)
    # The attempt's grade as the preview saw it: applying skips it if any of these moved.
    seen_source = models.CharField(max_length=20)
    seen_change_id = models.BigIntegerField(null=True, blank=True)
    applied = models.BooleanField(default=False)
    skipped_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt"], name="unique_regrade_change")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.old_score} -> {self.new_score}"

    @property
    def delta(self) -> float:
        return (self.new_score or 0.0) - (self.old_score or 0.0)


class FeedbackSeen(models.Model):
    """When a student last opened the feedback page of one of their attempts.

    A teacher's review or override newer than this (``GradeChange.changed_at``) is "new
    feedback": the dashboard, the lesson page and My grades point the student to it until
    they open it. No row means the student never opened it.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_seen"
    )
    attempt = models.ForeignKey(
        "quizzes.Attempt", on_delete=models.CASCADE, related_name="feedback_seen"
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "attempt"], name="unique_feedback_seen")
        ]

    def __str__(self) -> str:
        return f"{self.student} saw {self.attempt_id} at {self.seen_at:%Y-%m-%d %H:%M}"

    @classmethod
    def mark(cls, *, student: Any, attempt: Any) -> None:
        cls.objects.update_or_create(
            student=student, attempt=attempt, defaults={"seen_at": timezone.now()}
        )


class AppealState(models.TextChoices):
    OPEN = "open"
    KEPT = "kept"
    CHANGED = "changed"


class Appeal(models.Model):
    """A student's request that a teacher look again at a scored attempt, and the answer.

    The student writes why; a teacher of the course keeps the grade or changes it, and writes
    a reply either way. A changed grade goes through ``Attempt.change_score`` like any other
    teacher's grade (``change`` points at that history row), so XP, the gradebook and the
    LMS passback follow. One appeal per attempt is open at a time.
    """

    attempt = models.ForeignKey("quizzes.Attempt", on_delete=models.CASCADE, related_name="appeals")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals"
    )
    comment = models.TextField()
    state = models.CharField(max_length=10, choices=AppealState.choices, default=AppealState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    score_at_appeal = models.FloatField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appeals_answered",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True)
    change = models.ForeignKey(
        "quizzes.GradeChange", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt"],
                condition=models.Q(state="open"),
                name="one_open_appeal_per_attempt",
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"appeal {self.pk} on attempt {self.attempt_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state == AppealState.OPEN
