"""The whole student path in a real browser: log in, open a lesson, type, preview, submit."""

import os
import re
import shutil
import subprocess

import pytest

from tests.browser import screenshot
from tests.gradebook.quizzes.factories import item, make_course

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def ensure_korean_font() -> None:
    """Hangul needs a font on the test machine (the page names common ones; it ships none)."""
    has = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True, check=False)
    if has.stdout.strip() or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "fonts-nanum"], check=False, env=env, timeout=600
    )


def test_a_student_answers_right_then_wrong_and_sees_xp_and_feedback(browser_page, alice):
    ensure_korean_font()
    page = browser_page
    course = make_course()
    course.enroll(alice)
    loss, choice = item(course, "ce-loss"), item(course, "which-model")

    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-pass-123")
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/learn/ai-gen/text-vs-images/")

    assert "피파 한 줄 정리" in page.locator("aside.summary").inner_text()
    xp = page.locator("[data-xp-total]").first
    assert xp.inner_text() == "0"

    card = page.locator(f"#item-{loss.pk}")
    card.locator("input.answer-box").type("-ln(0.3)")
    preview = card.locator("output.interp")
    preview.locator("math").wait_for()
    assert "Interpreted as" in preview.inner_text()

    card.locator("button[type=submit]").click()
    verdict = card.locator(".verdict-correct")
    verdict.wait_for()
    assert "Correct" in verdict.inner_text()
    assert "+20 XP" in verdict.inner_text()
    assert xp.inner_text() == "20"
    page.locator("[data-level-line]", has_text="20/200 XP to next level").wait_for()
    screenshot(page, "student-correct-answer")

    wrong = page.locator(f"#item-{choice.pk}")
    wrong.locator("input[value=diffusion]").check()
    wrong.locator("button[type=submit]").click()
    verdict = wrong.locator(".verdict-incorrect")
    verdict.wait_for()
    assert "Diffusion refines the whole canvas at once." in verdict.inner_text()
    assert xp.inner_text() == "20"
    screenshot(page, "student-wrong-answer")

    page.reload()  # the verdicts are stored, not just shown
    assert "Correct" in page.locator(f"#item-{loss.pk} .verdict").inner_text()
