"""A Moodle XML bank in a real browser: the admin uploads it, reads the plan with its
warnings, applies it, and a student answers one of the imported questions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EVERY_TYPE = Path(__file__).parent / "data" / "moodle" / "every-type.xml"


def test_an_admin_imports_moodle_xml_and_a_student_answers_an_imported_question(
    browser_page, ada, alice, eager_celery
):
    from gradebook.courses.models import Course, Item

    page = browser_page
    blocked: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/login/?next=/admin/courses/bankimport/upload/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "ada-pass-123")
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r".*/bankimport/upload/"))
    page.set_input_files("input[type=file]", str(EVERY_TYPE))
    page.fill("#id_course", "moodle-demo")
    page.locator("input[type=submit][value='Check the files']").click()
    page.wait_for_url(re.compile(r".*/bankimport/\d+/change/"))
    page.locator("text=What this import will do").wait_for()
    warnings = page.locator(".bank-warnings")
    assert "3 warnings" in warnings.inner_text()
    assert "every-type.xml:95" in warnings.inner_text()
    assert "'Drag the words': not imported" in warnings.inner_text()
    screenshot(page, "admin-moodle-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-moodle-preview-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("input[value='Apply this import']").click()
    page.locator("text=What this import did").wait_for()
    assert Item.objects.filter(course__slug="moodle-demo").count() == 6

    course = Course.objects.get(slug="moodle-demo")
    course.enroll(alice)
    short = Item.objects.get(course=course, key="diffusion-words-name-the-process")
    timed = Item.objects.get(course=course, key="total-time")
    context = page.context
    context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/$"))

    page.goto(f"/learn/{course.slug}/{short.lesson.slug}/")
    card = page.locator(f"#item-{short.pk}")
    card.locator("input.answer-box").type("De-noising")
    card.locator("button[type=submit]").click()
    verdict = card.locator(".verdict")
    verdict.wait_for()
    assert "Spelling!" in verdict.inner_text()  # the 50% answer's own feedback
    card.locator("input.answer-box").fill("denoising")
    card.locator("button[type=submit]").click()
    card.locator(".verdict-correct").wait_for()
    screenshot(page, "student-moodle-short-answer")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "student-moodle-short-answer-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"/learn/{course.slug}/{timed.lesson.slug}/")
    card = page.locator(f"#item-{timed.pk}")
    card.locator("input.answer-box").type("4000 ms")
    card.locator("button[type=submit]").click()
    card.locator(".verdict-correct").wait_for()
    assert blocked == []


def test_a_student_answers_an_imported_gift_matching_question(browser_page, alice):
    from django.core.management import call_command

    from gradebook.courses.models import Course, Item

    gift = Path(__file__).parent / "data" / "moodle" / "every-syntax.gift"
    call_command("import_bank", str(gift), "--course", "gift-demo", verbosity=0)
    course = Course.objects.get(slug="gift-demo")
    course.enroll(alice)
    matching = Item.objects.get(course=course, type="matching")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/learn/{course.slug}/{matching.lesson.slug}/")
    card = page.locator(f"#item-{matching.pk}")
    card.locator("select[data-pair=p1]").select_option("text")
    card.locator("select[data-pair=p2]").select_option("text")
    card.locator("button[type=submit]").click()
    verdict = card.locator(".verdict")
    verdict.wait_for()
    assert "1 of 2 pairs right." in verdict.inner_text()
    card.locator("select[data-pair=p2]").select_option("image")
    card.locator("button[type=submit]").click()
    card.locator(".verdict-correct").wait_for()
    screenshot(page, "student-matching")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "student-matching-phone")


def test_a_cloze_question_shows_its_parts_in_the_blanks_and_grades_them(browser_page, alice):
    from django.core.management import call_command

    from gradebook.courses.models import Course, Item

    cloze = Path(__file__).parent / "data" / "moodle" / "cloze.xml"
    call_command("import_bank", str(cloze), "--course", "cloze-demo", verbosity=0)
    course = Course.objects.get(slug="cloze-demo")
    course.enroll(alice)
    item = Item.objects.get(course=course, type="multipart")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/learn/{course.slug}/{item.lesson.slug}/")
    card = page.locator(f"#item-{item.pk}")
    question = card.locator(".question")
    assert question.locator(".cloze-slot fieldset.part").count() == 4  # all moved into blanks
    assert "_____" not in question.inner_text()
    question.locator("fieldset[data-part=p1] input.answer-box").type("4")
    question.locator("fieldset[data-part=p2] input.answer-box").type("Denoiser")
    question.locator("fieldset[data-part=p3] input[value=a]").check()  # linear
    question.locator("fieldset[data-part=p3] input[value=b]").check()  # cosine
    question.locator("fieldset[data-part=p4] input[value=a]").check()  # MSE
    screenshot(page, "student-cloze")
    card.locator("button[type=submit]").click()
    verdict = card.locator(".verdict")
    verdict.wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "student-cloze-phone")
    assert "4 of 4 parts correct." in verdict.inner_text(), verdict.inner_text()
