"""Launches from the in-suite platform: accounts, roles, enrolment, where each person lands."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from lti_tool.models import LtiUser

from gradebook.accounts.roles import is_teacher
from gradebook.lti.models import CourseLink, Placement
from tests.gradebook.lti.platform import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.django_db

LESSON = "lesson:ai-gen/text-vs-images"


def test_a_learner_launch_makes_an_account_enrols_it_and_opens_the_lesson(
    browser, platform, registered, course
):
    student = platform.person("alice", role=LEARNER, name="Alice Liddell")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)

    response = browser.launch("alice", platform.resource_message("alice", link))

    assert response.status_code == 302
    assert response["Location"] == "/learn/ai-gen/text-vs-images/"
    lti_user = LtiUser.objects.get(registration=registered, sub=student.sub)
    user = lti_user.auth_user
    assert (user.first_name, user.last_name, user.email) == ("Alice", "Liddell", student.email)
    assert not user.has_usable_password()
    assert course.enrollments.filter(student=user).exists()
    assert not is_teacher(user)
    placement = Placement.objects.get(resource_link__id_on_platform=link.id)
    assert (placement.target, placement.lesson.slug) == ("lesson", "text-vs-images")
    assert placement.line_item.url == link.line_item
    assert CourseLink.objects.filter(course=course, context=placement.context).exists()
    # The session is the student's: the lesson page opens.
    page = browser.client.get(response["Location"])
    assert page.status_code == 200
    assert "Language generation vs. media generation" in page.content.decode()


def test_an_instructor_launch_makes_a_teacher_of_the_course_and_opens_the_placement_page(
    browser, platform, registered, course
):
    platform.person("tara", role=INSTRUCTOR, name="Tara Teach")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)

    response = browser.launch("tara", platform.resource_message("tara", link))

    placement = Placement.objects.get(resource_link__id_on_platform=link.id)
    assert response.status_code == 302
    assert response["Location"] == f"/lti/placements/{placement.pk}/"
    user = get_user_model().objects.get(lti_users__sub=platform.people["tara"].sub)
    assert is_teacher(user) and course.is_taught_by(user)
    assert not course.enrollments.filter(student=user).exists()
    page = browser.client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Grades sent to the LMS" in text and "Sync the roster from the LMS" in text
    # ...and the teachers' pages of the course open for this account.
    assert browser.client.get(f"/teach/courses/{course.slug}/gradebook/").status_code == 200


def test_a_second_launch_finds_the_same_account_by_sub_and_keeps_names_current(
    browser, platform, registered
):
    platform.person("alice", name="Alice Liddell")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser.launch("alice", platform.resource_message("alice", link))
    platform.people["alice"].family_name = "Hargreaves"

    browser.launch("alice", platform.resource_message("alice", link))

    users = get_user_model().objects.filter(lti_users__registration=registered)
    assert users.count() == 1
    assert users.get().last_name == "Hargreaves"


def test_accounts_are_never_matched_by_e_mail(browser, platform, registered, alice, course):
    """Two LMS people with one address, and a local account with it too: three accounts."""
    platform.person("alice", email="alice@example.com")
    platform.person("alice2", email="alice@example.com")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)

    browser.launch("alice", platform.resource_message("alice", link))
    browser.client.logout()
    browser.launch("alice2", platform.resource_message("alice2", link))

    matched = get_user_model().objects.filter(email="alice@example.com")
    assert matched.count() == 3
    assert set(LtiUser.objects.values_list("auth_user", flat=True)).isdisjoint({alice.pk})


def test_a_teaching_assistant_sub_role_is_a_teacher(browser, platform, registered, course):
    platform.person(
        "tim", role="http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    )
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)

    browser.launch("tim", platform.resource_message("tim", link))

    user = get_user_model().objects.get(lti_users__sub=platform.people["tim"].sub)
    assert course.is_taught_by(user)


def test_an_item_placement_opens_the_item_on_its_lesson_page(browser, platform, registered):
    platform.person("alice")
    link = platform.link("One item", custom={"gradebook_target": "item:ai-gen/ce-loss"}, graded=1)

    response = browser.launch("alice", platform.resource_message("alice", link))

    placement = Placement.objects.get(resource_link__id_on_platform=link.id)
    assert response["Location"] == f"/learn/ai-gen/text-vs-images/#item-{placement.item_id}"


def test_a_link_made_by_hand_is_pointed_by_the_instructor_then_opens_for_learners(
    browser, platform, registered, client, course
):
    platform.person("tara", role=INSTRUCTOR)
    platform.person("alice")
    link = platform.link("Made by hand in the LMS")  # no custom target, no line item
    response = browser.launch("alice", platform.resource_message("alice", link))
    assert response.status_code == 404
    assert "not chosen yet" in response.content.decode()

    browser.client.logout()
    response = browser.launch("tara", platform.resource_message("tara", link))
    assert response.status_code == 302 and "/choose/" in response["Location"]
    picker = browser.client.get(response["Location"])
    assert LESSON in picker.content.decode()
    chosen = browser.client.post(response["Location"], {"target": LESSON})
    assert chosen.status_code == 302

    browser.client.logout()
    response = browser.launch("alice", platform.resource_message("alice", link))
    assert response["Location"] == "/learn/ai-gen/text-vs-images/"


def test_a_course_not_opened_to_the_platform_is_refused(browser, platform, registered):
    from gradebook.courses.models import Course

    Course.objects.create(slug="secret", title="Not for this LMS")
    platform.person("alice")
    link = platform.link("Elsewhere", custom={"gradebook_target": "course:secret"})

    response = browser.launch("alice", platform.resource_message("alice", link))

    assert response.status_code == 404
    assert "not open to this platform" in response.content.decode()


def test_a_lesson_with_no_items_yet_is_placed_without_a_gradebook_column(course):
    from gradebook.lti import deep_linking, targets

    empty = targets.resolve("lesson:ai-gen/latent-space", courses=type(course).objects.all())
    full = targets.resolve(LESSON, courses=type(course).objects.all())

    assert "lineItem" not in deep_linking.content_item(empty, launch_url="x").to_dict()
    line = deep_linking.content_item(full, launch_url="x").to_dict()["lineItem"]
    assert line == {
        "scoreMaximum": 7.0,
        "label": "Language generation vs. media generation",
        "resourceId": LESSON,
        "tag": "gradebook",
    }


def test_a_course_closed_to_the_platform_after_placing_is_refused(
    browser, platform, registered, course
):
    platform.person("alice")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    assert browser.launch("alice", platform.resource_message("alice", link)).status_code == 302
    registered.access.courses.remove(course)

    response = browser.launch("alice", platform.resource_message("alice", link))

    assert response.status_code == 404
    assert "no longer open to your LMS" in response.content.decode()
