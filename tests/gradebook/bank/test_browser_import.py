"""The admin's bank import in a real browser, under the real Content-Security-Policy: upload,
the preview with a changed key's before/after, apply, the result page. Screenshots at desktop
and phone width are test artifacts."""

from __future__ import annotations

import re

import pytest

from tests.browser import screenshot

from .conftest import SMALL_BANK

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_admin_imports_a_changed_key_and_sees_what_it_touches(
    browser_page, ada, alice, eager_celery, tmp_path
):
    from gradebook.courses.bank import import_bank_files
    from gradebook.courses.models import Course, Item
    from gradebook.quizzes.services import submit_answer

    first = tmp_path / "demo.yaml"
    first.write_text(SMALL_BANK, encoding="utf-8")
    import_bank_files([first])
    Course.objects.get(slug="demo").enroll(alice)
    submit_answer(student=alice, item=Item.objects.get(key="two-plus-two"), response="5")
    changed = tmp_path / "changed" / "demo.yaml"
    changed.parent.mkdir()
    changed.write_text(SMALL_BANK.replace("answer: 4", "answer: 2*2 + 1"), encoding="utf-8")

    page = browser_page
    blocked: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/login/?next=/admin/courses/bankimport/upload/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "ada-pass-123")
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r".*/bankimport/upload/"))
    page.set_input_files("input[type=file]", str(changed))
    page.locator("input[type=submit][value='Check the files']").click()
    page.wait_for_url(re.compile(r".*/bankimport/\d+/change/"))
    page.locator("text=What this import will do").wait_for()
    assert "1 stored answer affected" in page.content()
    assert page.locator("code.before").first.inner_text() == "4"
    assert page.locator("code.after").first.inner_text() == '"2*2 + 1"'
    screenshot(page, "admin-import-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-import-preview-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.locator("input[value='Apply this import']").click()
    page.locator("text=What this import did").wait_for()
    assert page.locator("button", has_text="preview a regrade").count() == 1
    screenshot(page, "admin-import-result")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-import-result-phone")
    assert Item.objects.get(key="two-plus-two").spec["answer"] == "2*2 + 1"
    assert blocked == []


def test_the_api_docs_and_a_lesson_run_under_the_policy(browser_page, alice):
    from django.core.management import call_command

    call_command("import_bank", "banks/ai-generation-basics.yaml", verbosity=0)
    from gradebook.courses.models import Course

    course = Course.objects.get()
    course.enroll(alice)
    page = browser_page
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and blocked.append(f"{page.url}: {m.text}"),
    )
    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()  # Swagger UI ran: its script loaded
    assert "/api/teach/" not in page.content()
    lesson = course.active_lessons().first()
    page.goto(f"/learn/{course.slug}/{lesson.slug}/")
    with page.expect_navigation():
        page.select_option("#lang", "ko")  # the language switch now runs from site.js
    assert page.locator("html").get_attribute("lang") == "ko"
    assert blocked == []
