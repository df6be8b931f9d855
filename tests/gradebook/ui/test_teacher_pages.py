"""The teachers' pages: tables people can read, the review side by side, answer groups, honest
tags, answers as typed, translated pages, styled error pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from gradebook.grades.services import grade_override, regrade_start
from gradebook.quizzes.models import Attempt
from gradebook.quizzes.services import submit_answer
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db


def test_the_gradebook_puts_total_and_percent_next_to_the_name(tara_client, teaching, enrolled):
    submit_answer(student=enrolled, item=item(teaching, "ce-loss"), response="1.204")
    html = tara_client.get(reverse("grades:gradebook", args=["ai-gen"])).content.decode()
    headers = re.findall(r'data-sort-key="(\w+)"', html)
    assert headers[:3] == ["student", "total", "percent"]
    row = re.search(r'<tr data-student="alice".*?</tr>', html, re.S).group(0)
    cells = re.findall(r'data-col="(\w+)"', row)
    assert cells[:3] == ["student", "total", "percent"]
    assert "data-table-search" in html and "data-column-filter" in html
    assert 'class="table-scroll"' in html and "sticky-col" in html


def test_the_queue_filters_are_dropdowns_of_titles(tara_client, teaching, enrolled):
    submit_answer(student=enrolled, item=item(teaching, "explain"), response="Noise.")
    html = tara_client.get(reverse("grades:queue")).content.decode()
    for name in ("course", "lesson", "item", "student"):
        assert f'<select name="{name}"' in html
    assert (
        '<option value="text-vs-images">Language generation vs. media generation</option>' in html
    )
    assert '<option value="explain">Explain one difference</option>' in html
    assert '<option value="alice">alice</option>' in html


def test_an_overridden_choice_answer_is_tagged_overridden_not_pending(
    tara_client, teaching, enrolled, tara
):
    attempt = submit_answer(student=enrolled, item=item(teaching, "which-model"), response="vae")
    page = tara_client.get(reverse("grades:attempt", args=[attempt.pk])).content.decode()
    assert 'data-state="graded"' in page and 'data-state="pending"' not in page
    grade_override(attempt=attempt, by=tara, points=1, reason="Fair reading.")
    page = tara_client.get(reverse("grades:attempt", args=[attempt.pk])).content.decode()
    assert 'data-state="overridden"' in page and 'data-state="pending"' not in page
    listing = tara_client.get(
        reverse("grades:item_answers", args=["ai-gen", "which-model"])
    ).content.decode()
    assert 'data-state="overridden"' in listing and "A VAE decoder" in listing


def test_answers_show_as_typed_on_the_teachers_pages(tara_client, teaching, enrolled, tara):
    steps = item(teaching, "steps")
    attempt = submit_answer(
        student=enrolled, item=steps, response={"per_image": "sqrt 16", "twelve": "47"}
    )
    page = tara_client.get(reverse("grades:attempt", args=[attempt.pk])).content.decode()
    assert "<dt>Time for one image (s)</dt>" in page and "read as sqrt(16)" in page
    analytics = tara_client.get(reverse("grades:item", args=["ai-gen", "steps"])).content.decode()
    assert "Time for one image (s): sqrt 16; Time for 12 images (s): 47" in analytics
    assert '{"per_image"' not in analytics
    spec = {**steps.spec}
    spec["parts"] = [spec["parts"][0], {**spec["parts"][1], "answer": "47"}]
    steps.set_spec(spec)
    run = regrade_start(item=steps, by=tara)
    from gradebook.grades.services import regrade_compute_preview

    regrade_compute_preview(run.pk)
    preview = tara_client.get(reverse("grades:regrade", args=[run.pk])).content.decode()
    assert "Time for 12 images (s): 47" in preview


def test_identical_free_text_answers_are_scored_as_one_group(client, teaching, enrolled, bob, tara):
    teaching.enroll(bob)
    explain = item(teaching, "explain")
    a = submit_answer(student=enrolled, item=explain, response="Diffusion  refines the canvas.")
    b = submit_answer(student=bob, item=explain, response="diffusion refines the canvas.")
    other = submit_answer(student=bob, item=item(teaching, "explain"), response="Tokens.")
    client.force_login(tara)
    url = reverse("grades:answer_groups") + "?course=ai-gen&item=explain"
    html = client.get(url).content.decode()
    assert html.count('class="card group"') == 2 and "2 answers: alice, bob" in html
    group_key = re.search(r'name="group" value="([^"]+)"', html).group(1)
    response = client.post(
        reverse("grades:answer_groups"),
        {"group": group_key, "course": "ai-gen", "item": "explain", "rubric_diff": "1",
         "comment": "Yes: the whole canvas.", "action": "return"},
    )  # fmt: skip
    assert response.status_code == 302
    for attempt in (a, b):
        attempt.refresh_from_db()
        assert attempt.status == "reviewed" and attempt.score == 1.0
        assert attempt.review.comment == "Yes: the whole canvas."
    other.refresh_from_db()
    assert other.status == "pending_review"


def test_a_group_missing_a_criterion_changes_nobody(client, teaching, enrolled, bob, tara):
    teaching.enroll(bob)
    explain = item(teaching, "explain")
    submit_answer(student=enrolled, item=explain, response="Same.")
    submit_answer(student=bob, item=explain, response="Same.")
    client.force_login(tara)
    response = client.post(
        reverse("grades:answer_groups"),
        {"group": "same.", "course": "ai-gen", "item": "explain", "action": "return"},
    )
    assert response.status_code == 400 and "Score every criterion" in response.content.decode()
    assert not Attempt.objects.filter(item=explain, status="reviewed").exists()


def test_the_review_page_puts_the_rubric_beside_the_answer(tara_client, teaching, enrolled):
    attempt = submit_answer(student=enrolled, item=item(teaching, "explain"), response="Noise.")
    html = tara_client.get(reverse("grades:attempt", args=[attempt.pk])).content.decode()
    work, panel = html.index('class="review-work review-main"'), html.index('class="review-panel"')
    assert work < panel and 'id="review-form"' in html[panel:]
    assert "js/review.js" in html and "<kbd>j</kbd>" in html
    assert "<script>" not in html and "onchange=" not in html  # nothing inline (CSP)


def test_a_student_gets_a_styled_403_on_a_teachers_page(client, enrolled):
    client.force_login(enrolled)
    response = client.get(reverse("grades:queue"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page is not open to you" in html and 'href="/static/css/app.css"' in html


def test_a_missing_page_gets_a_styled_404(client, enrolled):
    client.force_login(enrolled)
    response = client.get("/learn/no-such-course/")
    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_the_500_page_needs_no_request_or_database():
    from django.template.loader import get_template

    html = get_template("500.html").render({})
    assert "Something went wrong on our side" in html


def test_teacher_pages_and_grader_words_are_in_korean(client, teaching, enrolled, tara):
    attempt = submit_answer(student=enrolled, item=item(teaching, "ce-loss"), response="12.04")
    client.force_login(tara)
    with translation.override("ko"):
        gradebook = client.get(
            reverse("grades:gradebook", args=["ai-gen"]), HTTP_ACCEPT_LANGUAGE="ko"
        ).content.decode()
        page = client.get(
            reverse("grades:attempt", args=[attempt.pk]), HTTP_ACCEPT_LANGUAGE="ko"
        ).content.decode()
    assert "그레이드북" in gradebook and "학생 검색" in gradebook
    assert "10^1배만큼 차이 나요" in page and "off by a factor" not in page


def test_the_student_sees_the_graders_feedback_in_korean(client, course, enrolled):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(enrolled)
    url = reverse("api-submit", args=[item(course, "ce-loss").pk])
    body = api.post(url, {"response": "-1.204"}, format="json", HTTP_ACCEPT_LANGUAGE="ko").json()
    assert "부호를 확인하세요" in body["feedback"]
    refused = api.post(url, {"response": "1,2"}, format="json", HTTP_ACCEPT_LANGUAGE="ko").json()
    assert "쉼표" in refused["error"]["message"]
