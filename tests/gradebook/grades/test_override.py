"""Overriding an auto-grade: the reason is required, kept in history and shown to the student."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gradebook.grades.services import GradingError, grade_override
from gradebook.quizzes.models import AttemptStatus, GradeChange, GradeSource

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrong(alice, numeric_item):
    return make_attempt(alice, numeric_item, "1.20", score=0.0, interpreted_as="1.2")


def test_an_override_sets_points_with_the_reason(tara, wrong):
    grade_override(attempt=wrong, by=tara, points="2", reason="Rounding was fine here.")
    wrong.refresh_from_db()
    assert wrong.score == 1.0 and wrong.correct is True
    assert wrong.score_source == GradeSource.OVERRIDE
    change = GradeChange.objects.get(attempt=wrong)
    assert (change.old_score, change.new_score, change.reason, change.changed_by) == (
        0.0,
        1.0,
        "Rounding was fine here.",
        tara,
    )


def test_an_override_decides_an_undecided_answer(tara, alice, numeric_item):
    attempt = make_attempt(alice, numeric_item, "9**9**9", status=AttemptStatus.UNDECIDED)
    grade_override(attempt=attempt, by=tara, points=0, reason="Not an answer.")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.score == 0.0


@pytest.mark.parametrize(
    ("points", "reason", "message", "field"),
    [
        ("1", "  ", "Give a reason", "reason"),
        ("3", "x", "outside 0 to 2", "points"),
        ("-1", "x", "outside 0 to 2", "points"),
        ("one", "x", "'one' is not a number", "points"),
        ("nan", "x", "outside", "points"),
    ],
)
def test_it_refuses_a_bad_override(tara, wrong, points, reason, message, field):
    with pytest.raises(GradingError, match=message) as info:
        grade_override(attempt=wrong, by=tara, points=points, reason=reason)
    assert info.value.field == field
    assert not GradeChange.objects.exists()


def test_a_reviewed_item_is_not_overridden(tara, alice, free_text_item):
    attempt = make_attempt(alice, free_text_item, "x")
    with pytest.raises(GradingError, match="review"):
        grade_override(attempt=attempt, by=tara, points=1, reason="x")


def test_the_page_overrides_and_shows_the_history(tara_client, wrong):
    url = reverse("grades:override", args=[wrong.pk])
    response = tara_client.post(url, {"points": "1.5", "reason": "Partial: right method."})
    assert response.status_code == 302
    html = tara_client.get(reverse("grades:attempt", args=[wrong.pk])).content.decode()
    assert "Partial: right method." in html
    assert "1.5" in html and "override" in html


def test_the_page_keeps_what_was_typed_when_refused(tara_client, wrong):
    response = tara_client.post(
        reverse("grades:override", args=[wrong.pk]), {"points": "5", "reason": "typed reason"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "outside 0 to 2" in html and 'value="typed reason"' in html


def test_the_api_overrides_and_lists_history(tara_api, wrong):
    response = tara_api.post(
        reverse("grades-api:override", args=[wrong.pk]),
        {"points": 2, "reason": "Accepted"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["points"] == 2.0
    history = tara_api.get(reverse("grades-api:history", args=[wrong.pk])).json()["history"]
    assert [(h["old_points"], h["new_points"], h["changed_by"], h["reason"]) for h in history] == [
        (0.0, 2.0, "tara", "Accepted")
    ]


def test_the_api_requires_a_reason(tara_api, wrong):
    response = tara_api.post(
        reverse("grades-api:override", args=[wrong.pk]), {"points": 2}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "reason"


def test_the_course_history_lists_every_change_newest_first(tara_client, tara_api, tara, wrong):
    grade_override(attempt=wrong, by=tara, points=1, reason="First look")
    grade_override(attempt=wrong, by=tara, points=2, reason="Second look")
    html = tara_client.get(reverse("grades:course_history", args=["ai-gen"])).content.decode()
    assert html.index("Second look") < html.index("First look")
    body = tara_api.get(
        reverse("grades-api:course_history", args=["ai-gen"]) + "?source=override&student=alice"
    ).json()
    assert body["count"] == 2
    assert [(r["old_points"], r["new_points"], r["changed_by"]) for r in body["results"]] == [
        (1.0, 2.0, "tara"),
        (0.0, 1.0, "tara"),
    ]
    none = tara_api.get(reverse("grades-api:course_history", args=["ai-gen"]) + "?student=bob")
    assert none.json()["count"] == 0
