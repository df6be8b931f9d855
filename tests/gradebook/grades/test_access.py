"""Every teacher page and endpoint, tried by Tara (teaches the course), Otto (teaches another
course), Alice (a student of the course) and an anonymous visitor.

Tara gets the page; Otto gets 404 (he must not learn what exists); Alice gets 403; anonymous
visitors are sent to log in (pages) or refused (API). Writes by anyone but Tara change nothing.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.grades.models import RegradeRun, RegradeStatus, Review
from gradebook.quizzes.models import GradeChange

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tara, alice, numeric_item, free_text_item):
    auto = make_attempt(alice, numeric_item, "1.2", score=1.0, correct=True, interpreted_as="1.2")
    review = make_attempt(alice, free_text_item, "It flattens.")
    run = RegradeRun.objects.create(
        item=numeric_item,
        revision=numeric_item.current_revision(),
        requested_by=tara,
        status=RegradeStatus.PREVIEWED,
        summary={"total": 1, "changed": 0},
    )
    return {
        "slug": numeric_item.course.slug,
        "key": numeric_item.key,
        "auto": auto.pk,
        "review": review.pk,
        "run": run.pk,
    }


def _args(kind: str, w: dict) -> list:
    return {
        "none": [],
        "course": [w["slug"]],
        "item": [w["slug"], w["key"]],
        "auto": [w["auto"]],
        "review": [w["review"]],
        "run": [w["run"]],
    }[kind]


PAGES = [
    ("grades:home", "none"),
    ("grades:queue", "none"),
    ("grades:queue_next", "none"),
    ("grades:attempt", "review"),
    ("grades:attempt", "auto"),
    ("grades:gradebook", "course"),
    ("grades:gradebook_csv", "course"),
    ("grades:course_analytics", "course"),
    ("grades:course_history", "course"),
    ("grades:item", "item"),
    ("grades:item_answers", "item"),
    ("grades:regrade", "run"),
]

PAGE_POSTS = [
    ("grades:attempt", "review", {"rubric_idea": "2", "rubric_example": "2", "action": "return"}),
    ("grades:override", "auto", {"points": "0", "reason": "no"}),
    ("grades:add_mistake", "item", {"answer": "1.2", "feedback": "no"}),
    ("grades:regrade_start", "item", {}),
    ("grades:regrade_apply", "run", {}),
    ("grades:regrade_discard", "run", {}),
]

API_GETS = [
    ("grades-api:courses", "none"),
    ("grades-api:queue", "none"),
    ("grades-api:attempt", "review"),
    ("grades-api:history", "auto"),
    ("grades-api:gradebook", "course"),
    ("grades-api:course_analytics", "course"),
    ("grades-api:course_history", "course"),
    ("grades-api:item_analytics", "item"),
    ("grades-api:regrade", "run"),
]

API_POSTS = [
    (
        "grades-api:review",
        "review",
        {"rubric_scores": {"idea": 2, "example": 2}, "action": "return"},
    ),
    ("grades-api:override", "auto", {"points": 0, "reason": "no"}),
    ("grades-api:mistakes", "item", {"answer": "1.2", "feedback": "no"}),
    ("grades-api:regrade_start", "item", {}),
    ("grades-api:regrade_apply", "run", {}),
    ("grades-api:regrade_discard", "run", {}),
]

#: Pages that list only the teacher's own courses: another teacher sees an empty list, not 404.
LISTS = {
    "grades:home",
    "grades:queue",
    "grades:queue_next",
    "grades-api:courses",
    "grades-api:queue",
}


def _nothing_changed(w: dict) -> None:
    assert not GradeChange.objects.exists()
    assert not Review.objects.exists()
    assert RegradeRun.objects.count() == 1
    assert RegradeRun.objects.get().status == RegradeStatus.PREVIEWED


@pytest.mark.parametrize(("name", "kind"), PAGES)
def test_tara_opens_every_page(client, tara, world, name, kind):
    client.force_login(tara)
    response = client.get(reverse(name, args=_args(kind, world)))
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(("name", "kind"), PAGES)
def test_another_courses_teacher_sees_none_of_it(client, otto, other_course, world, name, kind):
    client.force_login(otto)
    response = client.get(reverse(name, args=_args(kind, world)))
    if name in LISTS:
        assert response.status_code in (200, 302)
        assert b"It flattens" not in response.content
        assert b"How AI generates" not in response.content
    else:
        assert response.status_code == 404


@pytest.mark.parametrize(("name", "kind"), PAGES)
def test_a_student_is_refused_every_page(client, alice, world, name, kind):
    client.force_login(alice)
    assert client.get(reverse(name, args=_args(kind, world))).status_code == 403


@pytest.mark.parametrize(("name", "kind"), PAGES)
def test_an_anonymous_visitor_is_sent_to_log_in(client, world, name, kind):
    url = reverse(name, args=_args(kind, world))
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response.url


@pytest.mark.parametrize(("name", "kind", "data"), PAGE_POSTS)
@pytest.mark.parametrize("who", ["otto", "alice", "anonymous"])
def test_nobody_but_the_teacher_can_post(
    client, request, other_course, world, who, name, kind, data
):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.post(reverse(name, args=_args(kind, world)), data)
    expected = {"otto": 404, "alice": 403, "anonymous": 302}[who]
    assert response.status_code == expected
    _nothing_changed(world)


@pytest.mark.parametrize(("name", "kind"), API_GETS)
def test_the_api_answers_tara(tara_api, world, name, kind):
    assert tara_api.get(reverse(name, args=_args(kind, world))).status_code == 200


@pytest.mark.parametrize(("name", "kind"), API_GETS)
@pytest.mark.parametrize("who", ["otto", "alice", "anonymous"])
def test_the_api_refuses_everyone_else(request, other_course, world, who, name, kind):
    api = APIClient()
    if who != "anonymous":
        api.force_authenticate(request.getfixturevalue(who))
    response = api.get(reverse(name, args=_args(kind, world)))
    if who == "otto" and name in LISTS:
        assert response.status_code == 200
        assert "ai-gen" not in response.content.decode()
        return
    expected = {"otto": 404, "alice": 403, "anonymous": (401, 403)}[who]
    assert response.status_code in (expected if isinstance(expected, tuple) else (expected,))
    assert "error" in response.json()


@pytest.mark.parametrize(("name", "kind", "data"), API_POSTS)
@pytest.mark.parametrize("who", ["otto", "alice", "anonymous"])
def test_the_api_refuses_writes_from_everyone_else(
    request, other_course, world, who, name, kind, data
):
    api = APIClient()
    if who != "anonymous":
        api.force_authenticate(request.getfixturevalue(who))
    response = api.post(reverse(name, args=_args(kind, world)), data, format="json")
    assert response.status_code in {"otto": (404,), "alice": (403,), "anonymous": (401, 403)}[who]
    _nothing_changed(world)


def test_a_superuser_sees_every_course(client, ada, world):
    client.force_login(ada)
    assert client.get(reverse("grades:gradebook", args=[world["slug"]])).status_code == 200


def test_a_student_cannot_read_another_students_feedback(client, bob, world):
    client.force_login(bob)
    assert client.get(reverse("mygrades:feedback", args=[world["review"]])).status_code == 404
    api = APIClient()
    api.force_authenticate(bob)
    assert api.get(reverse("grades-api:my_feedback", args=[world["review"]])).status_code == 404


def test_a_teacher_of_another_course_cannot_read_it_as_a_student_page(client, otto, world):
    client.force_login(otto)
    assert client.get(reverse("mygrades:feedback", args=[world["auto"]])).status_code == 404
