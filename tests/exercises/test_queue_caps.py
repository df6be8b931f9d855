"""The generation queue is bounded: per student, per course and on the whole server.

Alice and Bob are in Tara's course; Carol is in another course. Refusals store nothing and
say when to come back (``Retry-After``), on the API and on the page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from exercises.models import GenerationJob
from gradebook.quizzes.models import Attempt
from tests.exercises.conftest import REFLECTION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]

PAYLOAD = {"prompt": "a cat", "reflection": REFLECTION}


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _submit(user, item):
    return _api(user).post(reverse("api-exercise-submit", args=[item.pk]), PAYLOAD, format="json")


@pytest.fixture
def carol_item(django_user_model, exercise_item):
    """Carol and the same exercise in another course."""
    from gradebook.courses.models import Course, Item, Lesson

    carol = django_user_model.objects.create_user("carol", "c@example.com", "carol-pass-123")
    other = Course.objects.create(slug="other", title="Other")
    other.enroll(carol)
    lesson = Lesson.objects.create(course=other, slug="l", title="L", order=1)
    item = Item(course=other, lesson=lesson, key=exercise_item.key, type="exercise", text="t")
    item.set_spec(dict(exercise_item.spec))
    return carol, item


def test_a_full_server_queue_is_a_503_with_retry_after_and_stores_nothing(
    alice, bob, exercise_item, enrolled, settings
):
    settings.GENERATION_MAX_QUEUED_JOBS = 2  # one submission = a text and an image job
    assert _submit(alice, exercise_item).status_code == 201
    refused = _submit(bob, exercise_item)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "generation_queue_full"
    assert "queue is full" in refused.json()["error"]["message"]
    assert 10 <= int(refused["Retry-After"]) <= 900
    assert GenerationJob.objects.count() == 2
    assert Attempt.objects.filter(student=bob).count() == 0


def test_a_courses_share_is_capped_and_other_courses_still_submit(
    alice, bob, exercise_item, enrolled, carol_item, settings
):
    settings.GENERATION_MAX_QUEUED_PER_COURSE = 2
    carol, other_item = carol_item
    assert _submit(alice, exercise_item).status_code == 201
    refused = _submit(bob, exercise_item)
    assert refused.status_code == 503
    assert "Your course already has 2 generations waiting" in refused.json()["error"]["message"]
    assert refused.has_header("Retry-After")
    assert _submit(carol, other_item).status_code == 201


def test_the_students_own_quota_is_a_429_with_retry_after(alice, exercise_item, enrolled, settings):
    settings.GENERATION_MAX_WAITING_JOBS = 2
    assert _submit(alice, exercise_item).status_code == 201
    refused = _submit(alice, exercise_item)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_waiting_jobs"
    assert int(refused["Retry-After"]) >= 10


def test_a_retry_counts_against_the_caps(alice, bob, exercise_item, enrolled, settings):
    from exercises import services
    from exercises.models import JobStatus

    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a", reflection=REFLECTION
    )
    failed = submission.jobs.first()
    GenerationJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED)
    services.exercise_submit(student=bob, item=exercise_item, prompt="b", reflection=REFLECTION)
    settings.GENERATION_MAX_QUEUED_JOBS = 3  # alice's other job and bob's two are waiting
    response = _api(alice).post(reverse("api-exercise-retry", args=[failed.pk]))
    assert response.status_code == 503
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED


def test_the_page_says_the_queue_is_full_before_and_after_a_submit(
    client, alice, bob, exercise_item, enrolled, settings
):
    settings.GENERATION_MAX_QUEUED_JOBS = 2
    assert _submit(alice, exercise_item).status_code == 201
    client.force_login(bob)
    url = reverse("exercises:form", args=[exercise_item.pk])
    page = client.get(url).content.decode()
    assert "data-queue-full" in page and "queue is full (2 waiting)" in page
    refused = client.post(url, PAYLOAD)
    assert refused.status_code == 503
    assert refused.has_header("Retry-After")
    assert "try again in about" in refused.content.decode()
    assert GenerationJob.objects.filter(student=bob).count() == 0


def test_the_wait_follows_how_fast_jobs_finished_lately(alice, exercise_item, enrolled):
    from datetime import timedelta

    from django.utils import timezone

    from exercises import services

    assert services.estimate_wait_s(5) == 60  # nothing finished lately: a minute
    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a", reflection=REFLECTION
    )
    submission.jobs.update(status="succeeded", finished_at=timezone.now() - timedelta(minutes=1))
    # Two jobs in ten minutes: one every 300 s, so 3 jobs ahead is 900 s (the cap).
    assert services.estimate_wait_s(1) == 300
    assert services.estimate_wait_s(3) == 900
