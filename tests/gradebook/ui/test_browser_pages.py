"""The pages people struggled with, in Chromium at 1280×800 and on a phone (390×844).

For the gradebook, the review queue, item analytics, My answers, the review page and the item
editor: no table cell is taller than three lines of text and the page never scrolls sideways
(a wide table scrolls inside itself). Screenshots are saved as test artifacts. Then the
scripts: sorting and searching a table, the review page's keys, the editor's live check.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gradebook.courses.models import Item, Lesson
from gradebook.quizzes.services import submit_answer
from tests.browser import screenshot
from tests.gradebook.quizzes.factories import item, make_course

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
NAMES = [
    ("Minji", "Kim"), ("Jiho", "Lee"), ("Seoyeon", "Park"), ("Hyunwoo", "Choi"),
    ("Yuna", "Jung"), ("Doyun", "Kang"), ("Haeun", "Yoon"), ("Maximilian", "Oberhauser-Lindqvist"),
]  # fmt: skip
EXPLAIN = (
    "Diffusion refines a whole noisy canvas over many steps, while a language model adds one "
    "token at a time, each chosen from the ones before it."
)

#: Cells taller than three lines of their own text (hidden cells are skipped).
TALL_CELLS = """() => {
  const tall = [];
  document.querySelectorAll("table th, table td").forEach((cell) => {
    if (!cell.offsetParent) return;
    const s = getComputedStyle(cell);
    const line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.6;
    const box = parseFloat(s.paddingTop) + parseFloat(s.paddingBottom)
      + parseFloat(s.borderTopWidth) + parseFloat(s.borderBottomWidth);
    const height = cell.getBoundingClientRect().height;
    const text = cell.textContent.trim().slice(0, 40);
    if (height > 3 * line + box + 2) tall.push(`${text} (${height}px)`);
  });
  return tall;
}"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def classroom(django_user_model, tara):
    """A course with eight students' answers: right, wrong, awaiting review, several parts."""
    course = make_course()
    course.teachers.add(tara)
    lesson = Lesson.objects.get(course=course, slug="text-vs-images")
    long_title = Item(
        course=course, lesson=lesson, key="long-title", type="numeric", order=30,
        title="How many forward passes does a five-hundred-word answer take, roughly?",
        text="About 1.4 tokens per word: how many passes for 500 words?",
    )  # fmt: skip
    long_title.set_spec(
        {
            "id": "long-title",
            "type": "numeric",
            "title": long_title.title,
            "text": long_title.text,
            "answer": 700,
            "tolerance": {"relative": 0.15},
        }
    )
    students = []
    for index, (first, last) in enumerate(NAMES):
        user = django_user_model.objects.create_user(
            f"s{index}", f"s{index}@example.org", "student-pass-1", first_name=first, last_name=last
        )
        course.enroll(user)
        students.append(user)
        submit_answer(
            student=user, item=item(course, "ce-loss"), response="1.204" if index % 2 else "5"
        )
        submit_answer(
            student=user, item=item(course, "which-model"), response="llm" if index % 3 else "vae"
        )
        submit_answer(
            student=user,
            item=item(course, "steps"),
            response={"per_image": "4", "twelve": "48" if index % 2 else "4.8"},
        )
        submit_answer(student=user, item=long_title, response=str(650 + index * 10))
        if index < 6:
            submit_answer(student=user, item=item(course, "explain"), response=EXPLAIN)
    return course, students


