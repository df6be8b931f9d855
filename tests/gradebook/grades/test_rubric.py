"""Review plans: which criteria a teacher scores and how they combine with automatic parts."""

from __future__ import annotations

import pytest
from django.urls import reverse

import graders
from gradebook.grades.rubric import review_plan
from gradebook.grades.selectors import QueueFilters, review_queue
from gradebook.grades.services import GradingError, grade_override, review_save
from gradebook.quizzes.models import Attempt, AttemptStatus

from .conftest import make_attempt, make_item

MULTIPART = {
    "id": "vae-ratio",
    "type": "multipart",
    "title": "VAE compression",
    "text": "Compute, then explain.",
    "points": 3,
    "parts": [
        {"id": "raw", "label": "Raw values", "type": "numeric", "answer": "64*64*3",
         "tolerance": {"absolute": 0}},
        {"id": "latent", "label": "Latent values", "type": "numeric", "answer": "8*8*4",
         "tolerance": {"absolute": 0}},
        {"id": "note", "label": "Why faster", "type": "free_text", "weight": 2,
         "rubric": [
             {"id": "link", "criterion": "Links size to speed", "points": 2},
             {"id": "ratio", "criterion": "Uses the ratio", "points": 1},
         ]},
    ],
}  # fmt: skip


def test_a_multipart_plan_scores_the_free_text_part_by_its_rubric():
    result = graders.grade(MULTIPART, {"raw": "12288", "latent": "200", "note": "smaller"})
    assert result.outcome == "needs_review"
    plan = review_plan(MULTIPART, result.to_dict())
    assert [c["id"] for c in plan.criteria] == ["note.link", "note.ratio"]
    assert [(p.part, p.auto_score) for p in plan.auto_parts] == [("raw", 1.0), ("latent", 0.0)]
    # (1 × 1 + 1 × 0 + 2 × 3/3) / 4
    assert plan.score({"note.link": 2, "note.ratio": 1}) == pytest.approx(0.75)
    assert plan.score({"note.link": 2}) is None


def test_a_free_text_part_without_rubric_gets_an_overall_criterion():
    spec = {**MULTIPART, "parts": [*MULTIPART["parts"][:2], {"id": "note", "type": "free_text"}]}
    plan = review_plan(spec, {})
    assert [(c["id"], c["points"]) for c in plan.criteria] == [("note.overall", 2.0)]


def test_an_exercise_rubric_weighs_as_much_as_its_automatic_parts():
    spec = {
        "id": "ex",
        "type": "exercise",
        "text": "Try it.",
        "rubric": [{"id": "r", "criterion": "Reflection", "points": 4}],
        "parts": [
            {"id": "a", "type": "numeric", "answer": 2},
            {"id": "b", "type": "numeric", "answer": 3},
        ],
    }
    plan = review_plan(spec, {"parts": [{"id": "a", "score": 1.0}, {"id": "b", "score": 0.0}]})
    assert plan.components[0].weight == 2.0
    assert plan.score({"r": 4}) == pytest.approx(0.75)  # (2 × 1 + 1 + 0) / 4


def test_a_plain_free_text_item_is_scored_with_points():
    plan = review_plan({"id": "e", "type": "free_text", "text": "Write."}, {})
    assert plan.uses_points


@pytest.mark.django_db
def test_a_multipart_answer_waiting_for_review_is_queued_reviewed_and_not_overridden(
    tara, alice, course, lesson, tara_client
):
    item = make_item(course, lesson, MULTIPART)
    response = {"raw": "12288", "latent": "256", "note": "fewer values per step"}
    result = graders.grade(MULTIPART, response).to_dict()
    attempt = make_attempt(alice, item, response, status=AttemptStatus.PENDING_REVIEW)
    Attempt.objects.filter(pk=attempt.pk).update(result=result)
    attempt.refresh_from_db()

    assert list(review_queue(Attempt.objects.all(), QueueFilters())) == [attempt]
    page = tara_client.get(reverse("grades:attempt", args=[attempt.pk])).content.decode()
    assert 'name="rubric_note.link"' in page and "Parts graded automatically" in page
    with pytest.raises(GradingError, match="graded by review"):
        grade_override(attempt=attempt, by=tara, points=3, reason="x")

    review_save(
        attempt=attempt,
        by=tara,
        rubric_scores={"note.link": 1, "note.ratio": 1},
        comment="Say why fewer values means less work per step.",
        action="return",
    )
    attempt.refresh_from_db()
    # both numbers right (1 + 1), the note 2 of 3 rubric points at weight 2: (2 + 4/3) / 4
    assert attempt.score == pytest.approx(5 / 6)
    assert attempt.status == AttemptStatus.REVIEWED
