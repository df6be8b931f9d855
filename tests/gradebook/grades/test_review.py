"""Reviewing free-text and exercise answers: drafts, returning, the score and the history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gradebook.grades.models import Review, ReviewState
from gradebook.grades.services import GradingError, review_save
from gradebook.quizzes.models import AttemptStatus, GradeChange, GradeSource

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


def test_a_draft_keeps_scores_and_comment_but_does_not_grade(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "It flattens the distribution.")
    review = review_save(
        attempt=attempt, by=tara, rubric_scores={"idea": 2}, comment="Good start", action="draft"
    )
    attempt.refresh_from_db()
    assert review.state == ReviewState.DRAFT
    assert review.rubric_scores == {"idea": 2.0}
    assert attempt.score is None
    assert attempt.status == AttemptStatus.PENDING_REVIEW
    assert not GradeChange.objects.filter(attempt=attempt).exists()


@pytest.mark.embedded
def test_returning_sets_the_score_through_the_history(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "It flattens the distribution.")
    review_save(
        attempt=attempt,
        by=tara,
        rubric_scores={"idea": 2, "example": 1},
        comment="Add an example with numbers.",
        action="return",
    )
    attempt.refresh_from_db()
    assert attempt.score == pytest.approx(0.75)
    assert attempt.status == AttemptStatus.REVIEWED
    assert attempt.score_source == GradeSource.REVIEW
    assert attempt.correct is False
    change = GradeChange.objects.get(attempt=attempt)
    assert (change.old_score, change.new_score, change.changed_by) == (None, 0.75, tara)
    assert change.reason == "Add an example with numbers."


def test_full_marks_count_as_correct(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    review_save(attempt=attempt, by=tara, rubric_scores={"idea": 2, "example": 2}, action="return")
    attempt.refresh_from_db()
    assert attempt.correct is True and attempt.score == 1.0


def test_it_refuses_to_return_with_a_criterion_unscored(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    with pytest.raises(GradingError, match="missing: Example") as info:
        review_save(attempt=attempt, by=tara, rubric_scores={"idea": 1}, action="return")
    assert info.value.field == "rubric_scores"
    attempt.refresh_from_db()
    assert attempt.score is None
    assert not Review.objects.filter(attempt=attempt).exists()


@pytest.mark.parametrize(
    ("scores", "message", "field"),
    [
        ({"idea": 3}, "Main idea: 3 is outside 0 to 2 points", "rubric_scores.idea"),
        ({"idea": -1}, "outside 0 to 2", "rubric_scores.idea"),
        ({"idea": "two"}, "'two' is not a number", "rubric_scores.idea"),
        ({"idea": True}, "not a number", "rubric_scores.idea"),
        ({"idea": "nan"}, "not a number", "rubric_scores.idea"),
        ({"style": 1}, "Unknown rubric criterion 'style'", "rubric_scores.style"),
    ],
)
def test_it_refuses_scores_outside_the_rubric(tara, alice, free_text_item, scores, message, field):
    attempt = make_attempt(alice, free_text_item, "x")
    with pytest.raises(GradingError, match=message) as info:
        review_save(attempt=attempt, by=tara, rubric_scores=scores, action="draft")
    assert info.value.field == field


def test_an_item_without_rubric_is_reviewed_with_points(tara, alice, course, lesson):
    from .conftest import make_item

    item = make_item(
        course, lesson, {"id": "essay", "type": "free_text", "text": "Write.", "points": 5}
    )
    attempt = make_attempt(alice, item, "An essay.")
    with pytest.raises(GradingError, match="outside 0 to 5"):
        review_save(attempt=attempt, by=tara, points="6", action="return")
    review_save(attempt=attempt, by=tara, points="4", comment="Nice", action="return")
    attempt.refresh_from_db()
    assert attempt.score == pytest.approx(0.8)


def test_returning_again_changes_the_grade_and_keeps_both_in_history(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    review_save(attempt=attempt, by=tara, rubric_scores={"idea": 1, "example": 1}, action="return")
    with pytest.raises(GradingError, match="already returned"):
        review_save(attempt=attempt, by=tara, rubric_scores={"idea": 2}, action="draft")
    review_save(attempt=attempt, by=tara, rubric_scores={"idea": 2, "example": 1}, action="return")
    attempt.refresh_from_db()
    assert attempt.score == pytest.approx(0.75)
    assert list(
        GradeChange.objects.filter(attempt=attempt).values_list("old_score", "new_score")
    ) == [(None, 0.5), (0.5, 0.75)]


def test_returning_the_same_grade_again_writes_no_new_history(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    for comment in ("First", "Clarified comment"):
        review_save(
            attempt=attempt,
            by=tara,
            rubric_scores={"idea": 1, "example": 1},
            comment=comment,
            action="return",
        )
    assert GradeChange.objects.filter(attempt=attempt).count() == 1
    assert Review.objects.get(attempt=attempt).comment == "Clarified comment"


def test_an_auto_graded_answer_cannot_be_reviewed(tara, alice, numeric_item):
    attempt = make_attempt(alice, numeric_item, "1.2", score=1.0, correct=True)
    with pytest.raises(GradingError, match="override"):
        review_save(attempt=attempt, by=tara, points=1, action="return")


def test_returning_awards_xp_through_progress(tara, alice, free_text_item):
    progress = pytest.importorskip("gradebook.progress.services")
    attempt = make_attempt(alice, free_text_item, "x")
    seen = []
    original = progress.on_attempt_scored

    def spy(a):
        seen.append((a.pk, a.score))
        return original(a)

    progress.on_attempt_scored = spy
    try:
        review_save(
            attempt=attempt, by=tara, rubric_scores={"idea": 2, "example": 2}, action="return"
        )
    finally:
        progress.on_attempt_scored = original
    assert seen == [(attempt.pk, 1.0)]


# --- The review page ---------------------------------------------------------------------------


def test_the_review_page_shows_the_answer_rubric_and_model_answer(
    tara_client, alice, free_text_item
):
    attempt = make_attempt(alice, free_text_item, "It flattens the distribution.")
    response = tara_client.get(reverse("grades:attempt", args=[attempt.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "It flattens the distribution." in html
    assert 'name="rubric_idea"' in html and 'name="rubric_example"' in html
    assert "Flattens or sharpens" in html
    assert "Dividing logits by T" in html


def test_saving_a_draft_from_the_page_stays_on_it(tara_client, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    url = reverse("grades:attempt", args=[attempt.pk])
    response = tara_client.post(url, {"rubric_idea": "1", "comment": "Hmm", "action": "draft"})
    assert response.status_code == 302 and response.url == url
    review = Review.objects.get(attempt=attempt)
    assert review.state == ReviewState.DRAFT and review.comment == "Hmm"
    page = tara_client.get(url).content.decode()
    assert 'value="1" checked' in page


def test_returning_from_the_page_opens_the_next_in_the_queue(
    tara_client, alice, bob, free_text_item
):
    first = make_attempt(alice, free_text_item, "first")
    second = make_attempt(bob, free_text_item, "second")
    response = tara_client.post(
        reverse("grades:attempt", args=[first.pk]),
        {"rubric_idea": "2", "rubric_example": "0", "comment": "ok", "action": "return"},
    )
    assert response.status_code == 302
    assert response.url == reverse("grades:attempt", args=[second.pk])
    first.refresh_from_db()
    assert first.score == 0.5


def test_the_page_shows_a_refused_return_beside_the_rubric(tara_client, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    response = tara_client.post(
        reverse("grades:attempt", args=[attempt.pk]),
        {"rubric_idea": "2", "comment": "kept", "action": "return"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "missing: Example" in html
    assert "kept" in html  # what the teacher typed is not lost
    attempt.refresh_from_db()
    assert attempt.score is None


# --- The API -----------------------------------------------------------------------------------


def test_the_api_returns_a_review(tara_api, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    url = reverse("grades-api:review", args=[attempt.pk])
    response = tara_api.post(
        url,
        {"rubric_scores": {"idea": 2, "example": 1}, "comment": "Nice", "action": "return"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["points"] == 3.0 and body["status"] == "reviewed"
    assert body["review"]["state"] == "returned"
    assert body["history"][0]["new_points"] == 3.0


def test_the_api_names_the_bad_criterion(tara_api, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    response = tara_api.post(
        reverse("grades-api:review", args=[attempt.pk]),
        {"rubric_scores": {"idea": 9}, "action": "draft"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "rubric_scores.idea"


def test_the_api_answers_409_to_a_draft_of_a_returned_review(tara_api, tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    review_save(attempt=attempt, by=tara, rubric_scores={"idea": 1, "example": 1}, action="return")
    response = tara_api.post(
        reverse("grades-api:review", args=[attempt.pk]), {"action": "draft"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_returned"
