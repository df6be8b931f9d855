"""Exercise submissions and the generation jobs that run them through real models.

``GenerationJob`` is the source of truth for a model run: the Celery message only carries its
id. A worker claims a job with a conditional UPDATE (status and attempt count in the WHERE
clause) so a duplicate delivery finds nothing to do, and records outputs together with the
job's success in one transaction.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from exercises.runners.base import ImageRequest, TextRequest


class ExerciseSubmission(models.Model):
    # Every exercise submission is also an Attempt, so review, the gradebook and XP treat it
    # like any other answer.
    attempt = models.OneToOneField(
        "quizzes.Attempt", on_delete=models.CASCADE, related_name="exercise_submission"
    )
    prompt = models.TextField()
    reflection = models.TextField(blank=True)
    settings = models.JSONField(
        default=dict, blank=True, help_text="Validated generation settings."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"exercise submission {self.pk} ({self.attempt})"

    @property
    def student(self) -> Any:
        return self.attempt.student

    @property
    def item(self) -> Any:
        return self.attempt.item

    @property
    def is_finished(self) -> bool:
        """No job is queued or running any more (each succeeded or failed)."""
        return not any(job.is_waiting for job in self.jobs.all())


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


def model_display_name(model_id: str) -> str:
    text = (model_id or "").replace("\\", "/")
    parts = [p for p in text.split("/") if p]
    local = text.startswith(("/", ".", "~")) or len(parts) > 2 or ":" in text.split("/")[0]
    return parts[-1] if local and parts else text


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
    environment = models.JSONField(
        default=dict, blank=True, help_text="Library versions and device: what a re-run needs."
    )
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

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING_STATUSES

    @property
    def seed(self) -> int:
        return int(self.settings.get("seed") or 0)

    @property
    def model_name(self) -> str:
        """The model as students may see it: a hub id (``org/name``) as it is, a local path by
        its last part only (the server's file layout is nobody's business)."""
        return model_display_name(self.model_id)

    def request(self) -> TextRequest | ImageRequest:
        """The runner's input: this job's prompt with its validated settings."""
        prompt = self.submission.prompt
        s = self.settings
        if self.kind == JobKind.TEXT:
            return TextRequest(
                prompt=prompt,
                max_new_tokens=int(s["max_new_tokens"]),
                temperature=float(s["temperature"]),
                top_p=float(s["top_p"]),
                seed=self.seed,
            )
        return ImageRequest(
            prompt=prompt,
            steps=int(s["steps"]),
            guidance_scale=float(s["guidance_scale"]),
            size=int(s["size"]),
            seed=self.seed,
        )

    def batch_key(self) -> tuple[Any, ...]:
        """Jobs with equal keys can run in one batch (text rows each keep their own settings)."""
        if self.kind == JobKind.TEXT:
            return (JobKind.TEXT,)
        return (JobKind.IMAGE, *self.request().batch_key())

    def claim_is_abandoned(self, *, now: Any = None) -> bool:
        """Whether a ``running`` claim belongs to nobody any more and may be taken over.

        True when the heartbeat is stale, or when the claim names a process on this host that
        is gone (a SIGKILLed child whose message Celery redelivered at once) or is this very
        process (which is asking, so it is not running the job).
        """
        if self.status != JobStatus.RUNNING:
            return False
        now = now or timezone.now()
        stale_after = timedelta(seconds=settings.GENERATION_STALE_AFTER_S)
        if self.heartbeat_at is None or self.heartbeat_at < now - stale_after:
            return True
        host, _, pid_text = self.worker.rpartition(":")
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return _is_zombie(pid)

    def mark_failed(self, message: str, *, detail: str = "") -> bool:
        """Fail a job this worker still owns (status and attempt unchanged since the claim)."""
        updated = GenerationJob.objects.filter(
            pk=self.pk, status=JobStatus.RUNNING, attempts=self.attempts
        ).update(
            status=JobStatus.FAILED,
            error=message,
            error_detail=detail[:10000],
            finished_at=timezone.now(),
        )
        if updated:
            self.status, self.error, self.error_detail = JobStatus.FAILED, message, detail
        return bool(updated)

    def release(self) -> bool:
        """Give an owned claim back to the queue (a transient error: another try will follow)."""
        updated = GenerationJob.objects.filter(
            pk=self.pk, status=JobStatus.RUNNING, attempts=self.attempts
        ).update(status=JobStatus.QUEUED, worker="", heartbeat_at=None)
        return bool(updated)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


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

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    @property
    def url(self) -> str | None:
        """Where the file is served, through the view that checks who asks (never MEDIA_URL)."""
        if not self.file:
            return None
        return reverse("exercises:output", args=[self.pk, self.filename])


class RerunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Verdict(models.TextChoices):
    REPRODUCED = "reproduced"  # byte-equal outputs
    WITHIN_TOLERANCE = "within_tolerance"  # equal within the stated tolerance (other device)
    DIFFERS = "differs"


class Rerun(models.Model):
    """A job run again from what it recorded, and how the new outputs compare with the stored.

    A disputed output can be checked: the same model, settings and seed, on whatever device the
    worker has. The outputs are compared, not stored (the job's own files stay the record);
    ``differences`` says what differs in words a teacher can act on.
    """

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="reruns")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=RerunStatus.choices, default=RerunStatus.QUEUED
    )
    environment = models.JSONField(default=dict, blank=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    differences = models.JSONField(default=list, blank=True)
    measures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"rerun {self.pk} of job {self.job_id} ({self.status} {self.verdict})"

    @property
    def is_waiting(self) -> bool:
        return self.status in (RerunStatus.QUEUED, RerunStatus.RUNNING)
