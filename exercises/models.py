"""Exercise submissions and the generation jobs that run them through real models.

``GenerationJob`` is the source of truth for a model run: the Celery message only carries its
id. A worker claims a job with a conditional UPDATE (status and attempt count in the WHERE
clause) so a duplicate delivery finds nothing to do, and records outputs together with the
job's success in one transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ExerciseSubmission(models.Model):
    # Every exercise submission is also an Attempt, so review, the gradebook and XP treat it
    # like any other answer.
    attempt = models.OneToOneField(
        "quizzes.Attempt", on_delete=models.CASCADE, related_name="exercise_submission"
    )
    prompt = models.TextField()
    reflection = models.TextField(blank=True)
    settings = models.JSONField(default=dict, blank=True, help_text="Validated generation settings.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"exercise submission {self.pk} ({self.attempt})"


class JobKind(models.TextChoices):
    TEXT = "text"
    IMAGE = "image"


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: States in which a job still counts against a student's quota of waiting jobs.
WAITING_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class GenerationJob(models.Model):
    submission = models.ForeignKey(
        ExerciseSubmission, on_delete=models.CASCADE, related_name="jobs"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs"
    )
    kind = models.CharField(max_length=10, choices=JobKind.choices)
    status = models.CharField(
        max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    settings = models.JSONField(default=dict)
    progress_step = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    error = models.TextField(blank=True, help_text="A message a student understands.")
    error_detail = models.TextField(blank=True, help_text="For operators: the exception.")
    worker = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=50, blank=True)
    model_id = models.CharField(max_length=300, blank=True)
    model_revision = models.CharField(max_length=100, blank=True)
    untrained_model = models.BooleanField(
        default=False, help_text="Outputs come from a randomly initialised model: label them."
    )
    timings = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Metadata: scoreboard, seed, ...")
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "kind"], name="unique_job_per_kind")
        ]
        indexes = [models.Index(fields=["student", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"


class GenerationOutput(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text"
        IMAGE = "image"
        FRAME = "frame"  # one filmstrip frame: the image decoded at an intermediate step

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="outputs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # 0 for the final text/image; the denoising step for a filmstrip frame.
    step = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="generations/%Y/%m/%d/", blank=True)
    text = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "kind", "step"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "kind", "step"],
                name="unique_output_per_step",
            )
        ]
