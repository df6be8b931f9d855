"""Submitting an exercise: one attempt, one job per model, published on commit, quota in the DB."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from exercises import services
from exercises.models import ExerciseSubmission, GenerationJob, JobStatus
from exercises.validation import ExerciseInputError
from gradebook.quizzes.models import Attempt
from tests.exercises.conftest import REFLECTION, published_job_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]


def submit(student, item, **overrides):
    args = {"prompt": "a lighthouse at night", "reflection": REFLECTION, "settings_in": {}}
    args.update(overrides)
    return services.exercise_submit(student=student, item=item, **args)


def test_it_stores_an_attempt_and_one_queued_job_per_model_and_publishes_on_commit(
    alice, exercise_item, enrolled, django_capture_on_commit_callbacks, memory_broker
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(alice, exercise_item, settings_in={"text": {"seed": 5}})
    attempt = submission.attempt
    assert attempt.status == "pending_review"
    assert attempt.response["prompt"] == "a lighthouse at night"
    jobs = list(submission.jobs.order_by("kind"))
    assert [(j.kind, j.status) for j in jobs] == [("image", "queued"), ("text", "queued")]
    assert jobs[1].settings["seed"] == 5
    assert sorted(published_job_ids(memory_broker)) == sorted(j.pk for j in jobs)
    assert all(j.last_published_at is not None for j in GenerationJob.objects.all())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "p" * 501}, "prompt"),
        ({"reflection": "r" * 201}, "reflection"),
        ({"settings_in": {"image": {"steps": 31}}}, "settings.image.steps"),
    ],
)
def test_bad_input_is_refused_and_creates_no_job(alice, exercise_item, enrolled, overrides, field):
    with pytest.raises(ExerciseInputError) as info:
        submit(alice, exercise_item, **overrides)
    assert info.value.field == field
    assert GenerationJob.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_a_student_cannot_have_more_waiting_jobs_than_the_limit(
    alice, bob, exercise_item, enrolled, settings
):
    settings.GENERATION_MAX_WAITING_JOBS = 4
    submit(alice, exercise_item)
    submit(alice, exercise_item)
    with pytest.raises(services.QuotaExceeded) as info:
        submit(alice, exercise_item)
    assert "4 generations waiting" in info.value.message
    assert GenerationJob.objects.filter(student=alice).count() == 4
    submit(bob, exercise_item)  # the quota is per student
    GenerationJob.objects.filter(student=alice).update(status=JobStatus.SUCCEEDED)
    submit(alice, exercise_item)  # finished jobs no longer count


def test_the_same_idempotency_key_returns_the_first_submission(alice, exercise_item, enrolled):
    first = submit(alice, exercise_item, idempotency_key="k-1")
    again = submit(alice, exercise_item, idempotency_key="k-1")
    assert again.pk == first.pk
    assert ExerciseSubmission.objects.count() == 1
    assert GenerationJob.objects.count() == 2


def test_a_reflection_can_be_revised_until_the_teacher_reviews(alice, exercise_item, enrolled):
    submission = submit(alice, exercise_item)
    services.submission_reflect(
        submission=submission, reflection="The text was fluent; the image was only noise."
    )
    submission.attempt.refresh_from_db()
    assert submission.attempt.response["reflection"].startswith("The text was fluent")
    Attempt.objects.filter(pk=submission.attempt_id).update(status="reviewed")
    submission.attempt.refresh_from_db()
    with pytest.raises(ExerciseInputError, match="already reviewed"):
        services.submission_reflect(submission=submission, reflection="x" * 30)


def test_retrying_a_job_that_did_not_fail_is_refused(alice, exercise_item, enrolled):
    job = submit(alice, exercise_item).jobs.first()
    with pytest.raises(ExerciseInputError, match="Only a failed generation"):
        services.job_retry(job=job)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_never_exceed_the_quota(alice, exercise_item, enrolled, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers by itself)")
    settings.GENERATION_MAX_WAITING_JOBS = 4
    barrier = threading.Barrier(6)
    outcomes = []

    def one() -> None:
        barrier.wait()
        try:
            submit(alice, exercise_item)
            outcomes.append("ok")
        except services.QuotaExceeded:
            outcomes.append("quota")
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 2
    assert GenerationJob.objects.filter(student=alice).count() == 4
