"""The exercise pages and API as students and teachers use them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from exercises import services
from exercises.models import GenerationJob, JobStatus
from tests.exercises.conftest import REFLECTION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def ran_submission(student, item):
    submission = services.exercise_submit(
        student=student, item=item, prompt="a red apple", reflection=REFLECTION
    )
    for job in submission.jobs.all():
        services.jobs_run(job.pk, worker="test:1")
    return submission


def test_the_form_refuses_an_empty_prompt_and_keeps_the_other_values(
    client, alice, exercise_item, enrolled
):
    client.force_login(alice)
    url = reverse("exercises:form", args=[exercise_item.pk])
    response = client.post(
        url, {"prompt": "  ", "reflection": REFLECTION, "text_temperature": "0.3"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The prompt is empty" in body
    assert 'value="0.3"' in body
    assert GenerationJob.objects.count() == 0


def test_the_form_refuses_out_of_bounds_settings_naming_the_setting(
    client, alice, exercise_item, enrolled
):
    client.force_login(alice)
    response = client.post(
        reverse("exercises:form", args=[exercise_item.pk]),
        {"prompt": "a cat", "reflection": REFLECTION, "image_size": "96"},
    )
    assert response.status_code == 400
    assert "Image size must be one of 64, 128, got 96" in response.content.decode()


def test_a_submitted_form_leads_to_the_live_submission_page(client, alice, exercise_item, enrolled):
    client.force_login(alice)
    response = client.post(
        reverse("exercises:form", args=[exercise_item.pk]),
        {"prompt": "a cat", "reflection": REFLECTION, "text_seed": "3"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Waiting for a worker" in body
    assert 'data-finished="0"' in body
    assert "js/exercise.js" in body


def test_the_submission_page_shows_the_scoreboard_filmstrip_and_untrained_label(
    client, alice, exercise_item, enrolled
):
    submission = ran_submission(alice, exercise_item)
    client.force_login(alice)
    body = client.get(reverse("exercises:submission", args=[submission.pk])).content.decode()
    # One token span per generated token (a random seed may stop early at end-of-sequence).
    scoreboard = submission.jobs.get(kind="text").result["scoreboard"]
    assert scoreboard
    assert body.count('class="tok"') == len(scoreboard)
    assert "Top 5 at this step" in body
    assert body.count("<li><img") == 4  # filmstrip frames (4 steps)
    assert "untrained model" in body
    assert "48.0× fewer values" in body
    assert 'data-finished="1"' in body


def test_the_status_endpoint_reports_each_job(client, alice, exercise_item, enrolled):
    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a cat", reflection=REFLECTION
    )
    client.force_login(alice)
    state = client.get(reverse("exercises:status", args=[submission.pk])).json()
    assert state["finished"] is False
    assert {j["kind"]: j["status"] for j in state["jobs"]} == {"text": "queued", "image": "queued"}


def test_another_student_gets_a_404_and_the_teacher_can_read(
    client, alice, bob, tara, exercise_item, enrolled
):
    submission = ran_submission(alice, exercise_item)
    url = reverse("exercises:submission", args=[submission.pk])
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert client.get(reverse("exercises:status", args=[submission.pk])).status_code == 404
    client.force_login(tara)
    response = client.get(url)
    assert response.status_code == 200
    assert "Save reflection" not in response.content.decode()


def test_the_teacher_can_retry_a_failed_job(client, alice, tara, exercise_item, enrolled):
    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a cat", reflection=REFLECTION
    )
    job = submission.jobs.first()
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="boom")
    client.force_login(tara)
    response = client.post(reverse("exercises:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 0


def test_the_lesson_partial_shows_the_form_then_the_latest_submission(
    alice, exercise_item, enrolled, rf
):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = alice
    html = render_to_string(
        "exercises/_exercise_item.html",
        {"item": {"id": exercise_item.pk}, "user": alice},
        request=request,
    )
    assert 'name="prompt"' in html and "Your latest submission" not in html
    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a cat", reflection=REFLECTION
    )
    html = render_to_string(
        "exercises/_exercise_item.html",
        {"item": {"id": exercise_item.pk}, "user": alice},
        request=request,
    )
    assert reverse("exercises:submission", args=[submission.pk]) in html


def test_the_api_creates_a_submission_with_its_jobs(api, exercise_item, enrolled):
    response = api.post(
        reverse("api-exercise-submit", args=[exercise_item.pk]),
        {"prompt": "a cat", "reflection": REFLECTION, "settings": {"text": {"temperature": 0.2}}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {job["kind"] for job in body["jobs"]} == {"text", "image"}
    assert next(j for j in body["jobs"] if j["kind"] == "text")["settings"]["temperature"] == 0.2


def test_the_api_names_the_bad_setting_in_the_shared_error_body(api, exercise_item, enrolled):
    response = api.post(
        reverse("api-exercise-submit", args=[exercise_item.pk]),
        {"prompt": "a cat", "reflection": REFLECTION, "settings": {"text": {"temperature": 9}}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "settings.text.temperature"
    assert "between 0 and 1.5, got 9" in error["message"]


def test_the_api_answers_429_when_the_quota_is_full(api, exercise_item, enrolled, settings):
    settings.GENERATION_MAX_WAITING_JOBS = 2
    url = reverse("api-exercise-submit", args=[exercise_item.pk])
    payload = {"prompt": "a cat", "reflection": REFLECTION}
    assert api.post(url, payload, format="json").status_code == 201
    response = api.post(url, payload, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_waiting_jobs"


def test_the_api_detail_lists_outputs_with_urls(api, alice, exercise_item, enrolled):
    submission = ran_submission(alice, exercise_item)
    body = api.get(reverse("api-exercise-submission", args=[submission.pk])).json()
    image = next(j for j in body["jobs"] if j["kind"] == "image")
    assert image["status"] == "succeeded"
    assert all(
        o["url"].startswith("http://testserver/exercises/outputs/") for o in image["outputs"]
    )
    assert api.get(reverse("api-exercise-submissions")).json()[0]["id"] == submission.pk


def test_the_api_hides_other_students_submissions(alice, bob, exercise_item, enrolled):
    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a cat", reflection=REFLECTION
    )
    client = APIClient()
    client.force_authenticate(bob)
    assert client.get(reverse("api-exercise-submission", args=[submission.pk])).status_code == 404
    assert client.get(reverse("api-exercise-submissions")).json() == []
    response = client.post(
        reverse("api-exercise-reflection", args=[submission.pk]),
        {"reflection": "x" * 30},
        format="json",
    )
    assert response.status_code == 404


def test_the_lesson_page_shows_the_exercise_form(client, alice, exercise_item, enrolled):
    client.force_login(alice)
    page = client.get(
        reverse("lesson", args=[exercise_item.course.slug, exercise_item.lesson.slug])
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("exercises:form", args=[exercise_item.pk]) in body
    assert 'name="reflection"' in body and "Generation settings" in body
    assert "Max new tokens" in body and "Guidance scale" in body
