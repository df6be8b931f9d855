"""What a student sees about their own work: honest marks, best score, new feedback, answers
as typed, never the key or the server's paths."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gradebook.courses.models import Item, Lesson
from gradebook.grades.services import grade_override, review_save
from gradebook.quizzes.models import Attempt
from gradebook.quizzes.services import InvalidAnswer, submit_answer
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db

TIMING = {
    "id": "timing",
    "type": "multipart",
    "title": "Denoising time",
    "text": "50 steps of 0.08 s each.",
    "parts": [
        {"id": "one", "label": "One image", "type": "numeric", "answer": "50*0.08", "unit": "s"},
        {"id": "why", "label": "Why so slow?", "type": "free_text"},
    ],
}


def add_item(course, spec, order=20):
    lesson = Lesson.objects.get(course=course, slug="text-vs-images")
    obj = Item(
        course=course, lesson=lesson, key=spec["id"], type=spec["type"], order=order,
        title=spec.get("title", ""), text=spec["text"],
    )  # fmt: skip
    obj.set_spec(spec)
    return obj


def lesson_html(client):
    return client.get(reverse("lesson", args=["ai-gen", "text-vs-images"])).content.decode()


def card(html, item_obj):
    start = html.index(f'id="item-{item_obj.pk}"')
    return html[start : html.index("</article>", start)]


def test_a_part_awaiting_review_is_neutral_not_a_red_cross(student_client, course, enrolled):
    timing = add_item(course, TIMING)
    submit_answer(student=enrolled, item=timing, response={"one": "4 s", "why": "Many steps."})
    html = card(lesson_html(student_client), timing)
    why = re.search(r'<li class="(\w+)" data-outcome="needs_review">(.*?)</li>', html)
    assert why is not None and why.group(1) == "review"
    assert "Awaiting review" in why.group(2) and "Saved:" not in why.group(2)
    assert 'class="no"' not in html


def test_the_card_keeps_the_best_score_and_done_after_a_worse_try(student_client, course, enrolled):
    loss = item(course, "ce-loss")
    submit_answer(student=enrolled, item=loss, response="1.204")
    submit_answer(student=enrolled, item=loss, response="5")
    html = card(lesson_html(student_client), loss)
    assert "best 1.00" in html
    assert re.search(r'<span class="badge ok">[^<]*<svg[^>]*>.*?</svg> Done</span>', html, re.S)
    assert "Latest try:" in html  # the verdict shown is the latest, said so


def test_the_course_page_shows_each_items_best_score_and_done(student_client, course, enrolled):
    submit_answer(student=enrolled, item=item(course, "ce-loss"), response="1.204")
    html = student_client.get(reverse("course", args=["ai-gen"])).content.decode()
    chip = re.search(r'<li class="chip done">(.*?)</li>', html, re.S)
    assert (
        chip is not None and "Cross-entropy loss" in chip.group(1) and "best 1.00" in chip.group(1)
    )


def test_every_page_links_to_my_grades(student_client, course):
    for url in (reverse("dashboard"), reverse("course", args=["ai-gen"]), reverse("attempts")):
        html = student_client.get(url).content.decode()
        assert f'href="{reverse("mygrades:list")}" id="nav-my-grades"' in html


def test_new_teacher_feedback_shows_until_the_student_opens_it(
    student_client, course, enrolled, tara
):
    explain = item(course, "explain")
    attempt = submit_answer(student=enrolled, item=explain, response="Noise is removed.")
    review_save(
        attempt=attempt, by=tara, rubric_scores={"diff": 1}, comment="Good.", action="return"
    )
    feedback_url = reverse("mygrades:feedback", args=[attempt.pk])
    for url in (reverse("dashboard"), reverse("course", args=["ai-gen"]), reverse("mygrades:list")):
        html = student_client.get(url).content.decode()
        assert "new grade or comment from your teacher" in html and feedback_url in html, url
    assert "New feedback from your teacher" in card(lesson_html(student_client), explain)
    course_page = student_client.get(reverse("course", args=["ai-gen"])).content.decode()
    assert 'class="badge ok new-feedback"' in course_page  # on the lesson's row

    student_client.get(feedback_url)  # opened: no longer new
    assert "new grade or comment" not in student_client.get(reverse("dashboard")).content.decode()
    assert "New feedback from your teacher" not in card(lesson_html(student_client), explain)
    course_page = student_client.get(reverse("course", args=["ai-gen"])).content.decode()
    assert "new-feedback" not in course_page


def test_an_override_after_a_seen_grade_is_new_again(student_client, course, enrolled, tara):
    attempt = submit_answer(student=enrolled, item=item(course, "ce-loss"), response="2")
    assert "new grade or comment" not in student_client.get(reverse("dashboard")).content.decode()
    grade_override(attempt=attempt, by=tara, points=1, reason="Close enough.")
    assert "new grade or comment" in student_client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize(
    ("key", "response"),
    [
        ("images-time", "4 kg"),
        ("timing", {"one": "4 kg", "why": "Many steps."}),
    ],
)
def test_a_unit_of_the_wrong_kind_is_not_a_try_in_any_item_type(course, enrolled, key, response):
    target = add_item(course, TIMING) if key == "timing" else item(course, key)
    with pytest.raises(InvalidAnswer) as refused:
        submit_answer(student=enrolled, item=target, response=response)
    assert "Expected a time" in refused.value.message and "'kg' is a mass" in refused.value.message
    assert not Attempt.objects.filter(item=target).exists()


def test_the_api_refuses_a_wrong_unit_without_counting_it(course, enrolled):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(enrolled)
    target = add_item(course, TIMING)
    url = reverse("api-submit", args=[target.pk])
    response = api.post(url, {"response": {"one": "4 kg", "why": "x"}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Check One image: Expected a time")
    ok = api.post(url, {"response": {"one": "4 s", "why": "x"}}, format="json")
    assert ok.status_code == 201 and ok.json()["number"] == 1


def test_answers_show_as_typed_on_my_answers_and_the_feedback_page(
    student_client, course, enrolled
):
    choice = submit_answer(student=enrolled, item=item(course, "which-model"), response="diffusion")
    parts = submit_answer(
        student=enrolled,
        item=item(course, "steps"),
        response={"per_image": "sqrt 16", "twelve": "48"},
    )
    listing = student_client.get(reverse("attempts")).content.decode()
    assert "A diffusion model" in listing and ">diffusion<" not in listing
    assert "Time for one image (s): sqrt 16 → sqrt(16); Time for 12 images (s): 48" in listing
    assert "{" not in listing.split("<tbody>")[1]  # never a raw dict or JSON
    page = student_client.get(reverse("mygrades:feedback", args=[parts.pk])).content.decode()
    assert "<dt>Time for one image (s)</dt>" in page and "read as sqrt(16)" in page
    page = student_client.get(reverse("mygrades:feedback", args=[choice.pk])).content.decode()
    assert "A diffusion model" in page


def test_answer_boxes_have_generic_placeholders_and_help_that_never_states_the_key(
    student_client, course
):
    html = lesson_html(student_client)
    exact = card(html, item(course, "ce-exact"))
    assert 'placeholder="an exact expression"' in exact
    assert "ln(0.3)" not in exact and "ln(10/3)" not in exact
    assert "Write it in natural-log form, for example ln(2)." in exact
    assert "-ln(0.3)" not in card(html, item(course, "ce-loss"))


def test_an_author_placeholder_is_used(student_client, course):
    spec = {**item(course, "ce-loss").spec, "placeholder": "a loss in nats"}
    loss = item(course, "ce-loss")
    loss.set_spec(spec)
    assert 'placeholder="a loss in nats"' in card(lesson_html(student_client), loss)


def test_students_see_a_models_name_not_the_workers_path():
    from exercises.models import model_display_name

    assert model_display_name("/srv/gradebook/var/models/tiny-sd") == "tiny-sd"
    assert model_display_name("var/models/smollm2-135m-instruct") == "smollm2-135m-instruct"
    assert model_display_name("C:\\models\\tiny") == "tiny"
    assert model_display_name("HuggingFaceTB/SmolLM2-135M-Instruct") == (
        "HuggingFaceTB/SmolLM2-135M-Instruct"
    )


def test_achievement_icons_are_svg_with_text_not_emoji(student_client, course):
    from gradebook.progress.achievements import CATALOGUE

    html = student_client.get(reverse("dashboard")).content.decode()
    assert not [a.icon for a in CATALOGUE if a.icon in html]
    assert 'role="img" aria-label="First step"' in html
    assert html.count("<svg") >= len(CATALOGUE)


def test_lesson_pages_get_the_compact_level_strip(student_client, course):
    html = lesson_html(student_client)
    assert 'class="levelbar compact"' in html
    assert "lessons</li>" not in html.split('class="levelbar compact"')[1].split("</section>")[0]
