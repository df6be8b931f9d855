"""Honest prompts: pages say which prompt words the course image model knows (issue 12, 7)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exercises import services
from exercises.imageworld.vocabulary import COURSE_MODEL_MARKER
from tests.exercises.conftest import REFLECTION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]

PROMPT = "a red apple on a wooden table, photorealistic"


@pytest.fixture
def submission(alice, exercise_item, enrolled):
    return services.exercise_submit(
        student=alice, item=exercise_item, prompt=PROMPT, reflection=REFLECTION
    )


def test_the_submission_and_review_pages_mark_the_words_the_course_model_does_not_know(
    client, settings, submission, alice, tara, tmp_path
):
    # The pages only look for the training command's marker, never load the model.
    (tmp_path / COURSE_MODEL_MARKER).write_text("{}\n")
    settings.IMAGE_MODEL = str(tmp_path)
    client.force_login(alice)
    body = client.get(reverse("exercises:submission", args=[submission.pk])).content.decode()
    assert body.count('data-role="prompt-words"') == 1  # the image job only, not the text job
    assert '<span class="word unknown" title="unknown to this model">photorealistic' in body
    assert '<span class="word known">apple</span>' in body
    assert "only knows what it was trained on" in body
    assert f'href="{reverse("exercises:image_model")}"' in body

    client.force_login(tara)
    review = client.get(reverse("grades:attempt", args=[submission.attempt_id])).content.decode()
    assert '<span class="word unknown" title="unknown to this model">photorealistic' in review


def test_nothing_is_marked_when_image_model_is_another_pipeline(client, submission, alice):
    # generation_settings points IMAGE_MODEL at the tests' random pipeline: not the course model.
    client.force_login(alice)
    body = client.get(reverse("exercises:submission", args=[submission.pk])).content.decode()
    assert "prompt-words" not in body
    assert "only knows what it was trained on" not in body


def test_the_model_card_page_renders_the_card(client, alice):
    client.force_login(alice)
    response = client.get(reverse("exercises:image_model"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "The course image model" in body
    assert "a {colour} {shape} in the {position} on a {colour} background" in body
    assert 'src="/static/exercises/image-model-filmstrips.png"' in body
