"""Lesson discussion, problem reports and in-app notifications.

The lesson pages the course comes from carry a comment thread and a "report a problem" link on
every page. Comments are one level deep (a reply answers a top-level comment, as on those
pages), written in Markdown and rendered through the safe allow-list; the author edits or
deletes their own, the course's teachers hide any. A problem report points at a lesson or an
item *and the item's revision*, so the teacher reads what the student saw even after a fix.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_COMMENT = 4000
MAX_REPORT = 2000


class Comment(models.Model):
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lesson", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on lesson {self.lesson_id} by {self.author_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ReportState(models.TextChoices):
    OPEN = "open"
    FIXED = "fixed"
    DISMISSED = "dismissed"


class ProblemReport(models.Model):
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        "courses.Item", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    item_revision = models.PositiveIntegerField(null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="problem_reports"
    )
    text = models.TextField()
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["course", "state", "created_at"])]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.state}) on {self.item_id or self.lesson_id}"


class Notification(models.Model):
    """Something for one user to look at: a reply to their comment, an answer to their report."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20)  # "reply", "report_answered"
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.text}"