def _login(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _check(page: Any, name: str) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate(SIDEWAYS) <= 0, f"{name}: the page scrolls sideways"
    assert page.evaluate(TALL_CELLS) == [], f"{name}: table cells taller than three lines"
    screenshot(page, name)


def test_the_teachers_and_students_pages_fit_both_screens(
    chromium_browser, live_server, classroom, tara
):
    course, students = classroom
    explain_attempt = students[0].attempts.get(item__key="explain")
    teacher_pages = {
        "gradebook": reverse("grades:gradebook", args=[course.slug]),
        "queue": reverse("grades:queue"),
        "analytics": reverse("grades:course_analytics", args=[course.slug]),
        "item-analytics": reverse("grades:item", args=[course.slug, "steps"]),
        "review": reverse("grades:attempt", args=[explain_attempt.pk]),
        "item-editor": reverse("grades:item_edit", args=[course.slug, "steps"]),
        "discussion": reverse("discussion:course", args=[course.slug]),
    }
    from gradebook.discussion import services as discussion

    lesson = Lesson.objects.get(course=course, slug="text-vs-images")
    top = discussion.comment_post(
        lesson=lesson, author=students[1], body="Why is the loss **$-\\ln p$** in *nats*?"
    )
    discussion.comment_post(
        lesson=lesson, author=tara, body="Because `ln` is the natural log.", parent=top
    )
    for viewport, size in VIEWPORTS.items():
        context = chromium_browser.new_context(base_url=live_server.url, viewport=size)
        page = context.new_page()
        page.set_default_timeout(20_000)
        _login(page, live_server, tara)
        for name, url in teacher_pages.items():
            page.goto(url)
            _check(page, f"ui-{name}-{viewport}")
        _login(page, live_server, students[1])
        page.goto(reverse("attempts"))
        _check(page, f"ui-my-answers-{viewport}")
        page.goto(reverse("mygrades:list"))
        _check(page, f"ui-my-grades-{viewport}")
        page.goto(reverse("lesson", args=[course.slug, "text-vs-images"]) + "#discussion")
        assert page.locator("#discussion .reply").count() == 1
        _check(page, f"ui-lesson-discussion-{viewport}")
        page.goto(reverse("dashboard"))
        assert page.locator("#chart-xp svg").count() == 1
        _check(page, f"ui-dashboard-{viewport}")
        context.close()


def test_the_gradebook_sorts_searches_and_filters_in_place(
    browser_page, live_server, classroom, tara
):
    course, _ = classroom
    page = browser_page
    _login(page, live_server, tara)
    page.goto(reverse("grades:gradebook", args=[course.slug]))
    rows = page.locator("#gradebook-table tbody tr")
    assert rows.count() == len(NAMES)
    page.locator('th[data-sort-key="total"] button.sort').click()
    totals = [
        float(v)
        for v in rows.evaluate_all(
            "rs => rs.map(r => r.querySelector('[data-col=total]').dataset.value)"
        )
    ]
    assert totals == sorted(totals, reverse=True)
    page.fill("[data-table-search]", "oberhauser")
    assert page.locator("#gradebook-table tbody tr:visible").count() == 1
    assert "1 / 8" in page.locator("[data-table-count]").inner_text()
    page.fill("[data-table-search]", "")
    page.check('[data-row-filter="gradebook-table"]')
    assert page.locator("#gradebook-table tbody tr:visible").count() == 6  # answers awaiting review
    page.select_option("[data-column-filter]", "g1")
    assert page.locator('th.group[data-group="g2"]').is_hidden()
    assert page.locator('th.group[data-group="g1"]').is_visible()


def test_a_teacher_reviews_with_the_keyboard(browser_page, live_server, classroom, tara):
    page = browser_page
    _login(page, live_server, tara)
    page.goto(reverse("grades:queue"))
    page.locator("#start-reviewing").click()
    page.wait_for_url(re.compile(r"/teach/attempts/\d+/"))
    first = page.url
    page.keyboard.press("1")  # one point for the only criterion
    assert page.locator("#rubric-total").inner_text() == "1"
    page.keyboard.press("Control+Enter")  # return it and open the next answer
    page.wait_for_url(lambda url: url != first and "/teach/attempts/" in url)
    assert page.locator("ul.messages").inner_text().startswith("Returned to")
    second = page.url
    page.keyboard.press("n")  # on to the third without scoring this one
    page.wait_for_url(lambda url: url not in (first, second) and "/teach/attempts/" in url)


def test_the_editor_checks_and_previews_while_typing(browser_page, live_server, classroom, tara):
    course, _ = classroom
    page = browser_page
    _login(page, live_server, tara)
    page.goto(reverse("grades:item_edit", args=[course.slug, "ce-loss"]))
    page.fill("#help", "Round it, e.g. 1.204.")
    page.locator("#validation li.warning", has_text="1.204").wait_for()
    assert "Round it, e.g. 1.204." in page.locator("#preview").inner_text()
    page.fill("#help", "")
    page.fill("input[name=answer]", "-ln(")
    page.locator("#validation li.error").wait_for()
    page.fill("input[name=answer]", "-ln(0.25)")
    page.locator("#validation", has_text="The grader accepts this item.").wait_for()
    page.locator("#save-item").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert page.locator("#regrade-offer").is_visible()
    assert Item.objects.get(course=course, key="ce-loss").spec["answer"] == "-ln(0.25)"


def test_an_appeal_goes_from_the_student_to_the_teacher_and_back(
    chromium_browser, live_server, classroom, tara
):
    _course, students = classroom
    wrong = students[0].attempts.get(item__key="ce-loss")  # "5": graded wrong
    pages = {}
    for viewport, size in VIEWPORTS.items():
        pages[viewport] = chromium_browser.new_context(
            base_url=live_server.url, viewport=size
        ).new_page()
        pages[viewport].set_default_timeout(20_000)
    student, phone = pages["desktop"], pages["phone"]
    _login(student, live_server, students[0])
    student.goto(reverse("mygrades:feedback", args=[wrong.pk]))
    student.fill("#appeal-comment", "I meant 1.204 and typed it in the wrong box.")
    student.get_by_role("button", name="Ask for a re-review").click()
    student.wait_for_url(re.compile(r"#appeals$"))
    assert "Waiting for a teacher" in student.locator("#appeals").inner_text()
    _check(student, "ui-appeal-student-desktop")

    teacher = phone  # the teacher answers from a phone
    _login(teacher, live_server, tara)
    teacher.goto(reverse("grades:queue"))
    teacher.locator("#appeals-link").click()
    _check(teacher, "ui-appeals-list-phone")
    teacher.get_by_role("link", name=students[0].get_username()).click()
    teacher.locator('#appeals input[name="decision"][value="change"]').check()
    teacher.fill('#appeals input[name="points"]', "1")
    teacher.fill("#appeals textarea", "Accepted: the value was right.")
    _check(teacher, "ui-appeal-teacher-phone")
    teacher.get_by_role("button", name="Send the answer").click()
    teacher.wait_for_url(re.compile(r"#appeals$"))
    assert "Grade changed" in teacher.locator("#appeals").inner_text()

    student.goto(reverse("mygrades:feedback", args=[wrong.pk]))
    assert "Accepted: the value was right." in student.locator("#appeals").inner_text()
    wrong.refresh_from_db()
    assert wrong.score == 1.0
    for page in pages.values():
        page.context.close()
