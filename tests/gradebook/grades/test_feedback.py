"""What the student sees: the returned score and comment, an override's reason, never a draft."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.grades.services import grade_override, review_save

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


def test_a_draft_review_stays_hidden_from_the_student(client, tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    review_save(attempt=attempt, by=tara, rubric_scores={"idea": 2}, comment="Secret draft")
    client.force_login(alice)
    html = client.get(reverse("mygrades:feedback", args=[attempt.pk])).content.decode()
    assert "Secret draft" not in html
    assert "Waiting for your teacher" in html


def test_the_student_sees_a_returned_score_and_comment(client, tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    review_save(
        attempt=attempt,
        by=tara,
        rubric_scores={"idea": 2, "example": 1},
        comment="Try a number example.",
        action="return",
    )
    client.force_login(alice)
    html = client.get(reverse("mygrades:feedback", args=[attempt.pk])).content.decode()
    assert 'id="feedback-points">3</strong> / 4' in html
    assert "Try a number example." in html
    assert "Main idea" in html
    listing = client.get(reverse("mygrades:list")).content.decode()
    assert "3 / 4" in listing  # the best score, out of the item's points


def test_the_student_sees_the_reason_for_an_override(client, tara, alice, numeric_item):
    attempt = make_attempt(alice, numeric_item, "1.2", score=0.0)
    grade_override(attempt=attempt, by=tara, points=2, reason="Your rounding is fine.")
    client.force_login(alice)
    html = client.get(reverse("mygrades:feedback", args=[attempt.pk])).content.decode()
    assert "Your teacher changed this grade: Your rounding is fine." in html


def test_the_api_gives_the_student_the_same_feedback(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    review_save(
        attempt=attempt,
        by=tara,
        rubric_scores={"idea": 2, "example": 2},
        comment="Great",
        action="return",
    )
    api = APIClient()
    api.force_authenticate(alice)
    body = api.get(reverse("grades-api:my_feedback", args=[attempt.pk])).json()
    assert body["points"] == 4.0 and body["comment"] == "Great"
    assert body["rubric"][1]["awarded"] == 2.0


def test_the_student_sees_their_own_answer_beside_the_feedback(client, alice, numeric_item):
    attempt = make_attempt(alice, numeric_item, "1.2", score=1.0, correct=True)
    client.force_login(alice)
    html = client.get(reverse("mygrades:feedback", args=[attempt.pk])).content.decode()
    assert "Your answer" in html and "1.2" in html
    assert 'id="feedback-points">2</strong> / 2' in html
