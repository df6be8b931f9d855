"""Who may see and change exercise submissions: one helper per object, for pages and API alike.

The rule is the attempt's rule (``quizzes.access.attempt_for_user``): the student who made
it, a teacher of its course, or a superuser. Only the student writes their reflection;
the student or a teacher of the course may retry a failed generation. Anything else is a 404,
so nobody learns whether someone else's submission exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from exercises.models import ExerciseSubmission, GenerationJob, GenerationOutput
from gradebook.quizzes.access import attempt_for_user


def _pk(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404(f"No such {what}.") from None


def submission_for_user(user: Any, submission_id: Any) -> ExerciseSubmission:
    """A submission the user may read (student, course teacher, superuser), else 404."""
    submission = (
        ExerciseSubmission.objects.select_related(
            "attempt", "attempt__item", "attempt__item__course"
        )
        .filter(pk=_pk(submission_id, "submission"))
        .first()
    )
    if submission is None or not user.is_authenticated:
        raise Http404("No such submission.")
    attempt_for_user(user, submission.attempt_id)  # raises Http404 for everyone else
    return submission


def submission_for_owner(user: Any, submission_id: Any) -> ExerciseSubmission:
    """A submission only its own student may change (the reflection), else 404."""
    submission = submission_for_user(user, submission_id)
    if submission.attempt.student_id != user.pk:
        raise Http404("No such submission.")
    return submission


def job_for_user(user: Any, job_id: Any) -> GenerationJob:
    """A job of a submission the user may read, else 404."""
    job = GenerationJob.objects.filter(pk=_pk(job_id, "job")).first()
    if job is None:
        raise Http404("No such job.")
    submission_for_user(user, job.submission_id)
    return job


def output_for_user(user: Any, output_id: Any) -> GenerationOutput:
    """A generated file the user may see (the attempt's rule), else 404."""
    output = (
        GenerationOutput.objects.select_related("job").filter(pk=_pk(output_id, "output")).first()
    )
    if output is None or not user.is_authenticated:
        raise Http404("No such output.")
    submission_for_user(user, output.job.submission_id)
    return output


def submissions_for_user(user: Any) -> QuerySet[ExerciseSubmission]:
    """The submissions a user lists: their own (teachers review theirs in the grades app)."""
    if not user.is_authenticated:
        return ExerciseSubmission.objects.none()
    return (
        ExerciseSubmission.objects.filter(attempt__student=user)
        .select_related("attempt", "attempt__item")
        .order_by("-created_at", "-id")
    )


def latest_submission(user: Any, item_id: Any) -> ExerciseSubmission | None:
    """The user's most recent submission to an item (the lesson page links to it)."""
    return submissions_for_user(user).filter(attempt__item_id=_pk(item_id, "item")).first()
