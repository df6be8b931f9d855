"""Student pages: course, lesson with its inputs, the no-JS submit path, attempt history."""

import pytest
from django.urls import reverse

from gradebook.quizzes.models import Attempt
from tests.gradebook.quizzes.factories import item, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client, enrolled):
    client.force_login(enrolled)
    return client


def lesson_url():
    return reverse("lesson", args=["ai-gen", "text-vs-images"])


def test_pages_need_a_login(client, course):
    for url in (reverse("course", args=["ai-gen"]), lesson_url(), reverse("attempts")):
        res = client.get(url)
        assert res.status_code == 302 and res["Location"].startswith(reverse("login"))


def test_the_course_page_lists_lessons_in_order_with_a_progress_bar(client_in, course):
    html = client_in.get(reverse("course", args=["ai-gen"])).content.decode()
    assert html.index("Language generation vs. media generation") < html.index("Latent space")
    assert "<progress" in html and "0% complete" in html


def test_a_course_the_student_is_not_in_is_404(client_in):
    make_course("other", "Other")
    assert client_in.get(reverse("course", args=["other"])).status_code == 404
    assert client_in.get(reverse("lesson", args=["other", "text-vs-images"])).status_code == 404


def test_the_lesson_page_renders_markdown_math_korean_and_facts(client_in, course):
    res = client_in.get(lesson_url())
    html = res.content.decode()
    assert res.status_code == 200
    assert "<strong>tokens</strong>" in html
    assert "<math" in html  # $L = -\ln(p)$ and the key-fact formula, as MathML
    assert "피파 한 줄 정리" in html
    assert "Key facts" in html and "Key takeaways" in html and "Vocabulary" in html
    assert "Level 0" in html and "Spark" in html and "0/200 XP to next level" in html


def test_the_lesson_page_has_an_input_per_item_type(client_in, course):
    html = client_in.get(lesson_url()).content.decode()
    assert 'name="response__unit"' in html  # images-time wants a unit box
    assert 'type="radio" name="response" value="llm"' in html
    assert 'name="part-per_image"' in html and 'name="part-twelve"' in html
    assert "<textarea" in html
    assert 'data-interpret-url="/api/items/' in html
    assert "csrfmiddlewaretoken" in html


def test_the_lesson_page_never_shows_the_key(client_in, course):
    html = client_in.get(lesson_url()).content.decode()
    assert "natural log" not in html  # a mistake's feedback
    assert "one token at a time." not in html  # the free-text model answer
    assert "-log10(0.3)" not in html
    assert "≈ 1.204" not in html  # the explanation, before the item is done


def test_the_form_post_grades_and_comes_back_to_the_item(client_in, course):
    it = item(course, "ce-loss")
    res = client_in.post(
        reverse("item-submit", args=[it.pk]), {"response": "-ln(0.3)", "idempotency_key": "f1"}
    )
    assert res.status_code == 302 and res["Location"].endswith(f"#item-{it.pk}")
    html = client_in.get(res["Location"]).content.decode()
    assert "verdict-correct" in html and "≈ 1.204" in html
    assert Attempt.objects.get().correct


def test_a_form_post_with_a_unit_box_joins_number_and_unit(client_in, course, enrolled):
    from gradebook.quizzes.services import variant_params

    it = item(course, "images-time")
    n = variant_params(enrolled, it)["n"]
    client_in.post(
        reverse("item-submit", args=[it.pk]), {"response": str(n * 4), "response__unit": "s"}
    )
    assert Attempt.objects.get().correct


def test_an_unreadable_form_answer_shows_the_graders_message(client_in, course):
    it = item(course, "ce-loss")
    res = client_in.post(reverse("item-submit", args=[it.pk]), {"response": "(("}, follow=True)
    assert res.status_code == 200
    assert 'class="error" role="alert"' in res.content.decode()
    assert Attempt.objects.count() == 0


def test_the_form_post_for_multipart_and_choices(client_in, course):
    client_in.post(
        reverse("item-submit", args=[item(course, "steps").pk]),
        {"part-per_image": "4", "part-twelve": "48"},
    )
    client_in.post(
        reverse("item-submit", args=[item(course, "which-model").pk]), {"response": "llm"}
    )
    assert list(Attempt.objects.values_list("correct", flat=True)) == [True, True]


def test_free_text_shows_waiting_for_review(client_in, course):
    client_in.post(
        reverse("item-submit", args=[item(course, "explain").pk]), {"response": "Noise."}
    )
    assert "Awaiting review" in client_in.get(lesson_url()).content.decode()


def test_submitting_to_another_courses_item_is_404(client_in):
    other = make_course("other", "Other")
    res = client_in.post(
        reverse("item-submit", args=[item(other, "ce-loss").pk]), {"response": "1"}
    )
    assert res.status_code == 404


def test_submit_refuses_get(client_in, course):
    assert (
        client_in.get(reverse("item-submit", args=[item(course, "ce-loss").pk])).status_code == 405
    )


def test_the_form_needs_the_csrf_token(course, enrolled):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(enrolled)
    res = client.post(reverse("item-submit", args=[item(course, "ce-loss").pk]), {"response": "1"})
    assert res.status_code == 403


def test_attempt_history_lists_only_my_answers(client_in, course, bob):
    from gradebook.quizzes.services import submit_answer

    course.enroll(bob)
    submit_answer(student=bob, item=item(course, "ce-loss"), response="777")
    client_in.post(reverse("item-submit", args=[item(course, "ce-loss").pk]), {"response": "555"})
    html = client_in.get(reverse("attempts")).content.decode()
    assert "555" in html and "777" not in html


def test_the_lesson_page_speaks_korean(client_in, course):
    client_in.cookies["django_language"] = "ko"
    html = client_in.get(lesson_url()).content.decode()
    assert 'lang="ko"' in html
    assert "핵심 사실" in html  # "Key facts"
    assert "제출" in html  # "Submit"
