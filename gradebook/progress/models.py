"""What a student has earned: XP per item, finished lessons and unlocked achievements.

Each row is unique per (student, thing), so awarding is idempotent: calling
``progress.services.on_attempt_scored`` twice for the same attempt changes nothing, and a
teacher's later review or override recomputes the item's XP in place.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class XPAward(models.Model):
    """The XP one item earns one student: the best over their attempts at it."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="xp_awards"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("courses.Item", on_delete=models.CASCADE, related_name="xp_awards")
    attempt = models.ForeignKey(
        "quizzes.Attempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    xp = models.PositiveIntegerField(default=0)
    awarded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "item"], name="unique_xp_per_item")
        ]
        indexes = [models.Index(fields=["student", "course"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.xp} XP for {self.item_id}"


class LessonCompletion(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.CASCADE, related_name="completions"
    )
    # Every item correct at the first try: the "Clean sweep" achievement.
    perfect = models.BooleanField(default=False)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "lesson"], name="unique_lesson_completion")
        ]

    def __str__(self) -> str:
        return f"{self.student} finished {self.lesson}"


class AchievementUnlock(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements"
    )
    # A code from ``progress.achievements.CATALOGUE``; kept as text so retiring one never
    # deletes what students earned.
    code = models.CharField(max_length=50)
    course = models.ForeignKey(
        "courses.Course", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unlocked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unlocked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "code"], name="unique_achievement")
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.code}"


class StudentProgress(models.Model):
    """One row per student: running XP total and day streak, and the lock for their writes.

    ``XPAward`` rows stay the source of truth for XP; ``xp`` here is kept equal to their sum in
    the same transactions, so the hot path (every answer) need not add them up. Locking this
    row (``progress.services.lock_progress``) serialises one student's answers and awards.
    """

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress"
    )
    xp = models.PositiveIntegerField(default=0)
    last_active_on = models.DateField(null=True, blank=True)
    streak_days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.student}: {self.xp} XP, {self.streak_days}-day streak"

    def record_activity(self, day: datetime.date) -> bool:
        """Count ``day`` in the streak; returns whether anything changed (not saved here)."""
        if self.last_active_on is not None and day <= self.last_active_on:
            return False
        if self.last_active_on is not None and day - self.last_active_on == datetime.timedelta(
            days=1
        ):
            self.streak_days += 1
        else:
            self.streak_days = 1
        self.last_active_on = day
        return True

    def current_streak(self, today: datetime.date) -> int:
        """The streak as of ``today``: still alive if the last answer was today or yesterday."""
        if self.last_active_on is None or (today - self.last_active_on).days > 1:
            return 0
        return self.streak_days
