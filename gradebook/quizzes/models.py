"""A student's answers (attempts) and every change ever made to their grade.

``Attempt.score`` is the effective score in [0, 1] of the item's points (after the retry
penalty, a teacher's review or an override); ``auto_score`` is what the grader said. Every
change to ``score`` goes through ``Attempt.change_score`` so the history is never skipped.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from gradebook.quizzes.signals import announce


class AttemptStatus(models.TextChoices):
    GRADED = "graded"  # auto-graded, final unless overridden
    UNDECIDED = "undecided"  # the grader ran out of its time budget: never reported as wrong
    PENDING_REVIEW = "pending_review"  # free text / exercise waiting for a teacher
    REVIEWED = "reviewed"  # a teacher returned it with a score


class GradeSource(models.TextChoices):
    AUTO = "auto"
    REVIEW = "review"
    OVERRIDE = "override"
    REGRADE = "regrade"


class Attempt(models.Model):
    # Every answer inserts a row here, and each index is a write on that path. The FK indexes on
    # student and item are left out because composite indexes lead with them (unique number:
    # student, item, number; and item, student); interpreted_as and misconception are only
    # ever read within one item or course, which those indexes already narrow.
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="attempts",
        db_index=False,
    )
    item = models.ForeignKey(
        "courses.Item", on_delete=models.PROTECT, related_name="attempts", db_index=False
    )
    revision = models.ForeignKey(
        "courses.ItemRevision", on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveIntegerField(help_text="1 for the first try at this item, then 2, ...")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    response = models.JSONField(
        help_text="What the student sent: text, or a dict for parts/choices."
    )
    params = models.JSONField(default=dict, blank=True, help_text="The student's item variant.")
    status = models.CharField(max_length=20, choices=AttemptStatus.choices)
    auto_score = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    score_source = models.CharField(
        max_length=20, choices=GradeSource.choices, default=GradeSource.AUTO
    )
    correct = models.BooleanField(default=False)
    feedback = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="The grader's Result, as a dict.")
    grader_version = models.CharField(max_length=40, blank=True)
    # What the grader read the answer as (canonical text): groups wrong answers in analytics.
    interpreted_as = models.CharField(max_length=500, blank=True)
    misconception = models.CharField(max_length=100, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "item", "number"], name="unique_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["student", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="unique_attempt_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "student"]),
            # Partial: only correct or waiting attempts are in them, so they cost a write only
            # then, and let submit_answer ask "already correct / waiting?" in O(1) however many
            # wrong tries came before.
            models.Index(
                fields=["student", "item"],
                condition=models.Q(correct=True),
                name="attempt_correct_idx",
            ),
            models.Index(
                fields=["student", "item"],
                condition=models.Q(status="pending_review"),
                name="attempt_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.item} #{self.number}"

    @property
    def is_overridden(self) -> bool:
        return self.score_source == GradeSource.OVERRIDE

    def change_score(
        self,
        new_score: float | None,
        *,
        by: Any,
        reason: str,
        source: str,
        status: str | None = None,
        correct: bool | None = None,
    ) -> GradeChange:
        """Set the effective score and record who, when, old, new and why in one transaction."""
        with transaction.atomic():
            change = GradeChange.objects.create(
                attempt=self,
                changed_by=by if getattr(by, "pk", None) else None,
                old_score=self.score,
                new_score=new_score,
                source=source,
                reason=reason,
            )
            self.score = new_score
            self.score_source = source
            fields = ["score", "score_source"]
            if status is not None:
                self.status = status
                fields.append("status")
            if correct is not None:
                self.correct = correct
                fields.append("correct")
            self.save(update_fields=fields)
            announce(Attempt, [(self.student_id, self.item_id)])
        return change

    @classmethod
    def change_scores_in_bulk(
        cls,
        changes: list[tuple[Attempt, float | None]],
        *,
        by: Any,
        reason: str,
        source: str,
        fields: tuple[str, ...] = (),
        batch_size: int = 1000,
    ) -> int:
        """``change_score`` for many attempts at once (a regrade), in one transaction; returns
        how many history rows it wrote.

        Writes exactly the history ``change_score`` writes (old from ``attempt.score``). The
        caller has already set any other new values on the attempts and names them in
        ``fields`` (``correct``, ``status``, ``result``...), so they are saved too.

        Attempts that get identical new values (a class gives the same answers) are written by
        one ``UPDATE ... WHERE id IN (...)`` per group: Django's ``bulk_update`` builds a CASE
        per row and field, which cost about 6 ms a row here. The history rows are written from
        tuples (``gradebook.bulksql.insert_rows``), without an instance per row.
        """
        from gradebook.bulksql import insert_rows

        now = timezone.now()
        by_id = by.pk if getattr(by, "pk", None) else None
        records = []
        groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[int]]] = {}
        names = ["score", "score_source", *fields]
        attnames = [cls._meta.get_field(name).attname for name in names]
        for attempt, new_score in changes:
            records.append((attempt.pk, by_id, now, attempt.score, new_score, source, reason))
            attempt.score = new_score
            attempt.score_source = source
            values = [getattr(attempt, attname) for attname in attnames]
            groups.setdefault(_group_key(values), (dict(zip(attnames, values, strict=True)), []))[
                1
            ].append(attempt.pk)
        with transaction.atomic():
            insert_rows(
                GradeChange,
                [
                    "attempt",
                    "changed_by",
                    "changed_at",
                    "old_score",
                    "new_score",
                    "source",
                    "reason",
                ],
                records,
                batch_size=batch_size,
            )
            for update, ids in groups.values():
                for start in range(0, len(ids), batch_size):
                    cls.objects.filter(pk__in=ids[start : start + batch_size]).update(**update)
            announce(cls, {(a.student_id, a.item_id) for a, _ in changes})
        return len(records)


def _group_key(values: list[Any]) -> tuple[Any, ...]:
    """A key that is equal for attempts getting equal new values. A JSON value (the grader's
    result) is keyed by identity: the attempts of one regrade outcome share its dict, and
    serialising it per attempt to compare them cost more than the UPDATE it saved."""
    key = []
    for value in values:
        try:
            hash(value)
        except TypeError:
            key.append(("object", id(value)))
        else:
            key.append((type(value).__name__, value))
    return tuple(key)


class GradeChange(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="grade_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    changed_at = models.DateTimeField(default=timezone.now)
    old_score = models.FloatField(null=True, blank=True)
    new_score = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=GradeSource.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.old_score} -> {self.new_score} ({self.source})"
