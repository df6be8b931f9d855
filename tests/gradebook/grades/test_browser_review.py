"""One review in a real browser: queue → exercise submission with its image and scoreboard →
rubric by clicks → return; then the student sees the score. Screenshots are test artifacts."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from tests.browser import screenshot

from .conftest import EXERCISE_SPEC, make_attempt, make_item

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The shape the exercises worker stores (exercises/_outputs.html renders it).
SCOREBOARD = [
    {
        "token": " cat",
        "probability": 0.41,
        "candidates": [
            {"token": " cat", "probability": 0.41},
            {"token": " dog", "probability": 0.22},
            {"token": " fox", "probability": 0.05},
        ],
    },
    {
        "token": " sits",
        "probability": 0.33,
        "candidates": [
            {"token": " sits", "probability": 0.33},
            {"token": " runs", "probability": 0.2},
        ],
    },
]


def png(color: tuple[int, int, int], size: int = 64) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def media_folder():
    """The generated files this test writes under MEDIA_ROOT, removed afterwards."""
    written: list[Path] = []
    yield written
    for path in written:
        path.unlink(missing_ok=True)


@pytest.fixture
def submission(course, lesson2, alice, media_folder):
    from exercises.models import ExerciseSubmission, GenerationJob, GenerationOutput

    item = make_item(course, lesson2, EXERCISE_SPEC)
    attempt = make_attempt(alice, item, {"prompt": "a cat on a mat"})
    sub = ExerciseSubmission.objects.create(
        attempt=attempt,
        prompt="a cat on a mat, watercolour",
        reflection="The cat's outline appears by step 4; colour comes last.",
        settings={"text": {"max_new_tokens": 8, "seed": 3}, "image": {"steps": 4, "seed": 3}},
    )
    text_job = GenerationJob.objects.create(
        submission=sub,
        student=alice,
        kind="text",
        status="succeeded",
        settings={"max_new_tokens": 8, "temperature": 0.7, "seed": 3},
        result={"scoreboard": SCOREBOARD, "text": "A cat sits on a mat.", "seed": 3},
        timings={"total_s": 0.4},
    )
    GenerationOutput.objects.create(
        job=text_job, kind="text", text="A cat sits on a mat.", metadata={"scoreboard": SCOREBOARD}
    )
    image_job = GenerationJob.objects.create(
        submission=sub,
        student=alice,
        kind="image",
        status="succeeded",
        settings={"steps": 4, "guidance_scale": 5, "size": 64, "seed": 3},
        result={"seed": 3, "size": 64, "steps": 4, "guidance_scale": 5},
        timings={"total_s": 1.2},
        untrained_model=True,
    )
    for step, color in [(0, (200, 120, 40)), (2, (90, 90, 90)), (4, (150, 110, 60))]:
        out = GenerationOutput(job=image_job, kind="image" if step == 0 else "frame", step=step)
        out.file.save(f"browser-review/step-{step}.png", ContentFile(png(color)), save=False)
        out.save()
        media_folder.append(Path(out.file.path))
    return sub


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/$"))


def test_a_teacher_reviews_an_exercise_and_the_student_sees_the_score(
    browser_page,
    chromium_browser,
    live_server,
    tara,
    submission,
):
    page = browser_page
    log_in(page, "tara", "tara-pass-123")

    page.goto("/teach/queue/")
    page.locator("table.queue a", has_text="Prompt a cat").first.click()
    page.wait_for_url(re.compile(r".*/teach/attempts/\d+/"))

    assert "a cat on a mat, watercolour" in page.locator("pre.prompt").inner_text()
    assert "colour comes last" in page.locator("pre.reflection").inner_text()
    image = page.locator("section.exercise img").first
    image.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle()) == 64
    scoreboard = page.locator("section.exercise .scoreboard").first
    assert "cat" in scoreboard.inner_text() and "sits" in scoreboard.inner_text()
    assert "dog" in scoreboard.text_content()  # the runner-up at the first step
    assert page.locator("section.exercise img").count() == 3  # final image and its filmstrip

    row = page.locator('fieldset.criterion[data-criterion="prompt"]')
    row.locator("label", has_text="1").click()
    page.locator('fieldset.criterion[data-criterion="reflection"] label', has_text="2").click()
    assert page.locator("#rubric-total").inner_text() == "3"
    page.fill("textarea[name=comment]", "Clear prompt and a sharp observation about step 4.")
    # (A full-page screenshot before this click made Chromium ignore it: take it afterwards.)
    page.locator("#return-button").click()
    page.locator("ul.messages", has_text="Returned to alice").wait_for()
    assert page.locator(".state").inner_text() == "returned"
    screenshot(page, "teacher-returned-exercise-review")

    submission.attempt.refresh_from_db()
    assert submission.attempt.score == 1.0 and submission.attempt.status == "reviewed"

    student = chromium_browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    try:
        log_in(student, "alice", "alice-pass-123")
        student.goto(f"/grades/attempts/{submission.attempt.pk}/")
        assert student.locator("#feedback-points").inner_text() == "3"
        assert "sharp observation" in student.locator("#feedback-comment").inner_text()
        screenshot(student, "student-sees-review")
    finally:
        student.context.close()
