"""The review queue: hand-graded answers only, filters, oldest first, counts, next."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gradebook.grades.selectors import QueueFilters, queue_counts, queue_neighbours, review_queue
from gradebook.grades.services import review_save
from gradebook.quizzes.models import Attempt

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(tara, alice, bob, numeric_item, free_text_item, exercise_item):
    a1 = make_attempt(alice, free_text_item, "alice text")
    b1 = make_attempt(bob, exercise_item, {"prompt": "a cat"})
    b2 = make_attempt(bob, free_text_item, "bob text")
    make_attempt(alice, numeric_item, "1.2", score=1.0, correct=True)  # auto-graded: not queued
    review_save(attempt=b2, by=tara, rubric_scores={"idea": 1}, action="draft")
    return {"a1": a1, "b1": b1, "b2": b2}


def _ids(qs):
    return [a.pk for a in qs]


def test_it_lists_pending_hand_graded_answers_oldest_first(tara, queue):
    qs = review_queue(Attempt.objects.all(), QueueFilters())
    assert _ids(qs) == [queue["a1"].pk, queue["b1"].pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"student": "bob"}, ["b1"]),
        ({"item": "why-temperature"}, ["a1"]),
        ({"lesson": "diffusion"}, ["b1"]),
        ({"course": "ai-gen"}, ["a1", "b1"]),
        ({"course": "nope"}, []),
        ({"state": "draft"}, ["b2"]),
        ({"state": "all"}, ["a1", "b1", "b2"]),
        ({"state": "bogus"}, ["a1", "b1"]),
    ],
)
def test_it_filters(queue, params, expected):
    qs = review_queue(Attempt.objects.all(), QueueFilters.from_params(params))
    assert _ids(qs) == [queue[k].pk for k in expected]


def test_it_counts_each_state_under_the_other_filters(tara, queue):
    review_save(
        attempt=queue["a1"], by=tara, rubric_scores={"idea": 2, "example": 2}, action="return"
    )
    all_counts = queue_counts(Attempt.objects.all(), QueueFilters())
    assert all_counts == {"pending": 1, "draft": 1, "returned": 1}
    bobs = queue_counts(Attempt.objects.all(), QueueFilters(student="bob"))
    assert bobs == {"pending": 1, "draft": 1, "returned": 0}


def test_next_moves_on_from_an_answer_just_returned(tara, queue):
    review_save(
        attempt=queue["a1"], by=tara, rubric_scores={"idea": 2, "example": 2}, action="return"
    )
    prev, nxt = queue_neighbours(Attempt.objects.all(), QueueFilters(), queue["a1"])
    assert prev is None and nxt == queue["b1"]
    prev, nxt = queue_neighbours(Attempt.objects.all(), QueueFilters(), queue["b1"])
    assert prev is None and nxt is None


def test_the_queue_page_shows_counts_and_links(tara_client, queue):
    response = tara_client.get(reverse("grades:queue"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "alice text" not in html  # the list shows items, not answers
    assert reverse("grades:attempt", args=[queue["a1"].pk]) in html
    assert reverse("grades:attempt", args=[queue["b2"].pk]) not in html  # a draft
    assert 'data-state="draft">Drafts: <span class="count">1</span>' in html


def test_start_reviewing_opens_the_oldest_with_the_filters_kept(tara_client, queue):
    response = tara_client.get(reverse("grades:queue_next") + "?student=bob")
    assert response.status_code == 302
    assert response.url == reverse("grades:attempt", args=[queue["b1"].pk]) + "?student=bob"


def test_start_reviewing_an_empty_queue_goes_back_to_the_list(tara_client, queue):
    response = tara_client.get(reverse("grades:queue_next") + "?student=carol")
    assert response.status_code == 302 and response.url.startswith(reverse("grades:queue"))


def test_the_review_page_links_to_the_next_answer(tara_client, queue):
    html = tara_client.get(reverse("grades:attempt", args=[queue["a1"].pk])).content.decode()
    assert 'id="next-in-queue"' in html
    assert reverse("grades:attempt", args=[queue["b1"].pk]) in html


def test_the_api_lists_the_queue_with_counts(tara_api, queue):
    body = tara_api.get(reverse("grades-api:queue") + "?state=all&limit=2").json()
    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [queue["a1"].pk, queue["b1"].pk]
    assert body["counts"] == {"pending": 2, "draft": 1, "returned": 0}
    assert body["results"][1]["state"] == "pending"


def test_the_api_refuses_a_negative_offset(tara_api, queue):
    response = tara_api.get(reverse("grades-api:queue") + "?offset=-1")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "offset"


def test_the_api_gives_the_attempt_with_its_neighbours(tara_api, queue):
    body = tara_api.get(reverse("grades-api:attempt", args=[queue["a1"].pk])).json()
    assert body["next_in_queue"] == queue["b1"].pk
    assert body["rubric"][0]["id"] == "idea"
    assert body["response"] == "alice text"
