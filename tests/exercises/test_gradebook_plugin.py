"""The exercises app plugs into the gradebook; the gradebook never imports it.

The review page, the feedback page and the grades API get an exercise attempt's prompt and
outputs through ``gradebook.grades.attachments``, which ``ExercisesConfig.ready()`` fills;
``manage.py queue_status`` gets the generation queue through ``gradebook.health``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.grades import attachments

ROOT = Path(__file__).resolve().parents[2]
#: The project's composition root names every app: the URLconf and the settings. The
#: benchmark app (installed only with BENCH=1) measures every app, the exercises app included.
COMPOSITION_ROOT = {"gradebook/urls.py", "gradebook/settings.py"}
BENCHMARKS = "gradebook/bench/"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_gradebook_imports_the_exercises_app():
    importers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "gradebook").rglob("*.py")
        if str(path.relative_to(ROOT)) not in COMPOSITION_ROOT
        and not str(path.relative_to(ROOT)).startswith(BENCHMARKS)
        and any(name == "exercises" or name.startswith("exercises.") for name in _imports(path))
    ]
    assert importers == []


@pytest.mark.django_db
def test_an_attempt_without_a_submission_has_no_attachment(alice, exercise_item):
    from gradebook.quizzes.models import Attempt

    attempt = Attempt.objects.create(
        student=alice,
        item=exercise_item,
        number=1,
        revision=exercise_item.current_revision(),
        response="a prompt",
    )
    assert attachments.attachment_of(attempt) is None


@pytest.mark.django_db
def test_the_grades_api_shows_a_submission_in_the_exercises_apis_shape(
    alice, tara, enrolled, make_submission
):
    submission = make_submission(alice)
    attached = attachments.attachment_of(submission.attempt)
    assert attached is not None and attached.object == submission

    student, teacher = APIClient(), APIClient()
    student.force_authenticate(alice)
    teacher.force_authenticate(tara)
    own = student.get(reverse("api-exercise-submission", args=[submission.pk]))
    graded = teacher.get(reverse("grades-api:attempt", args=[submission.attempt_id]))
    assert own.status_code == graded.status_code == 200
    assert graded.json()["submission"] == own.json()
    assert [job["kind"] for job in own.json()["jobs"]] == ["text", "image"]


@pytest.mark.django_db
def test_the_review_page_shows_the_prompt_and_outputs_through_the_registry(
    client, alice, tara, enrolled, make_submission
):
    submission = make_submission(alice, prompt="a lighthouse at dusk")
    client.force_login(tara)
    review = client.get(reverse("grades:attempt", args=[submission.attempt_id]))
    assert review.status_code == 200
    assert b"a lighthouse at dusk" in review.content
    assert f'data-submission="{submission.pk}"'.encode() in review.content  # the outputs
