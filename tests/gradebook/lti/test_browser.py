"""The tool inside the in-suite LMS's iframe, in a real browser (Chromium via Playwright).

The LMS page frames our login URL; the cookie check runs, the browser follows the OIDC
redirects to the platform and its auto-posted form back to our launch URL, and our page
renders inside the frame because the launch allowed the platform's origin to frame it. Both
run on 127.0.0.1 (different ports: different origins, the same site), so the test needs no
HTTPS; the HTTPS cookie attributes are checked in test_keys_and_frames.py.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from gradebook.celery import app as celery_app
from gradebook.lti.models import Placement
from tests.browser import screenshot
from tests.gradebook.lti.conftest import register
from tests.gradebook.lti.platform import INSTRUCTOR, LEARNER, Platform
from tests.gradebook.quizzes.factories import item, make_course

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def lms(live_server):
    tool = live_server.url.replace("localhost", "127.0.0.1")
    platform = Platform(tool_base=tool).start()
    course = make_course()
    register(platform, course)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # grades go out from the live server's thread
    yield platform, course
    celery_app.conf.task_always_eager = previous
    platform.stop()


def course_page(platform, login, hint):
    return f"{platform.base}/course?" + urlencode({"login": login, "hint": hint})


def both_widths(page, name):
    for size, suffix in ((DESKTOP, "1280"), (PHONE, "390")):
        page.set_viewport_size(size)
        time.sleep(0.2)
        screenshot(page, f"{name}-{suffix}")


def test_a_teacher_places_a_lesson_and_a_student_answers_it_inside_the_lms(chromium_browser, lms):
    platform, course = lms
    platform.person("tara", role=INSTRUCTOR, name="Tara Teach")
    student = platform.person("alice", role=LEARNER, name="Alice Liddell")

    teacher = chromium_browser.new_context(viewport=DESKTOP, locale="en-US")
    page = teacher.new_page()
    page.set_default_timeout(20_000)
    page.goto(course_page(platform, "tara", platform.deep_link_message("tara")))
    frame = page.frame_locator("#tool")
    frame.get_by_role("heading", name="Choose what to place in your LMS course").wait_for()
    both_widths(page, "lti-picker")
    page.set_viewport_size(DESKTOP)
    frame.get_by_label("Language generation vs. media generation").check()
    frame.get_by_role("button", name="Place it").click()
    deadline = time.monotonic() + 20
    while not platform.deep_link_responses and time.monotonic() < deadline:
        time.sleep(0.1)
    [placed] = platform.deep_link_responses
    link = platform.links[placed["links"][0]]

    page.goto(course_page(platform, "tara", platform.resource_message("tara", link)))
    frame.get_by_role("heading", name="Language generation vs. media generation").wait_for()
    assert frame.get_by_text("Grades sent to the LMS").is_visible()
    both_widths(page, "lti-placement")
    teacher.close()

    learner = chromium_browser.new_context(viewport=DESKTOP, locale="en-US")
    page = learner.new_page()
    page.set_default_timeout(20_000)
    page.goto(course_page(platform, "alice", platform.resource_message("alice", link)))
    frame = page.frame_locator("#tool")
    ce_loss = item(course, "ce-loss")
    card = frame.locator(f"#item-{ce_loss.pk}")
    card.locator("input.answer-box").fill("1.204")
    card.locator("button[type=submit]").click()
    card.locator(".verdict-correct").wait_for()
    both_widths(page, "lti-lesson-in-lms")

    deadline = time.monotonic() + 20
    while student.sub not in platform.results(link.line_item) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert platform.results(link.line_item)[student.sub]["scoreGiven"] == 1.0
    assert Placement.objects.count() == 1
    learner.close()


def test_outside_an_lti_session_the_lms_cannot_frame_the_site(chromium_browser, lms):
    platform, _course = lms
    context = chromium_browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.goto(
        f"{platform.base}/course?" + urlencode({"src": platform.tool_base + "/accounts/login/"})
    )
    time.sleep(1.5)
    framed = page.frames[1]
    assert "Log in" not in framed.content()  # refused by the browser, not rendered
    context.close()


def test_a_refused_launch_shows_its_reason_inside_the_lms_frame(chromium_browser, lms):
    platform, _course = lms
    platform.person("mo", role="http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor")
    link = platform.link("Lesson", custom={"gradebook_target": "lesson:ai-gen/text-vs-images"})
    context = chromium_browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)

    page.goto(course_page(platform, "mo", platform.resource_message("mo", link)))

    frame = page.frame_locator("#tool")
    frame.get_by_role("heading", name="This launch was refused").wait_for()
    assert "gives no access" in frame.locator("main").inner_text()
    both_widths(page, "lti-refused")
    context.close()


def test_when_the_frame_may_not_keep_cookies_the_page_offers_a_new_window(chromium_browser, lms):
    platform, _course = lms
    platform.person("alice", role=LEARNER)
    link = platform.link("Lesson", custom={"gradebook_target": "lesson:ai-gen/text-vs-images"})
    context = chromium_browser.new_context(viewport=DESKTOP, locale="en-US")
    # What a browser that blocks third-party cookies does to a script in the frame.
    context.add_init_script(
        "Object.defineProperty(document, 'cookie', {get: () => '', set: () => {}});"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)

    page.goto(course_page(platform, "alice", platform.resource_message("alice", link)))

    frame = page.frame_locator("#tool")
    frame.get_by_role("heading", name="Your browser blocks this page's cookies").wait_for()
    new_window = frame.get_by_role("link", name="Open in a new window")
    assert new_window.get_attribute("target") == "_blank"
    both_widths(page, "lti-cookies-blocked")
    context.close()
