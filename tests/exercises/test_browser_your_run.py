"""Issue 17 in a real browser: the student runs the exercise, answers a question about their own
run (a wrong sign gets the sign feedback, then -ln(p) is right), and the teacher re-runs the
job and sees "reproduced". The worker's part is done in-process by ``jobs_run`` and
``rerun_execute`` (the real runners on the tiny models); only the broker hop is skipped."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exercises import services
from exercises.models import GenerationJob, JobStatus, Rerun, RerunStatus
from exercises.reruns import rerun_execute
from tests.browser import screenshot
from tests.exercises.test_your_run import TOKEN_ITEM, _item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("generation_settings"),
]


def _page(browser: Any, live_server: Any, user: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def test_a_student_answers_about_their_own_run_and_the_teacher_reproduces_it(
    chromium_browser, live_server, alice, tara, enrolled, exercise_item
):
    token_item = _item(exercise_item, TOKEN_ITEM, 2)
    lesson_url = reverse("lesson", args=[exercise_item.course.slug, exercise_item.lesson.slug])
    page = _page(chromium_browser, live_server, alice)
    page.goto(lesson_url)
    card = page.locator(f"#item-{token_item.pk}")
    assert card.locator(".needs-run").is_visible() and card.locator("form.answer").count() == 0

    page.fill(f"#prompt-{exercise_item.pk}", "a red apple on a wooden table")
    page.fill(f"#reflection-{exercise_item.pk}", "The text model described it; the image drew it.")
    page.get_by_role("button", name="Run the models").click()
    page.wait_for_url(re.compile(r"/exercises/\d+/"))
    for job in GenerationJob.objects.filter(status=JobStatus.QUEUED):  # the worker's part
        services.jobs_run(job.pk, worker="browser-test:1")
    text_job = GenerationJob.objects.get(kind="text", status=JobStatus.SUCCEEDED)
    first = text_job.result["scoreboard"][0]
    p = float(f"{first['probability']:.4g}")

    page.goto(lesson_url)
    card = page.locator(f"#item-{token_item.pk}")
    shown = card.locator(".your-run").inner_text()
    assert f"{p:g}" in shown and first["token"].strip() in shown
    box = card.locator("input.answer-box")
    box.fill(f"{math.log(p):.5f}")  # the sign slip
    card.locator("button[type=submit]").click()
    card.get_by_text("Check the sign").wait_for()
    box.fill(f"-ln({p:g})")
    card.locator("button[type=submit]").click()
    card.locator(".verdict-correct").wait_for()
    screenshot(page, "your-run-item-answered")

    teacher = _page(chromium_browser, live_server, tara)
    attempt_id = text_job.submission.attempt_id
    teacher.goto(reverse("grades:attempt", args=[attempt_id]))
    for n in range(2):  # the text job, then the image job
        teacher.get_by_role("button", name="Re-run and compare").nth(n).click()
        teacher.wait_for_url(re.compile(r"#reruns$"))
    for rerun in Rerun.objects.filter(status=RerunStatus.QUEUED):  # the worker's part
        rerun_execute(rerun.pk)
    teacher.goto(reverse("grades:attempt", args=[attempt_id]))
    reruns = teacher.locator("#reruns")
    assert reruns.locator('[data-verdict="reproduced"]').count() == 2, reruns.inner_text()
    assert "reproduced" in reruns.inner_text()
    screenshot(teacher, "your-run-teacher-reproduced")
    page.context.close()
    teacher.context.close()
