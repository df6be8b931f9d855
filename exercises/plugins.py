"""How the exercises app plugs into the gradebook: filled from ``ExercisesConfig.ready()``.

- An exercise attempt's attachment (prompt, reflection, generated outputs) for the teacher's
  review page, the student's feedback page and the grades API
  (``gradebook.grades.attachments``), in the same JSON shape as this app's own API.
- The generation queue's figures for ``manage.py queue_status`` (``gradebook.health``).
- The values of "your run" items: the student's own run (``gradebook.quizzes.run_values``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from gradebook import health
from gradebook.grades import attachments
from gradebook.quizzes import run_values


def _submission_of(attempt: Any) -> Any | None:
    from exercises.models import ExerciseSubmission

    try:
        return attempt.exercise_submission
    except ExerciseSubmission.DoesNotExist:
        return None


def _submission_json(submission: Any, request: HttpRequest) -> dict[str, Any]:
    from exercises.api import submission_data

    return submission_data(submission, request)


def _queue_figures(now: datetime) -> dict[str, Any]:
    from exercises.models import GenerationJob, JobStatus

    queued = GenerationJob.objects.filter(status=JobStatus.QUEUED)
    running = GenerationJob.objects.filter(status=JobStatus.RUNNING)
    oldest = queued.order_by("queued_at").values_list("queued_at", flat=True).first()
    stale_before = now - timedelta(seconds=settings.GENERATION_STALE_AFTER_S)
    return {
        "jobs_queued": queued.count(),
        "jobs_running": running.count(),
        "jobs_stale": running.filter(heartbeat_at__lt=stale_before).count(),
        "oldest_queued_s": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
    }


def register() -> None:
    attachments.register(
        attachments.AttachmentKind(
            name="exercise_submission",
            find=_submission_of,
            as_json=_submission_json,
            review_template="exercises/_review_attachment.html",
            feedback_template="exercises/_feedback_attachment.html",
        )
    )
    health.register_queue_figures("generation", _queue_figures)
    run_values.register(_run_values)


def _run_values(student: Any, item: Any, from_run: dict[str, Any]) -> Any:
    from exercises.your_run import run_values_for

    return run_values_for(student, item, from_run)
