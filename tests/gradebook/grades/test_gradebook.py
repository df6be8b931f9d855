"""The gradebook: students × lessons, best score per item, totals; CSV and JSON agree."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from gradebook.grades.selectors import gradebook_csv, gradebook_for
from gradebook.quizzes.models import AttemptStatus

from .conftest import make_attempt, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(alice, bob, numeric_item, free_text_item, exercise_item, course, lesson):
    alice.first_name, alice.last_name = "Alice", "Zed"
    alice.save()
    bob.first_name, bob.last_name = "=cmd", "Alpha"  # a name a spreadsheet would run
    bob.save()
    make_attempt(alice, numeric_item, "1", score=0.0)
    make_attempt(alice, numeric_item, "1.2", score=0.75, correct=True)  # best of two tries
    make_attempt(alice, free_text_item, "x", status=AttemptStatus.REVIEWED, score=0.5)
    make_attempt(bob, exercise_item, {"prompt": "cat"})  # pending review
    make_attempt(bob, numeric_item, "9**9**9", status=AttemptStatus.UNDECIDED)
    retired = make_item(course, lesson, {"id": "old", "type": "numeric", "text": "?", "answer": 1})
    make_attempt(alice, retired, "1", score=1.0, correct=True)
    retired.retire()


def test_it_takes_the_best_score_and_sums_lessons(graded):
    book = gradebook_for(graded_course())
    assert [lesson.slug for lesson, _ in book.lessons] == ["sampling", "diffusion"]
    assert [i.key for i in book.items] == ["neg-log", "why-temperature", "prompt-a-cat"]
    assert book.max_points == 9.0 and book.lesson_max == [6.0, 3.0]
    bob, alice = book.rows  # ordered by last name
    assert alice.student.username == "alice"
    assert [c.points for c in alice.cells] == [1.5, 2.0, None]
    assert [c.status for c in alice.cells] == ["graded", "graded", "none"]
    assert alice.cells[0].tries == 2
    assert alice.lesson_totals == [3.5, 0.0] and alice.total == 3.5
    assert alice.percent == pytest.approx(38.9)
    assert [c.status for c in bob.cells] == ["undecided", "none", "pending"]
    assert bob.total == 0.0


def graded_course():
    from gradebook.courses.models import Course

    return Course.objects.get(slug="ai-gen")


@pytest.mark.embedded
def test_the_csv_is_one_row_per_student_with_plain_numbers(graded):
    text = gradebook_csv(gradebook_for(graded_course()))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["username", "email", "last_name", "first_name"]
    assert rows[0][4] == "Sampling: Surprisal of p = 0.3 [2]"
    assert rows[0][-3:] == ["total_points", "max_points", "percent"]
    by_user = {r[0]: r for r in rows[1:]}
    assert by_user["alice"][4:7] == ["1.5", "2", ""]
    assert by_user["alice"][-3:] == ["3.5", "9", "38.9"]
    assert by_user["bob"][3] == "'=cmd"  # never a formula in a spreadsheet


def test_the_csv_download_is_an_attachment(tara_client, graded):
    response = tara_client.get(reverse("grades:gradebook_csv", args=["ai-gen"]))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="gradebook-ai-gen.csv"' in response["Content-Disposition"]


def test_the_json_has_the_same_numbers(tara_api, graded):
    body = tara_api.get(reverse("grades-api:gradebook", args=["ai-gen"])).json()
    alice = next(s for s in body["students"] if s["username"] == "alice")
    assert alice["items"]["neg-log"] == {"points": 1.5, "status": "graded", "tries": 2}
    assert alice["lessons"] == {"sampling": 3.5, "diffusion": 0.0}
    assert (alice["total"], body["max_points"], alice["percent"]) == (3.5, 9.0, 38.9)


def test_the_page_shows_cells_linked_to_answers(tara_client, graded):
    html = tara_client.get(reverse("grades:gradebook", args=["ai-gen"])).content.decode()
    assert 'data-status="pending"' in html
    assert reverse("grades:item_answers", args=["ai-gen", "neg-log"]) + "?student=alice" in html
    assert 'data-col="total" data-value="3.5">3.5</td>' in html


def test_an_empty_course_has_an_empty_gradebook(tara_client, tara):
    from gradebook.courses.models import Course

    course = Course.objects.create(slug="empty", title="Empty")
    course.teachers.add(tara)
    book = gradebook_for(course)
    assert book.rows == [] and book.max_points == 0
    assert tara_client.get(reverse("grades:gradebook", args=["empty"])).status_code == 200
